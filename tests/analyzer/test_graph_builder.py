"""The model graph read from source: models, fields, targets, reverse accessors, inheritance and managers."""

from __future__ import annotations

from pathlib import Path

import astroid
import pytest
from astroid import nodes

from analyzer.context import SettingsInfo
from analyzer.graph_builder import build_model_graph
from analyzer.modelgraph import FieldKind, ModelGraph
from tests.analyzer.helpers import write_tree

FIXTURE = Path(__file__).parent.parent / "fixtures" / "flow_shop"
SHOP_SETTINGS = SettingsInfo(
    module="config.settings",
    installed_apps=("common", "accounts.apps.AccountsConfig", "catalog", "orders"),
    auth_user_model="accounts.Customer",
)


def parse_tree(root: Path) -> dict[str, nodes.Module]:
    astroid.MANAGER.clear_cache()
    builder = astroid.builder.AstroidBuilder(astroid.MANAGER)
    modules: dict[str, nodes.Module] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            modname = ".".join(parts)
            modules[modname] = builder.file_build(str(path), modname)
    return modules


@pytest.fixture(scope="module")
def shop() -> ModelGraph:
    return build_model_graph(parse_tree(FIXTURE), SHOP_SETTINGS)


def test_models_are_found_through_abstract_bases_in_other_files(shop: ModelGraph) -> None:
    project_models = sorted(label for label, info in shop.models.items() if info.path is not None)
    assert project_models == [
        "accounts.Customer",
        "catalog.Author",
        "catalog.Book",
        "catalog.CheapBook",
        "catalog.EBook",
        "catalog.Publisher",
        "common.Owned",
        "common.Timestamped",
        "orders.Order",
    ]
    assert shop.models["common.Owned"].abstract
    assert shop.label_for_class("catalog.models.Book") == "catalog.Book"


def test_fields_inherited_from_abstract_bases_belong_to_the_concrete_model(shop: ModelGraph) -> None:
    created = shop.field("catalog.Book", "created")
    owner = shop.field("catalog.Book", "owner")
    assert created is not None and created.model == "catalog.Book" and created.kind is FieldKind.FIELD
    assert owner is not None and owner.kind is FieldKind.FOREIGN_KEY
    assert owner.target == "accounts.Customer"
    # %(app_label)s and %(class)s are filled in with the concrete model's.
    assert owner.related_name == "catalog_book_set"
    assert shop.field("accounts.Customer", "catalog_book_set") is not None


def test_relation_targets_in_every_spelling(shop: ModelGraph) -> None:
    assert shop.field("catalog.Book", "author").target == "catalog.Author"  # class
    assert shop.field("catalog.Book", "publisher").target == "catalog.Publisher"  # "Model" in the same app
    assert shop.field("orders.Order", "book").target == "catalog.Book"  # "app.Model"
    assert shop.field("catalog.Book", "editor").target == "accounts.Customer"  # settings.AUTH_USER_MODEL
    assert shop.field("catalog.Author", "user").target == "accounts.Customer"  # get_user_model()
    assert shop.field("catalog.Book", "editor").null is True


def test_reverse_accessors_default_names_related_name_and_plus(shop: ModelGraph) -> None:
    author_books = shop.field("catalog.Author", "book_set")
    assert author_books is not None and author_books.kind is FieldKind.REVERSE_FOREIGN_KEY
    assert author_books.target == "catalog.Book" and author_books.remote_field == "author"
    assert shop.field("catalog.Publisher", "books").kind is FieldKind.REVERSE_FOREIGN_KEY
    assert shop.field("accounts.Customer", "author").kind is FieldKind.REVERSE_ONE_TO_ONE
    assert shop.field("accounts.Customer", "orders").target == "orders.Order"
    # related_name="+" adds no accessor.
    assert [
        name for name, info in shop.models["accounts.Customer"].fields.items() if info.remote_field == "editor"
    ] == []


def test_custom_user_inherits_abstract_user_fields_and_contrib_relations(shop: ModelGraph) -> None:
    customer = shop.models["accounts.Customer"]
    assert customer.has_str
    assert customer.fields["username"].kind is FieldKind.FIELD
    assert customer.fields["groups"].target == "auth.Group"
    assert shop.field("auth.Group", "user_set").target == "accounts.Customer"
    assert shop.field("auth.Permission", "content_type").target == "contenttypes.ContentType"
    assert shop.field("admin.LogEntry", "user").target == "accounts.Customer"


def test_multi_table_inheritance_and_proxy(shop: ModelGraph) -> None:
    ebook = shop.models["catalog.EBook"]
    assert ebook.parents == ("catalog.Book",)
    assert ebook.fields["book_ptr"].kind is FieldKind.ONE_TO_ONE
    assert ebook.fields["book_ptr"].target == "catalog.Book"
    assert ebook.fields["title"].model == "catalog.Book"  # the parent's column, read through the join
    assert shop.field("catalog.Book", "ebook").kind is FieldKind.REVERSE_ONE_TO_ONE
    cheap = shop.models["catalog.CheapBook"]
    assert cheap.proxy and "book_ptr" not in cheap.fields and cheap.fields["author"].model == "catalog.Book"
    # Children inherit their parents' reverse accessors.
    assert "order_set" in ebook.fields


def test_managers_custom_querysets_and_get_queryset(shop: ModelGraph) -> None:
    book = shop.models["catalog.Book"]
    assert book.managers == ("objects", "with_publisher")
    assert book.manager_classes["objects"] == ("catalog.models.BookQuerySet",)
    assert book.manager_classes["with_publisher"] == ("catalog.models.WithPublisherManager",)
    assert shop.models["catalog.Publisher"].managers == ("objects",)


def test_app_label_from_installed_app_config_and_module_name(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "shop/models/orders.py": """
                from django.db import models as m


                class Cart(m.Model):
                    class Meta:
                        ordering = ("-id",)
            """,
            "plain.py": """
                import django.db.models


                class Loose(django.db.models.Model):
                    class Meta:
                        app_label = "elsewhere"
            """,
        },
    )
    graph = build_model_graph(parse_tree(tmp_path), SettingsInfo())
    assert sorted(label for label in graph.models if label.startswith(("shop.", "elsewhere."))) == [
        "elsewhere.Loose",
        "shop.Cart",
    ]
    assert graph.models["shop.Cart"].ordering == ("-id",)


def test_models_on_third_party_abstract_bases_are_known(tmp_path: Path) -> None:
    # modelcluster, treebeard and taggit are not in the analysed tree, but their bases are models.
    write_tree(
        tmp_path,
        {
            "cms/models.py": """
                from django.db import models
                from modelcluster.models import ClusterableModel
                from taggit.models import TagBase
                from treebeard.mp_tree import MP_Node


                class Workflow(ClusterableModel):
                    name = models.CharField(max_length=50)


                class Collection(MP_Node):
                    name = models.CharField(max_length=50)


                class Label(TagBase):
                    pass


                class Helper:
                    pass
            """,
        },
    )
    graph = build_model_graph(parse_tree(tmp_path), SettingsInfo())
    assert sorted(label for label in graph.models if label.startswith("cms.")) == [
        "cms.Collection",
        "cms.Label",
        "cms.Workflow",
    ]
    assert sorted(graph.models["cms.Collection"].fields) == ["depth", "id", "name", "numchild", "path"]
    assert graph.models["cms.Label"].has_str is True


def test_a_class_on_an_unreadable_base_that_declares_model_fields_is_a_model(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "shop/loading.py": """
                def import_from_setting(name):
                    return None
            """,
            "shop/models.py": """
                from django import forms
                from django.db import models
                from django_extensions.db.models import TimeStampedModel
                from softdelete.models import SoftDeleteModel

                from shop.loading import import_from_setting

                ModelBase = import_from_setting("SHOP_MODEL_BASE")


                class Author(TimeStampedModel):
                    name = models.CharField(max_length=100)


                class Book(SoftDeleteModel):
                    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")


                class Review(ModelBase):
                    book = models.ForeignKey("shop.Book", on_delete=models.CASCADE)


                class SignupForm(forms.Form):  # form fields share the names but make no model
                    name = forms.CharField(max_length=100)


                class Mixin(object):  # a plain base: fields on it make no model
                    flag = models.BooleanField(default=False)


                class Settings(SoftDeleteModel):  # an unreadable base with no fields: nothing is known
                    pass
            """,
        },
    )
    graph = build_model_graph(parse_tree(tmp_path), SettingsInfo())
    assert sorted(label for label in graph.models if label.startswith("shop.")) == [
        "shop.Author",
        "shop.Book",
        "shop.Review",
    ]
    assert graph.field("shop.Book", "author") is not None
    assert graph.field("shop.Book", "author").target == "shop.Author"  # type: ignore[union-attr]
    assert graph.field("shop.Author", "books").kind is FieldKind.REVERSE_FOREIGN_KEY  # type: ignore[union-attr]
    assert graph.field("shop.Review", "book").target == "shop.Book"  # type: ignore[union-attr]


def test_properties_methods_and_str_include_inherited_ones(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/models.py": """
                from functools import cached_property

                from django.db import models


                class Labelled:
                    def label(self):
                        return "x"


                class Base(Labelled, models.Model):
                    def __str__(self):
                        return "base"

                    class Meta:
                        abstract = True


                class Thing(Base):
                    tags = models.ManyToManyField("self")

                    @cached_property
                    def heavy(self):
                        return 1

                    @property
                    def light(self):
                        return 2
            """,
        },
    )
    graph = build_model_graph(parse_tree(tmp_path), SettingsInfo())
    thing = graph.models["app.Thing"]
    assert thing.has_str
    assert thing.properties == {"heavy": "app.models.Thing.heavy", "light": "app.models.Thing.light"}
    assert thing.methods == {"__str__": "app.models.Base.__str__", "label": "app.models.Labelled.label"}
    # A symmetrical many-to-many to "self" has no reverse accessor.
    assert [name for name, info in thing.fields.items() if info.kind is FieldKind.REVERSE_MANY_TO_MANY] == []


def test_contrib_models_are_known_without_source() -> None:
    graph = build_model_graph({}, SettingsInfo())
    assert sorted(graph.models) == [
        "admin.LogEntry",
        "auth.Group",
        "auth.Permission",
        "auth.User",
        "contenttypes.ContentType",
        "sessions.Session",
        "sites.Site",
    ]
    assert graph.field("auth.User", "groups").kind is FieldKind.MANY_TO_MANY
    assert graph.field("auth.User", "logentry_set").kind is FieldKind.REVERSE_FOREIGN_KEY
