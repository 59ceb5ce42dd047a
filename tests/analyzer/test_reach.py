"""Patterns from real projects' N+1 fixes that the static pass follows, each with its quiet twin: models on bases
outside the analysed tree, oscar's get_model/get_class loading, and the other ways real projects reach their rows."""

from __future__ import annotations

from pathlib import Path

import astroid

from analyzer.flow.names import NameResolver
from tests.analyzer.helpers import analyze_tree, codes_and_lines

UNREADABLE_BASE_MODELS = """
from django.db import models
from django_extensions.db.models import TimeStampedModel
from softdelete.models import SoftDeleteModel

from shop.loading import import_from_setting

ModelBase = import_from_setting("SHOP_MODEL_BASE")


class Author(TimeStampedModel):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(SoftDeleteModel):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class Review(ModelBase):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")

    def __str__(self):
        return str(self.pk)
"""

UNREADABLE_BASE_REPORT = """
from shop.models import Book, Review


def bylines():
    return [f"{book.title} by {book.author.name}" for book in Book.objects.all()]


def reviewed_titles():
    return [review.book.title for review in Review.objects.filter(pk__gt=0)]
"""


def test_models_on_unreadable_bases_report_their_relations_per_row(tmp_path: Path) -> None:
    files = {
        "shop/loading.py": "def import_from_setting(name):\n    return None\n",
        "shop/models.py": UNREADABLE_BASE_MODELS,
        "shop/report.py": UNREADABLE_BASE_REPORT,
    }
    findings = analyze_tree(tmp_path, files, select=("ORM101",)).findings
    assert [(finding.path, finding.line, finding.message) for finding in findings] == [
        (
            "shop/report.py",
            5,
            'book.author is loaded once per row of Book.objects.all() (line 5); add .select_related("author") there',
        ),
        (
            "shop/report.py",
            9,
            "review.book is loaded once per row of Review.objects.filter(...) (line 9); "
            'add .select_related("book") there',
        ),
    ]


def test_models_on_unreadable_bases_with_select_related_are_quiet(tmp_path: Path) -> None:
    report = UNREADABLE_BASE_REPORT.replace("Book.objects.all()", 'Book.objects.select_related("author")').replace(
        "Review.objects.filter(pk__gt=0)", 'Review.objects.select_related("book")'
    )
    files = {
        "shop/loading.py": "def import_from_setting(name):\n    return None\n",
        "shop/models.py": UNREADABLE_BASE_MODELS,
        "shop/report.py": report,
    }
    assert codes_and_lines(analyze_tree(tmp_path, files, select=("ORM1",)).findings) == []


OSCAR_ABSTRACT_MODELS = """
from django.db import models


class AbstractProductClass(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


class AbstractProduct(models.Model):
    title = models.CharField(max_length=100)
    product_class = models.ForeignKey("catalogue.ProductClass", on_delete=models.CASCADE, related_name="products")

    class Meta:
        abstract = True

    def __str__(self):
        return self.title
"""

OSCAR_MODELS = """
from oscar.core.loading import is_model_registered

from shop.catalogue.abstract_models import *  # noqa

__all__ = []

if not is_model_registered("catalogue", "ProductClass"):

    class ProductClass(AbstractProductClass):
        pass

    __all__.append("ProductClass")

if not is_model_registered("catalogue", "Product"):

    class Product(AbstractProduct):
        pass

    __all__.append("Product")
"""

OSCAR_SELECTORS = """
from oscar.core.loading import get_model

Product = get_model("catalogue", "Product")


def browsable_products():
    return Product.objects.filter(title__isnull=False)
"""

OSCAR_VIEWS = """
from oscar.core.loading import get_class, get_model

Product = get_model("catalogue", "product")
browsable_products = get_class("catalogue.selectors", "browsable_products")


def product_rows():
    return [(product.title, product.product_class.name) for product in Product.objects.all()]


def browsable_rows():
    return [product.product_class.name for product in browsable_products()]
"""


def oscar_tree(views: str = OSCAR_VIEWS, selectors: str = OSCAR_SELECTORS) -> dict[str, str]:
    return {
        "shop/settings.py": 'INSTALLED_APPS = ["shop.catalogue.apps.CatalogueConfig"]\n',
        "shop/catalogue/abstract_models.py": OSCAR_ABSTRACT_MODELS,
        "shop/catalogue/models.py": OSCAR_MODELS,
        "shop/catalogue/selectors.py": selectors,
        "shop/catalogue/views.py": views,
    }


def test_models_and_functions_loaded_with_get_model_and_get_class_are_followed(tmp_path: Path) -> None:
    findings = analyze_tree(tmp_path, oscar_tree(), select=("ORM101",)).findings
    assert [(finding.path, finding.line, finding.message) for finding in findings] == [
        (
            "shop/catalogue/views.py",
            8,
            "product.product_class is loaded once per row of Product.objects.all() (line 8); "
            'add .select_related("product_class") there',
        ),
        (
            "shop/catalogue/views.py",
            12,
            "product.product_class is loaded once per row of Product.objects.filter(...) "
            '(shop/catalogue/selectors.py:7); add .select_related("product_class") there',
        ),
    ]


def test_get_model_and_get_class_rows_with_select_related_are_quiet(tmp_path: Path) -> None:
    views = OSCAR_VIEWS.replace("Product.objects.all()", 'Product.objects.select_related("product_class")')
    selectors = OSCAR_SELECTORS.replace(
        "Product.objects.filter(title__isnull=False)", 'Product.objects.select_related("product_class")'
    )
    assert analyze_tree(tmp_path, oscar_tree(views, selectors), select=("ORM1",)).findings == ()


def test_loader_calls_resolve_like_imports_and_prefer_a_fork_to_oscar() -> None:
    modules = {
        "oscar.apps.basket.forms": astroid.parse(
            "class BasketLineForm:\n    pass\n", module_name="oscar.apps.basket.forms"
        ),
        "shop.basket.forms": astroid.parse("class BasketLineForm:\n    pass\n", module_name="shop.basket.forms"),
        "oscar.apps.basket.models": astroid.parse("class Line:\n    pass\n", module_name="oscar.apps.basket.models"),
        "shop.views": astroid.parse(
            """
from django.apps import apps
from oscar.core.loading import get_class, get_classes, get_model

Line = get_model("basket", "line")
Dotted = apps.get_model("basket.Line")
LineForm, Missing = get_classes("basket.forms", ["BasketLineForm", "Missing"])
Unknown = get_class("basket.forms", name)
""",
            module_name="shop.views",
        ),
    }
    resolver = NameResolver(modules)
    assert resolver.resolve_name("shop.views", "Line") == "oscar.apps.basket.models.Line"
    assert resolver.resolve_name("shop.views", "Dotted") == "oscar.apps.basket.models.Line"
    assert resolver.resolve_name("shop.views", "LineForm") == "shop.basket.forms.BasketLineForm"
    assert resolver.resolve_name("shop.views", "Missing") is None
    assert resolver.resolve_name("shop.views", "Unknown") == "shop.views.Unknown"  # a plain assignment


def test_a_module_level_name_bound_to_another_name_resolves_to_it() -> None:
    modules = {
        "accounts.user": astroid.parse(
            """
from typing import TYPE_CHECKING

from django.contrib.auth.models import User as AuthUser

if TYPE_CHECKING:

    class User(AuthUser):
        pass

else:
    User = AuthUser

objects = AuthUser.objects
""",
            module_name="accounts.user",
        ),
        "shop.models": astroid.parse("from accounts.user import User, objects\n", module_name="shop.models"),
    }
    resolver = NameResolver(modules)
    assert resolver.resolve_name("shop.models", "User") == "django.contrib.auth.models.User"
    assert resolver.resolve_name("accounts.user", "User") == "django.contrib.auth.models.User"
    # Any other value stays a definition, for the flow to evaluate.
    assert resolver.resolve_name("shop.models", "objects") == "accounts.user.objects"


SIGNAL_MODELS = """
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver


class Author(models.Model):
    name = models.CharField(max_length=100)
    book_count = models.IntegerField(default=0)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")

    def __str__(self):
        return str(self.pk)


@receiver(post_save, sender=Book)
def reindex_book(sender, instance, created, **kwargs):
    if not created:
        Review.objects.filter(book=instance).update(book_id=instance.pk)
    print(instance.author.name)  # a loaded row's relation may have been selected: not counted


@receiver([post_save], sender=Author)
def author_saved(sender, instance, **kwargs):
    print(instance.books.count())


def forget_reviews(sender, instance, **kwargs):
    Review.objects.filter(book_id=instance.pk).delete()
"""

SIGNAL_APPS = """
from django.apps import AppConfig
from django.db.models.signals import post_delete


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        from shop import models

        post_delete.connect(models.forget_reviews, sender=models.Book)
"""

SIGNAL_TASKS = """
from shop.models import Author, Book


def retitle():
    for book in Book.objects.filter(title__startswith=" "):
        book.title = book.title.strip()
        book.save()


def import_authors(names):
    for name in names:
        Author.objects.create(name=name)


def purge():
    for book in Book.objects.filter(title=""):
        book.delete()


def retitle_in_bulk():
    Book.objects.filter(title__startswith=" ").update(title="x")  # update() sends no signal
    for book in Book.objects.all():
        Book.objects.filter(pk=book.pk).update(title=book.title.strip())
"""


def test_signal_receivers_run_once_per_row_written_in_a_loop(tmp_path: Path) -> None:
    files = {"shop/models.py": SIGNAL_MODELS, "shop/apps.py": SIGNAL_APPS, "shop/tasks.py": SIGNAL_TASKS}
    findings = analyze_tree(tmp_path, files, select=("ORM203",)).findings
    assert [(finding.path, finding.line, finding.column, finding.message) for finding in findings] == [
        (
            "shop/tasks.py",
            7,
            9,
            "book.save() sends post_save once per item of the loop at line 5, and its receiver "
            "shop.models.reindex_book runs Review.objects.filter(...).update(...) each time (shop/models.py:32); "
            "write the rows with bulk_update() (no signal) and do shop.models.reindex_book's work once for all",
        ),
        (
            "shop/tasks.py",
            12,
            9,
            "Author.objects.create(...) sends post_save once per item of the loop at line 11, and its receiver "
            "shop.models.author_saved runs instance.books.count() each time (shop/models.py:38); write the rows "
            "with bulk_create() (no signal) and do shop.models.author_saved's work once for all",
        ),
        (
            "shop/tasks.py",
            17,
            9,
            "book.delete() sends post_delete once per item of the loop at line 16, and its receiver "
            "shop.models.forget_reviews runs Review.objects.filter(...).delete() each time (shop/models.py:42); "
            "do shop.models.forget_reviews's work once for all rows (one QuerySet.delete())",
        ),
    ]
    assert [(item.path, item.line, item.message) for item in findings[0].related] == [
        ("shop/models.py", 32, "shop.models.reindex_book runs Review.objects.filter(...).update(...) here")
    ]


def test_a_receiver_branch_on_created_runs_only_for_the_writes_it_matches(tmp_path: Path) -> None:
    # post_save passes created=True for objects.create() and created=False for save() of a loaded row.
    models = SIGNAL_MODELS.replace("    if not created:\n", "    if created:\n")
    files = {"shop/models.py": models, "shop/apps.py": SIGNAL_APPS, "shop/tasks.py": SIGNAL_TASKS}
    findings = analyze_tree(tmp_path, files, select=("ORM203",)).findings
    assert [(finding.path, finding.line) for finding in findings] == [("shop/tasks.py", 12), ("shop/tasks.py", 17)]


def test_a_loop_in_test_code_that_triggers_a_receiver_is_left_to_the_tests_ignores(tmp_path: Path) -> None:
    files = {
        "shop/models.py": SIGNAL_MODELS,
        "shop/apps.py": SIGNAL_APPS,
        "shop/tests/__init__.py": "",
        "shop/tests/test_tasks.py": SIGNAL_TASKS,
    }
    assert analyze_tree(tmp_path, files, select=("ORM203",)).findings == ()


def test_writes_outside_loops_and_updates_send_no_per_row_signal_work(tmp_path: Path) -> None:
    tasks = """
    from shop.models import Author, Book


    def retitle_one(pk):
        book = Book.objects.get(pk=pk)
        book.save()
        Author.objects.create(name="x")


    def retitle_in_bulk():
        for book in Book.objects.all():
            Book.objects.filter(pk=book.pk).update(title=book.title.strip())
    """
    files = {"shop/models.py": SIGNAL_MODELS, "shop/apps.py": SIGNAL_APPS, "shop/tasks.py": tasks}
    assert analyze_tree(tmp_path, files, select=("ORM203",)).findings == ()


QUERYSET_API_MODELS = """
from django.db import models


class BookQuerySet(models.QuerySet):
    def with_author(self):
        return self.select_related("author")

    def published(self):
        return self.filter(published=True)


class BookManager(models.Manager):
    def recent(self):
        return self.get_queryset().order_by("-pk")


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    objects = BookManager.from_queryset(BookQuerySet)()
    shelf = BookQuerySet.as_manager()

    def __str__(self):
        return self.title
"""

QUERYSET_API_REPORT = """
from shop.models import Book


def published_bylines():
    return [book.author.name for book in Book.objects.published()]


def recent_bylines():
    return [book.author.name for book in Book.objects.recent()]


def shelf_bylines():
    return [book.author.name for book in Book.shelf.published()]


def either_bylines():
    return [book.author.name for book in Book.objects.filter(pk=1) | Book.objects.filter(pk=2)]


def both_bylines():
    return [book.author.name for book in Book.objects.filter(pk=1) & Book.objects.filter(title="x")]


class Report:
    def load(self):
        self.books = list(Book.objects.published())

    def render(self):
        return [book.author.name for book in self.books]
"""


def test_project_queryset_api_combined_querysets_and_rows_stored_on_self(tmp_path: Path) -> None:
    files = {"shop/models.py": QUERYSET_API_MODELS, "shop/report.py": QUERYSET_API_REPORT}
    findings = analyze_tree(tmp_path, files, select=("ORM101",)).findings
    assert [(finding.line, finding.message) for finding in findings] == [
        (
            5,
            "book.author is loaded once per row of Book.objects.published() (line 5); "
            'add .select_related("author") there',
        ),
        (
            9,
            'book.author is loaded once per row of Book.objects.recent() (line 9); add .select_related("author") there',
        ),
        (
            13,
            'book.author is loaded once per row of Book.shelf.published() (line 13); add .select_related("author") '
            "there",
        ),
        (
            17,
            "book.author is loaded once per row of Book.objects.filter(...) (line 17); "
            'add .select_related("author") there',
        ),
        (
            21,
            "book.author is loaded once per row of Book.objects.filter(...) (line 21); "
            'add .select_related("author") there',
        ),
        (
            29,
            "book.author is loaded once per row of Book.objects.published() (line 26); "
            'add .select_related("author") there',
        ),
    ]


def test_queryset_api_methods_that_load_the_relation_are_quiet(tmp_path: Path) -> None:
    report = (
        QUERYSET_API_REPORT.replace("Book.objects.published()", "Book.objects.published().with_author()")
        .replace("Book.objects.recent()", "Book.objects.recent().select_related('author')")
        .replace("Book.shelf.published()", "Book.shelf.with_author().published()")
        .replace("Book.objects.filter(pk=1) |", "Book.objects.with_author().filter(pk=1) |")
        .replace("Book.objects.filter(pk=1) &", "Book.objects.with_author().filter(pk=1) &")
    )
    files = {"shop/models.py": QUERYSET_API_MODELS, "shop/report.py": report}
    assert analyze_tree(tmp_path, files, select=("ORM1",)).findings == ()


def test_names_star_imported_through_a_package_init_and_its_modules_resolve() -> None:
    modules = {
        "shop.models": astroid.parse("from .catalog import *  # noqa\n", module_name="shop.models"),
        "shop.models.catalog": astroid.parse(
            "from .people import *  # noqa\n\nclass Book:\n    pass\n", module_name="shop.models.catalog"
        ),
        "shop.models.people": astroid.parse(
            "from .catalog import *  # noqa\n\nclass Author:\n    pass\n", module_name="shop.models.people"
        ),
        "shop.report": astroid.parse("from shop.models import Author, Book, Missing\n", module_name="shop.report"),
    }
    modules["shop.models"].package = True
    resolver = NameResolver(modules)
    assert resolver.resolve_name("shop.report", "Book") == "shop.models.catalog.Book"
    assert resolver.resolve_name("shop.report", "Author") == "shop.models.people.Author"  # two stars deep
    # The modules star-import each other: the search ends, and the name stays where it was imported from.
    assert resolver.resolve_name("shop.report", "Missing") == "shop.models.Missing"
