"""ORM112 admin-list-display-related: list_display entries read per changelist row, each beside a quiet twin."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_tree

MODELS = """
from django.db import models


class Country(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=100)
    country = models.ForeignKey(Country, null=True, on_delete=models.SET_NULL, related_name="authors")

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title

    @property
    def author_country(self):
        return self.author.country.name


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")

    def __str__(self):
        return f"review of {self.book.title}"
"""


def run(tmp_path: Path, admin: str, extra: dict[str, str] | None = None) -> list[Finding]:
    files = {"shop/models.py": MODELS, "shop/admin.py": admin, **(extra or {})}
    return list(analyze_tree(tmp_path, files, select=("ORM112",)).findings)


def located(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(finding.code, finding.path, finding.line) for finding in findings]


METHOD = """
from django.contrib import admin

from shop.models import Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "author_name")

    @admin.display(description="author")
    def author_name(self, obj):
        return obj.author.name
"""


def test_admin_method_reading_a_relation(tmp_path: Path) -> None:
    findings = run(tmp_path, METHOD)

    assert located(findings) == [("ORM112", "shop/admin.py", 12)]
    assert findings[0].message == (
        "BookAdmin.author_name in list_display: obj.author is loaded once per row of the Book changelist; "
        'set list_select_related = ("author",) on BookAdmin (shop/admin.py:8)'
    )
    assert findings[0].fix is not None and (findings[0].fix.path, findings[0].fix.line) == ("shop/admin.py", 8)


def test_admin_method_with_list_select_related_is_quiet(tmp_path: Path) -> None:
    admin = METHOD.replace(
        '    list_display = ("title", "author_name")\n',
        '    list_display = ("title", "author_name")\n    list_select_related = ["author"]\n',
    )
    assert run(tmp_path, admin) == []


def test_plain_foreign_key_is_selected_by_django_and_quiet(tmp_path: Path) -> None:
    admin = """
    from django.contrib import admin

    from shop.models import Book


    class BookAdmin(admin.ModelAdmin):
        list_display = ("title", "author")


    admin.site.register(Book, BookAdmin)
    """
    assert run(tmp_path, admin) == []


def test_foreign_key_whose_str_reads_an_unselected_relation(tmp_path: Path) -> None:
    admin = """
    from django.contrib import admin

    from shop.models import Review


    @admin.register(Review)
    class ReviewAdmin(admin.ModelAdmin):
        list_display = ("book",)
        list_select_related = ()
    """
    findings = run(tmp_path, admin)

    # An empty list_select_related tuple selects nothing: the book is loaded per row.
    assert located(findings) == [("ORM112", "shop/admin.py", 8)]
    assert findings[0].message.startswith("ReviewAdmin.book in list_display: review.book is loaded once per row")


def test_list_select_related_tuple_without_the_entry_is_reported_and_with_it_quiet(tmp_path: Path) -> None:
    admin = """
    from django.contrib import admin

    from shop.models import Author, Book


    @admin.register(Author)
    class AuthorAdmin(admin.ModelAdmin):
        list_display = ("name", "country")


    @admin.register(Book)
    class BookAdmin(admin.ModelAdmin):
        list_display = ("title", "author_country")
        list_select_related = ("author__country",)
    """
    findings = run(tmp_path, admin)

    # select_related() without arguments skips the nullable country FK.
    assert located(findings) == [("ORM112", "shop/admin.py", 8)]
    assert findings[0].message.endswith('set list_select_related = ("country",) on AuthorAdmin (shop/admin.py:8)')


def test_model_property_and_callable_entries(tmp_path: Path) -> None:
    admin = """
    from django.contrib import admin

    from shop.models import Book


    def author_label(obj):
        return obj.author.name.upper()


    class BookAdmin(admin.ModelAdmin):
        list_display = ("title", author_label, "author_country")


    admin.site.register(Book, BookAdmin)
    """
    findings = run(tmp_path, admin)

    assert located(findings) == [("ORM112", "shop/admin.py", 7), ("ORM112", "shop/models.py", 28)]
    assert findings[1].message.startswith(
        "BookAdmin.author_country in list_display: self.author.country is loaded once per row of the Book changelist"
    )
    assert findings[1].fix is not None and findings[1].fix.message == (
        'set list_select_related = ("author__country",) on BookAdmin'
    )


def test_get_queryset_override_with_select_related_is_quiet(tmp_path: Path) -> None:
    admin = """
    from django.contrib import admin

    from shop.models import Book


    @admin.register(Book)
    class BookAdmin(admin.ModelAdmin):
        list_display = ("title", "author_name")

        def get_queryset(self, request):
            return super().get_queryset(request).select_related("author")

        def author_name(self, obj):
            return obj.author.name
    """
    assert run(tmp_path, admin) == []


def test_custom_admin_site_registration(tmp_path: Path) -> None:
    sites = """
    from django.contrib.admin import AdminSite

    office = AdminSite(name="office")
    """
    admin = """
    from django.contrib import admin

    from shop.models import Book
    from shop.sites import office


    class OfficeBookAdmin(admin.ModelAdmin):
        list_display = ("title", "author_name")

        def author_name(self, obj):
            return obj.author.name


    office.register(Book, OfficeBookAdmin)
    """
    findings = run(tmp_path, admin, {"shop/sites.py": sites})

    assert located(findings) == [("ORM112", "shop/admin.py", 11)]


def test_unregistered_model_admin_is_not_checked(tmp_path: Path) -> None:
    admin = METHOD.replace("@admin.register(Book)\n", "")
    assert run(tmp_path, admin) == []
