"""ORM505 unordered-paginated-model: paginated querysets without an ordering."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.helpers import analyze_snippet, analyze_tree, codes_and_lines

MODELS = """\
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count
from django.views.generic import ListView


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


"""


def test_list_view_with_paginate_by_over_an_unordered_model_is_reported_at_model(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS + "class BookListView(ListView):\n    model = Book\n    paginate_by = 20\n",
        select=("ORM505",),
    )

    assert codes_and_lines(found) == [("ORM505", 25)]
    assert found[0].message == (
        "BookListView paginates Book rows without an ordering: pages can repeat or skip rows "
        "(UnorderedObjectListWarning); add .order_by(...) or Book.Meta.ordering"
    )


def test_view_queryset_and_paginator_without_order_by_are_reported(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class BookListView(ListView):
    queryset = Book.objects.filter(title__startswith="A")
    paginate_by = 20


def author_page(request):
    # Meta.ordering is not applied to a GROUP BY query.
    authors = Author.objects.annotate(book_count=Count("books"))
    return Paginator(authors, 10).page(1)


def book_page(request):
    return Paginator(Book.objects.all(), 10).page(1)
""",
        select=("ORM505",),
    )

    assert codes_and_lines(found) == [("ORM505", 25), ("ORM505", 32), ("ORM505", 36)]
    assert found[1].message.startswith("Paginator(authors, ...) paginates Author rows without an ordering")


def test_quiet_cases(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class OrderedQuerysetView(ListView):
    queryset = Book.objects.order_by("title")
    paginate_by = 20


class ViewOrderingView(ListView):
    model = Book
    ordering = ["title"]
    paginate_by = 20


class MetaOrderedView(ListView):
    # Author has Meta.ordering.
    model = Author
    paginate_by = 20


class UnpaginatedView(ListView):
    # not paginated (ORM409's business).
    model = Book


class CustomQuerysetView(ListView):
    # get_queryset() is not followed.
    model = Book
    paginate_by = 20

    def get_queryset(self):
        return Book.objects.order_by("title")


def ordered_page(request):
    return Paginator(Book.objects.filter(title__gt="").order_by("title"), 10).page(1)


def unknown_page(request, books):
    # a queryset from elsewhere: not known.
    return Paginator(books, 10).page(1)
""",
        select=("ORM505",),
    )

    assert found == []


def test_ordering_inherited_from_an_abstract_base_in_another_file_counts(tmp_path: Path) -> None:
    result = analyze_tree(
        tmp_path,
        {
            "core/models.py": """\
from django.db import models


class Timestamped(models.Model):
    created_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["-created_at"]
""",
            "shop/models.py": """\
from django.db import models

from core.models import Timestamped


class Note(Timestamped):
    body = models.TextField()

    def __str__(self):
        return self.body
""",
            "shop/views.py": """\
from django.views.generic import ListView

from shop.models import Note


class NoteListView(ListView):
    model = Note
    paginate_by = 10
""",
        },
        select=("ORM505",),
    )

    assert result.findings == ()
