"""The project's model graph: models, their fields and relations, and the reverse accessors Django adds.

It is built from source (never by importing the project) and is plain, picklable data, so that it can be shared
with worker processes and hashed for the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FieldKind(StrEnum):
    FIELD = "field"  # a concrete column: CharField, IntegerField, ...
    FOREIGN_KEY = "foreign_key"
    ONE_TO_ONE = "one_to_one"
    MANY_TO_MANY = "many_to_many"
    GENERIC_FOREIGN_KEY = "generic_foreign_key"
    GENERIC_RELATION = "generic_relation"
    REVERSE_FOREIGN_KEY = "reverse_foreign_key"  # book.reviews (a related manager)
    REVERSE_ONE_TO_ONE = "reverse_one_to_one"  # user.profile (an instance)
    REVERSE_MANY_TO_MANY = "reverse_many_to_many"  # tag.books (a related manager)


SINGLE_RELATIONS = frozenset(
    {FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE, FieldKind.GENERIC_FOREIGN_KEY, FieldKind.REVERSE_ONE_TO_ONE}
)
MANAGER_RELATIONS = frozenset(
    {
        FieldKind.MANY_TO_MANY,
        FieldKind.GENERIC_RELATION,
        FieldKind.REVERSE_FOREIGN_KEY,
        FieldKind.REVERSE_MANY_TO_MANY,
    }
)


@dataclass(frozen=True)
class FieldInfo:
    """A field or accessor on a model. ``target`` is the related model's label ("app_label.ModelName")."""

    name: str
    kind: FieldKind
    model: str
    null: bool = False
    target: str | None = None
    related_name: str | None = None
    related_query_name: str | None = None
    through: str | None = None
    declared_in: str | None = None
    path: str | None = None
    line: int | None = None
    field_class: str | None = None  # "CharField", "ForeignKey", ...
    unique: bool = False
    blank: bool = False
    # For a reverse accessor: the name of the forward field on ``target`` that points back ("author" for
    # author.books), so fixes such as Exists(Book.objects.filter(author=OuterRef("pk"))) can be written.
    remote_field: str | None = None

    @property
    def is_relation(self) -> bool:
        return self.kind is not FieldKind.FIELD

    @property
    def is_single_relation(self) -> bool:
        return self.kind in SINGLE_RELATIONS

    @property
    def is_manager(self) -> bool:
        return self.kind in MANAGER_RELATIONS

    @property
    def attname(self) -> str | None:
        """The column attribute that holds the key without a query (``author_id``), for FK and O2O."""
        if self.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE):
            return f"{self.name}_id"
        return None


@dataclass(frozen=True)
class ModelInfo:
    """A model class. ``fields`` holds concrete, inherited and reverse accessors by attribute name."""

    label: str  # "catalog.Book"
    app_label: str
    name: str
    qualname: str  # "catalog.models.Book"
    path: str | None = None
    line: int | None = None
    abstract: bool = False
    proxy: bool = False
    bases: tuple[str, ...] = ()  # qualnames of the model bases, nearest first
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    managers: tuple[str, ...] = ("objects",)
    has_str: bool = False
    ordering: tuple[str, ...] | None = None
    # Names of properties and methods defined on the class or its bases, mapped to the qualname of the
    # function, so the flow can follow `book.display_title` into the property's body.
    properties: dict[str, str] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    # Manager attribute -> qualnames of the project's manager and queryset classes behind it (nearest first),
    # so the flow can follow custom get_queryset() and queryset methods.
    manager_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parents: tuple[str, ...] = ()  # labels of concrete parent models (multi-table inheritance or proxy)

    def field(self, name: str) -> FieldInfo | None:
        return self.fields.get(name)


@dataclass(frozen=True)
class ModelGraph:
    """All models known to the analysis, with lookups by label and by class qualname."""

    models: dict[str, ModelInfo] = field(default_factory=dict)
    by_qualname: dict[str, str] = field(default_factory=dict)
    auth_user_model: str = "auth.User"

    def get(self, label: str) -> ModelInfo | None:
        return self.models.get(label)

    def label_for_class(self, qualname: str) -> str | None:
        """The model label for a class qualname such as "catalog.models.Book", or None if it is not a model."""
        return self.by_qualname.get(qualname)

    def field(self, model: str, name: str) -> FieldInfo | None:
        info = self.models.get(model)
        return info.fields.get(name) if info else None

    def resolve_path(self, model: str, path: str) -> list[FieldInfo] | None:
        """Resolve a lookup path such as "author__publisher" to its fields, or None if a step is unknown."""
        resolved: list[FieldInfo] = []
        current = model
        for part in path.split("__"):
            info = self.field(current, part)
            if info is None:
                return None
            resolved.append(info)
            if info.target is None:
                break
            current = info.target
        return resolved
