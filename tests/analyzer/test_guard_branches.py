"""Branches that guard the real queryset: an empty ``none()`` queryset on one branch never hides the other
branch's eager loading, in DRF ``get_queryset()`` guards and in plain code, each beside a twin that is reported."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.flow_helpers import flow_findings, marked_lines
from tests.analyzer.helpers import analyze_tree, codes_and_lines

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title
"""

SERIALIZERS = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name")

    class Meta:
        model = Book
        fields = ["id", "title", "author_name"]
"""

GUARDED_VIEW = """
from rest_framework import viewsets

from api.models import Book
from api.serializers import BookSerializer


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BookSerializer
    queryset = Book.objects.none()

    def get_queryset(self):
        if self.request.user.is_anonymous:
            # Only during API schema generation.
            return Book.objects.none()
        if not self.kwargs:
            return self.queryset
        return Book.objects.filter(title__isnull=False){eager}
"""


def serializer_findings(tmp_path: Path, eager: str) -> list[Finding]:
    files = {
        "api/models.py": MODELS,
        "api/serializers.py": SERIALIZERS,
        "api/views.py": GUARDED_VIEW.replace("{eager}", eager),
    }
    return list(analyze_tree(tmp_path, files, select=("ORM111",)).findings)


def test_get_queryset_guard_returning_none_keeps_the_real_querysets_select_related(tmp_path: Path) -> None:
    assert serializer_findings(tmp_path, '.select_related("author")') == []


def test_get_queryset_guard_returning_none_reports_the_real_queryset_when_it_lacks_the_load(tmp_path: Path) -> None:
    findings = serializer_findings(tmp_path, "")

    assert [(finding.code, finding.path, finding.line) for finding in findings] == [("ORM111", "api/serializers.py", 7)]
    assert findings[0].message == (
        "BookSerializer.author_name: book.author is loaded once per row of Book.objects.filter(...) listed by "
        'api.views.BookViewSet; add .select_related("author") to the queryset at api/views.py:17'
    )


def test_a_view_that_only_lists_none_is_quiet(tmp_path: Path) -> None:
    files = {
        "api/models.py": MODELS,
        "api/serializers.py": SERIALIZERS,
        "api/views.py": GUARDED_VIEW.replace(
            "        return Book.objects.filter(title__isnull=False){eager}\n", "        return Book.objects.none()\n"
        ),
    }
    assert list(analyze_tree(tmp_path, files, select=("ORM111",)).findings) == []


def test_none_reassigned_under_if_keeps_the_branchs_select_related(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def names(user):
            books = Book.objects.none()
            if user.is_staff:
                books = Book.objects.select_related("author")
            return [book.author.name for book in books]
        """,
    )
    assert findings == []


def test_none_reassigned_under_if_reports_the_branchs_queryset_when_it_lacks_the_load(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def names(user):
            books = Book.objects.none()
            if user.is_staff:
                books = Book.objects.filter(title__isnull=False)  # built
            return [book.author.name for book in books]  # expect
        """,
    )
    built = marked_lines(source, "# built")[0]

    assert codes_and_lines(findings) == [("ORM101", marked_lines(source)[0])]
    assert findings[0].message == (
        f"book.author is loaded once per row of Book.objects.filter(...) (line {built}); "
        'add .select_related("author") there'
    )


def test_a_loop_over_none_runs_no_query(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def names():
            for book in Book.objects.none():
                print(book.author.name, Review.objects.filter(book=book).count())
        """,
    )
    assert findings == []


ARGUMENT_GUARD = """
def copy_book(book, save=True):
    new = Book(title=book.title, author_id=book.author_id)
    if save:
        new.save()
    return new


def copies():
    copied = [{call} for book in Book.objects.all()]  # loop
    Book.objects.bulk_create(copied)
"""


def test_a_helper_called_with_save_false_writes_nothing_per_item(tmp_path: Path) -> None:
    _, findings = flow_findings(tmp_path, ARGUMENT_GUARD.replace("{call}", "copy_book(book, save=False)"))
    assert findings == []


def test_a_helper_called_with_its_default_save_true_writes_per_item(tmp_path: Path) -> None:
    source, findings = flow_findings(tmp_path, ARGUMENT_GUARD.replace("{call}", "copy_book(book)"))
    loop = marked_lines(source, "# loop")[0]

    assert codes_and_lines(findings) == [("ORM302", loop)]
    assert findings[0].message == (
        f"new.save() inserts one row per iteration of the loop at line {loop}; "
        "build the objects in the loop and call Book.objects.bulk_create(objs) after it"
    )


def test_a_keyword_guard_that_is_none_skips_the_query_branch(tmp_path: Path) -> None:
    # ``prices`` is a map built before the loop: the fallback query only runs for callers that pass none.
    source, findings = flow_findings(
        tmp_path,
        """
        def price_of(book, prices=None):
            if prices is not None:
                return prices.get(book.pk)
            return Review.objects.filter(book=book).count()


        def with_map(books):
            prices = {review.book_id: review.pk for review in Review.objects.all()}
            return [price_of(book, prices=prices) for book in books]


        def without_map(books):
            return [price_of(book) for book in books]  # expect
        """,
    )
    assert codes_and_lines(findings) == [("ORM201", marked_lines(source)[0])]


ACTION_VIEW = """
from rest_framework import viewsets

from api.models import Book
from api.serializers import BookSerializer, TitleSerializer


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        books = Book.objects.all()
        if self.action {test}:
            books = books.select_related("author")
        return books

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BookSerializer
        if self.request.method not in ("GET", "HEAD"):
            return BookSerializer
        return {list_serializer}
"""

TWO_SERIALIZERS = (
    SERIALIZERS
    + """

class TitleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title"]
"""
)


def action_findings(tmp_path: Path, test: str, list_serializer: str) -> list[Finding]:
    view = ACTION_VIEW.replace("{test}", test).replace("{list_serializer}", list_serializer)
    files = {"api/models.py": MODELS, "api/serializers.py": TWO_SERIALIZERS, "api/views.py": view}
    return list(analyze_tree(tmp_path, files, select=("ORM111",)).findings)


def test_prefetch_added_for_the_list_action_is_seen_by_the_list(tmp_path: Path) -> None:
    assert action_findings(tmp_path, '== "list"', "BookSerializer") == []
    assert action_findings(tmp_path, 'in ("list", "retrieve")', "BookSerializer") == []


def test_prefetch_added_only_for_another_action_leaves_the_list_reported(tmp_path: Path) -> None:
    findings = action_findings(tmp_path, '== "retrieve"', "BookSerializer")

    assert [(finding.code, finding.path, finding.line) for finding in findings] == [("ORM111", "api/serializers.py", 7)]
    assert findings[0].message == (
        "BookSerializer.author_name: book.author is loaded once per row of Book.objects.all() listed by "
        'api.views.BookViewSet; add .select_related("author") to the queryset at api/views.py:9'
    )


def test_the_heavy_serializer_of_retrieve_and_writes_is_not_the_lists(tmp_path: Path) -> None:
    # The list serializes rows with TitleSerializer; BookSerializer only ever serializes one object.
    assert action_findings(tmp_path, '== "create"', "TitleSerializer") == []


def test_a_loop_over_a_literal_of_constants_is_no_per_row_loop(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def totals(titles):
            for status in ("draft", "published"):
                print(Book.objects.filter(title__startswith=status).count())
            for _ in range(3):
                Tag.objects.create(name="x")
            counts = [Review.objects.filter(book__title=name).count() for name in ["a", "b"]]
            shelves = [("a", "b"), ("c",)]
            for index, shelf in enumerate(shelves):
                for name in shelves[index]:
                    Tag.objects.create(name=name)
            kinds = ["x", "y"]
            for kind in kinds:
                Tag.objects.create(name=kind)
            for title in titles:
                print(Book.objects.filter(title=title).count())  # expect
            return counts
        """,
    )
    assert codes_and_lines(findings) == [("ORM201", marked_lines(source)[0])]


def test_a_relation_assigned_by_hand_is_cached_in_the_loop_and_in_a_later_loop(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def by_hand(author_id):
            author = Author.objects.get(pk=author_id)
            books = list(Book.objects.filter(author=author))
            for book in books:
                book.author = author
            for book in books:
                print(book.author.name)
            for book in Book.objects.filter(author=author):
                book.author = author
                print(book.author.name, book.publisher.name)  # expect
        """,
    )
    # Only the publisher, which nobody assigned, is loaded per row.
    assert [(finding.code, finding.line, finding.field) for finding in findings] == [
        ("ORM101", marked_lines(source)[0], "publisher")
    ]


def test_a_reverse_one_to_one_through_select_related_is_cached(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def cities():
            for author in Author.objects.select_related("profile"):
                print(author.profile.city)
            for author in Author.objects.all():
                print(author.profile.city)  # expect
        """,
    )
    assert codes_and_lines(findings) == [("ORM101", marked_lines(source)[0])]


def test_a_retry_loop_that_returns_on_success_is_no_per_row_loop(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def create_with_retry(name, retries=3):
            for attempt in range(retries):
                try:
                    author = Author(name=f"{name}{attempt}")
                    author.save()
                    return author
                except ValueError:
                    continue


        def create_all(names):
            for name in names:
                author = Author(name=name)
                author.save()  # expect
        """,
    )
    assert codes_and_lines(findings) == [("ORM302", marked_lines(source)[0])]
