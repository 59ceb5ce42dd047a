"""ORM409 list-view-without-pagination: ListViews without paginate_by."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.helpers import analyze_snippet, analyze_tree, codes_and_lines

MODELS = """\
from django.db import models
from django.views import generic
from django.views.generic import ListView


class Book(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


"""


def test_list_views_without_paginate_by_are_reported_at_the_class(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class BookListView(ListView):
    model = Book


class ShortBookListView(generic.ListView):
    queryset = Book.objects.filter(title__startswith="A")
""",
        select=("ORM409",),
    )

    assert codes_and_lines(found) == [("ORM409", 16), ("ORM409", 20)]
    assert (
        found[0].message == "BookListView lists every row of Book on one page; set paginate_by (say paginate_by = 25)"
    )
    assert found[1].message.startswith("ShortBookListView lists every row of Book on one page")
    assert (found[0].column, found[0].end_line, found[0].end_column) == (1, 16, 19)


def test_list_view_base_in_another_module_is_resolved_through_imports(tmp_path: Path) -> None:
    result = analyze_tree(
        tmp_path,
        {
            "shop/models.py": MODELS,
            "core/views.py": """\
from django.views.generic import ListView


class BaseListView(ListView):
    template_name = "list.html"


class PaginatedListView(ListView):
    paginate_by = 30
""",
            "shop/views.py": """\
from core.views import BaseListView, PaginatedListView
from shop.models import Book


class BookListView(BaseListView):
    model = Book


class PagedBookListView(PaginatedListView):
    model = Book


class SpecialBookListView(BookListView):
    # BookListView is extended, so it is a base: this view, which inherits model = Book, is reported.
    template_name = "special.html"
""",
        },
        select=("ORM409",),
    )

    assert [(finding.path, finding.line) for finding in result.findings] == [("shop/views.py", 13)]
    assert result.findings[0].message.startswith("SpecialBookListView lists every row of Book")


def test_quiet_cases(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class PagedView(ListView):
    model = Book
    paginate_by = 25


class DynamicView(ListView):
    model = Book

    def get_paginate_by(self, queryset):
        return 10


class AllOnPurposeView(ListView):
    # an explicit None is a deliberate choice.
    model = Book
    paginate_by = None


class DetailView(generic.DetailView):
    model = Book


class TypesView(ListView):
    # lists no model rows.
    def get_queryset(self):
        return None
""",
        select=("ORM409",),
    )

    assert found == []


def test_list_view_of_a_bounded_slice_is_quiet_beside_an_unbounded_twin(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class LatestBooks(ListView):
    queryset = Book.objects.order_by("-pk")[:20]


class LatestBooksByPage(ListView):
    def get_queryset(self):
        books = Book.objects.order_by("-pk")[: self.kwargs["count"]]
        return books


class BooksFromTheTenth(ListView):
    def get_queryset(self):
        # Sliced without an upper bound: every row from the tenth on.
        return Book.objects.order_by("-pk")[10:]
""",
        select=("ORM409",),
    )

    assert codes_and_lines(found) == [("ORM409", 26)]
    assert found[0].message == (
        "BooksFromTheTenth lists every row of its queryset on one page; set paginate_by (say paginate_by = 25)"
    )
