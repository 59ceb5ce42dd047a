"""Django's contrib models (auth, contenttypes, sessions, sites, admin), known without reading Django's source.

Projects rarely declare these, but their code reads them (``user.groups``, ``permission.content_type``), and
custom users inherit their fields from ``AbstractUser`` / ``AbstractBaseUser`` / ``PermissionsMixin``.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.modelgraph import FieldInfo, FieldKind, ModelInfo


@dataclass(frozen=True)
class FieldSpec:
    """A field of a contrib model; ``target`` may be "AUTH_USER_MODEL"."""

    name: str
    kind: FieldKind = FieldKind.FIELD
    target: str | None = None
    related_name: str | None = None
    related_query_name: str | None = None
    null: bool = False
    field_class: str = "CharField"
    unique: bool = False


_BASE_USER = (
    FieldSpec("password"),
    FieldSpec("last_login", null=True, field_class="DateTimeField"),
)
_PERMISSIONS_MIXIN = (
    FieldSpec("is_superuser", field_class="BooleanField"),
    FieldSpec(
        "groups",
        FieldKind.MANY_TO_MANY,
        "auth.Group",
        related_name="user_set",
        related_query_name="user",
        field_class="ManyToManyField",
    ),
    FieldSpec(
        "user_permissions",
        FieldKind.MANY_TO_MANY,
        "auth.Permission",
        related_name="user_set",
        related_query_name="user",
        field_class="ManyToManyField",
    ),
)
_ABSTRACT_USER = (
    *_BASE_USER,
    *_PERMISSIONS_MIXIN,
    FieldSpec("username", unique=True),
    FieldSpec("first_name"),
    FieldSpec("last_name"),
    FieldSpec("email", field_class="EmailField"),
    FieldSpec("is_staff", field_class="BooleanField"),
    FieldSpec("is_active", field_class="BooleanField"),
    FieldSpec("date_joined", field_class="DateTimeField"),
)

# Abstract bases a project's models may derive from, by qualified name, with the fields they contribute and
# whether they define __str__.
CONTRIB_ABSTRACT_BASES: dict[str, tuple[tuple[FieldSpec, ...], bool]] = {
    "django.contrib.auth.models.AbstractUser": (_ABSTRACT_USER, True),
    "django.contrib.auth.models.AbstractBaseUser": (_BASE_USER, True),
    "django.contrib.auth.base_user.AbstractBaseUser": (_BASE_USER, True),
    "django.contrib.auth.models.PermissionsMixin": (_PERMISSIONS_MIXIN, False),
    # Abstract bases of widely used third-party packages: without them, every model of a project that builds on
    # django-modelcluster, django-treebeard, django-mptt or django-taggit would be missing from the graph. Only
    # their concrete columns are listed; relations they declare stay unknown (and so quiet).
    "modelcluster.models.ClusterableModel": ((), False),
    "treebeard.mp_tree.MP_Node": (
        (
            FieldSpec("path", unique=True),
            FieldSpec("depth", field_class="PositiveIntegerField"),
            FieldSpec("numchild", field_class="PositiveIntegerField"),
        ),
        False,
    ),
    "treebeard.ns_tree.NS_Node": (
        tuple(FieldSpec(name, field_class="PositiveIntegerField") for name in ("lft", "rgt", "tree_id", "depth")),
        False,
    ),
    "treebeard.al_tree.AL_Node": ((), False),
    "mptt.models.MPTTModel": (
        tuple(FieldSpec(name, field_class="PositiveIntegerField") for name in ("lft", "rght", "tree_id", "level")),
        False,
    ),
    "taggit.models.TagBase": ((FieldSpec("name", unique=True), FieldSpec("slug", unique=True)), True),
    "taggit.models.ItemBase": ((), True),
    "taggit.models.TaggedItemBase": ((), True),
    "taggit.models.GenericTaggedItemBase": ((FieldSpec("object_id", field_class="IntegerField"),), True),
}

_CONTRIB_MODELS: dict[str, tuple[str, tuple[FieldSpec, ...]]] = {
    "auth.User": ("django.contrib.auth.models.User", _ABSTRACT_USER),
    "auth.Group": (
        "django.contrib.auth.models.Group",
        (
            FieldSpec("name", unique=True),
            FieldSpec("permissions", FieldKind.MANY_TO_MANY, "auth.Permission", field_class="ManyToManyField"),
        ),
    ),
    "auth.Permission": (
        "django.contrib.auth.models.Permission",
        (
            FieldSpec("name"),
            FieldSpec("content_type", FieldKind.FOREIGN_KEY, "contenttypes.ContentType", field_class="ForeignKey"),
            FieldSpec("codename"),
        ),
    ),
    "contenttypes.ContentType": (
        "django.contrib.contenttypes.models.ContentType",
        (FieldSpec("app_label"), FieldSpec("model")),
    ),
    "sessions.Session": (
        "django.contrib.sessions.models.Session",
        (
            FieldSpec("session_key", unique=True),
            FieldSpec("session_data", field_class="TextField"),
            FieldSpec("expire_date", field_class="DateTimeField"),
        ),
    ),
    "sites.Site": (
        "django.contrib.sites.models.Site",
        (FieldSpec("domain", unique=True), FieldSpec("name")),
    ),
    "admin.LogEntry": (
        "django.contrib.admin.models.LogEntry",
        (
            FieldSpec("action_time", field_class="DateTimeField"),
            FieldSpec("user", FieldKind.FOREIGN_KEY, "AUTH_USER_MODEL", field_class="ForeignKey"),
            FieldSpec(
                "content_type", FieldKind.FOREIGN_KEY, "contenttypes.ContentType", null=True, field_class="ForeignKey"
            ),
            FieldSpec("object_id", null=True, field_class="TextField"),
            FieldSpec("object_repr"),
            FieldSpec("action_flag", field_class="PositiveSmallIntegerField"),
            FieldSpec("change_message", field_class="TextField"),
        ),
    ),
}


def field_from_spec(spec: FieldSpec, model: str, auth_user_model: str, declared_in: str) -> FieldInfo:
    target = auth_user_model if spec.target == "AUTH_USER_MODEL" else spec.target
    return FieldInfo(
        name=spec.name,
        kind=spec.kind,
        model=model,
        null=spec.null,
        target=target,
        related_name=spec.related_name,
        related_query_name=spec.related_query_name,
        declared_in=declared_in,
        field_class=spec.field_class,
        unique=spec.unique,
    )


def contrib_models(auth_user_model: str) -> dict[str, ModelInfo]:
    """The contrib models with their forward fields; reverse accessors are added with the project's own."""
    models: dict[str, ModelInfo] = {}
    for label, (qualname, specs) in _CONTRIB_MODELS.items():
        app_label, _, name = label.partition(".")
        fields = {spec.name: field_from_spec(spec, label, auth_user_model, qualname) for spec in specs}
        fields["id"] = FieldInfo(name="id", kind=FieldKind.FIELD, model=label, field_class="AutoField", unique=True)
        models[label] = ModelInfo(
            label=label,
            app_label=app_label,
            name=name,
            qualname=qualname,
            fields=fields,
            has_str=True,
        )
    return models
