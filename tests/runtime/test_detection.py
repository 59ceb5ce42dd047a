"""The detection engine through `runtime.detect()`: every kind of per-row load, exact sites, counts and fixes."""

from __future__ import annotations

from pathlib import Path

import pytest
from accounts.models import Profile
from catalog.models import Author, Book, Comment, Review, Tag
from django.contrib.auth.models import User
from django.db.models import Count, Prefetch
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query import QuerySet
from django.test import Client
from orders.models import Order

from runtime import allow_nplusone, detect
from runtime.findings import RuntimeFinding
from tests.runtime.conftest import ROOT, Catalogue, line_of

THIS = Path(__file__)
PATH = "tests/runtime/test_detection.py"
Summary = tuple[str, str, str, int, str, int, str, str]


def summary(findings: list[RuntimeFinding]) -> list[Summary]:
    return [(f.kind, f.model, f.field, f.count, f.path, f.line, f.function, f.fix) for f in findings]


def lazy(model: str, field: str, marker: str, function: str, fix: str, count: int = 3) -> Summary:
    return ("lazy_load", model, field, count, PATH, line_of(THIS, marker), function, fix)


def repeated(model: str, marker: str, function: str, fix: str, count: int = 3) -> Summary:
    return ("repeated_query", model, "", count, PATH, line_of(THIS, marker), function, fix)


SELECT_FIX = "fetch the rows in one query before the loop (filter(pk__in=...), in_bulk() or prefetch_related)"


# --- lazy loads of each relation kind ---------------------------------------------------------------------------


def test_forward_foreign_key_per_row_is_a_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.all():
            assert book.author.name  # access: forward-fk
    assert summary(detection.findings) == [
        lazy(
            "catalog.Book",
            "author",
            "access: forward-fk",
            "test_forward_foreign_key_per_row_is_a_lazy_load",
            'add .select_related("author")',
        ),
    ]
    assert detection.findings[0].message() == (
        f"N+1 detected on catalog.Book.author at {PATH}:{line_of(THIS, 'access: forward-fk')} in "
        'test_forward_foreign_key_per_row_is_a_lazy_load (3 queries); add .select_related("author")'
    )
    assert detection.findings[0].sql.startswith('SELECT "catalog_author"."id"')
    assert detection.findings[0].sql.endswith('WHERE "catalog_author"."id" = %s LIMIT %s')


def test_forward_one_to_one_per_row_is_a_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        names = [profile.user.username for profile in Profile.objects.all()]  # access: forward-o2o
    assert len(names) == 3
    assert summary(detection.findings) == [
        lazy(
            "accounts.Profile",
            "user",
            "access: forward-o2o",
            "test_forward_one_to_one_per_row_is_a_lazy_load",
            'add .select_related("user")',
        ),
    ]


def test_reverse_one_to_one_per_row_is_a_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for author in Author.objects.all():
            assert author.bio.text  # access: reverse-o2o
    assert summary(detection.findings) == [
        lazy(
            "catalog.Author",
            "bio",
            "access: reverse-o2o",
            "test_reverse_one_to_one_per_row_is_a_lazy_load",
            'add .select_related("bio")',
        ),
    ]


def test_reverse_foreign_key_manager_per_row_is_a_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for author in Author.objects.all():
            assert list(author.books.all())  # access: reverse-fk
    assert summary(detection.findings) == [
        lazy(
            "catalog.Author",
            "books",
            "access: reverse-fk",
            "test_reverse_foreign_key_manager_per_row_is_a_lazy_load",
            'add .prefetch_related("books")',
        ),
    ]


def test_many_to_many_both_directions_per_row_are_lazy_loads(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.all():
            assert [tag.name for tag in book.tags.all()]  # access: m2m-forward
        for tag in Tag.objects.all():
            assert list(tag.books.all())  # access: m2m-reverse
    function = "test_many_to_many_both_directions_per_row_are_lazy_loads"
    assert summary(detection.findings) == [
        lazy("catalog.Book", "tags", "access: m2m-forward", function, 'add .prefetch_related("tags")'),
        lazy("catalog.Tag", "books", "access: m2m-reverse", function, 'add .prefetch_related("books")'),
    ]


def test_generic_foreign_key_and_generic_relation_per_row_are_lazy_loads(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for comment in Comment.objects.all():
            assert comment.content_object is not None  # access: gfk
        for book in Book.objects.all():
            assert list(book.comments.all())  # access: generic-relation
    function = "test_generic_foreign_key_and_generic_relation_per_row_are_lazy_loads"
    assert summary(detection.findings) == [
        lazy("catalog.Comment", "content_object", "access: gfk", function, 'add .prefetch_related("content_object")'),
        lazy("catalog.Book", "comments", "access: generic-relation", function, 'add .prefetch_related("comments")'),
    ]


def test_deferred_field_per_row_is_a_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.only("title"):
            assert book.price  # access: deferred
    assert summary(detection.findings) == [
        lazy(
            "catalog.Book",
            "price",
            "access: deferred",
            "test_deferred_field_per_row_is_a_lazy_load",
            'add "price" to .only(...) or remove it from .defer(...)',
        ),
    ]


def test_related_count_per_row_suggests_annotate(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        counts = [author.books.count() for author in Author.objects.all()]  # access: related-count
    assert counts == [1, 1, 1]
    assert summary(detection.findings) == [
        lazy(
            "catalog.Author",
            "books",
            "access: related-count",
            "test_related_count_per_row_suggests_annotate",
            'annotate the count on the outer queryset: .annotate(books_count=Count("books"))',
        ),
    ]


def test_property_and_str_reading_relations_report_the_use_line(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        bylines = [book.byline for book in Book.objects.all()]  # access: property
        labels = [f"{review}" for review in Review.objects.all()]  # access: str
    assert len(bylines) == len(labels) == 3
    function = "test_property_and_str_reading_relations_report_the_use_line"
    assert summary(detection.findings) == [
        lazy("catalog.Book", "author", "access: property", function, 'add .select_related("author")'),
        lazy("catalog.Review", "reviewer", "access: str", function, 'add .select_related("reviewer")'),
        lazy("catalog.Review", "book", "access: str", function, 'add .select_related("book")'),
    ]


def test_iterator_rows_are_per_row_instances_too(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.all().iterator():
            assert book.author  # access: iterator
    assert summary(detection.findings) == [
        lazy(
            "catalog.Book",
            "author",
            "access: iterator",
            "test_iterator_rows_are_per_row_instances_too",
            'add .select_related("author")',
        ),
    ]


# --- nested N+1s ---------------------------------------------------------------------------------------------------


def test_nested_lazy_loads_report_every_level_with_the_full_path(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for review in Review.objects.all():
            assert review.reviewer.profile.display_name  # access: nested
    function = "test_nested_lazy_loads_report_every_level_with_the_full_path"
    assert summary(detection.findings) == [
        lazy("catalog.Review", "reviewer", "access: nested", function, 'add .select_related("reviewer")'),
        lazy("auth.User", "profile", "access: nested", function, 'add .select_related("reviewer__profile")'),
    ]


def test_path_beyond_select_related_is_reported_with_the_nested_path(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for review in Review.objects.select_related("book"):
            assert review.book.author.name  # access: partial-select-related
    assert summary(detection.findings) == [
        lazy(
            "catalog.Book",
            "author",
            "access: partial-select-related",
            "test_path_beyond_select_related_is_reported_with_the_nested_path",
            'add .select_related("book__author")',
        ),
    ]


def test_relation_of_rows_loaded_per_row_is_nested_n_plus_one(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for author in Author.objects.all():
            for book in author.books.all():  # access: outer-manager
                assert book.publisher.name  # access: inner-fk
    function = "test_relation_of_rows_loaded_per_row_is_nested_n_plus_one"
    assert summary(detection.findings) == [
        lazy("catalog.Author", "books", "access: outer-manager", function, 'add .prefetch_related("books")'),
        lazy("catalog.Book", "publisher", "access: inner-fk", function, 'add .select_related("books__publisher")'),
    ]


# --- repeated queries --------------------------------------------------------------------------------------------


def test_get_per_item_is_a_repeated_query(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in catalogue.books:
            assert Book.objects.get(pk=book.pk)  # access: get-per-item
    assert summary(detection.findings) == [
        repeated("catalog.Book", "access: get-per-item", "test_get_per_item_is_a_repeated_query", SELECT_FIX),
    ]
    assert detection.findings[0].sql.endswith('WHERE "catalog_book"."id" = %s LIMIT %s')


def test_count_exists_and_filter_per_item_are_repeated_queries(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for author in catalogue.authors:
            assert Book.objects.filter(author=author).count() == 1  # access: count-per-item
            assert Book.objects.filter(author=author).exists()  # access: exists-per-item
            assert list(Book.objects.filter(author=author))  # access: filter-per-item
    function = "test_count_exists_and_filter_per_item_are_repeated_queries"
    assert summary(detection.findings) == [
        repeated(
            "catalog.Book",
            "access: count-per-item",
            function,
            "annotate the count on the outer queryset: .annotate(n=Count(...))",
        ),
        repeated(
            "catalog.Book",
            "access: exists-per-item",
            function,
            "annotate the outer queryset with Exists(...) instead of exists() per item",
        ),
        repeated("catalog.Book", "access: filter-per-item", function, SELECT_FIX),
    ]


def test_writes_per_item_are_repeated_queries_with_bulk_fixes(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in catalogue.books:
            book.title = f"{book.title}!"
            book.save(update_fields=["title"])  # access: save-per-item
        for user in catalogue.users:
            Order.objects.create(customer=user)  # access: create-per-item
        for comment in Comment.objects.all():
            comment.delete()  # access: delete-per-item
    function = "test_writes_per_item_are_repeated_queries_with_bulk_fixes"
    assert summary(detection.findings) == [
        repeated(
            "catalog.Book",
            "access: save-per-item",
            function,
            "use bulk_update() or one queryset.update() instead of save() per item",
        ),
        repeated(
            "orders.Order",
            "access: create-per-item",
            function,
            "collect the objects and save them with one bulk_create()",
        ),
        repeated(
            "catalog.Comment", "access: delete-per-item", function, "delete them in one query: filter(...).delete()"
        ),
    ]


def test_prefetch_bypassed_by_filter_is_a_repeated_query(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.prefetch_related("tags"):
            assert list(book.tags.filter(name__startswith="tag"))  # access: prefetch-bypassed
    assert summary(detection.findings) == [
        repeated(
            "catalog.Tag",
            "access: prefetch-bypassed",
            "test_prefetch_bypassed_by_filter_is_a_repeated_query",
            SELECT_FIX,
        ),
    ]


def test_raw_sql_with_formatted_literals_is_a_repeated_query_without_the_values(catalogue: Catalogue) -> None:
    from django.db import connection

    with detect(root=str(ROOT)) as detection, connection.cursor() as cursor:
        for book in catalogue.books:
            cursor.execute(f"SELECT title FROM catalog_book WHERE id = {book.pk}")  # access: raw-sql
    assert summary(detection.findings) == [
        repeated(
            "catalog.Book",
            "access: raw-sql",
            "test_raw_sql_with_formatted_literals_is_a_repeated_query_without_the_values",
            SELECT_FIX,
        ),
    ]
    assert detection.findings[0].sql == "SELECT title FROM catalog_book WHERE id = %s"


# --- quiet cases ---------------------------------------------------------------------------------------------------


def test_same_query_with_same_parameters_repeated_is_quiet(catalogue: Catalogue) -> None:
    # Running one query twice with the same parameters is a missing cache, not a per-row N+1.
    pk = catalogue.books[0].pk
    with detect(root=str(ROOT)) as detection:
        for _ in range(3):
            assert Book.objects.get(pk=pk)
    assert detection.findings == []


def test_select_related_and_prefetched_access_are_quiet(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.select_related("author__bio").prefetch_related("tags", "comments__content_type"):
            assert book.author.bio.text
            assert [tag.name for tag in book.tags.all()]
            assert book.tags.count() == 1
            assert [comment.content_type for comment in book.comments.all()]
        annotated = Author.objects.annotate(book_count=Count("books"))
        assert [author.book_count for author in annotated] == [1, 1, 1]
    assert detection.findings == []


def test_relations_of_a_single_object_are_quiet(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        book = Book.objects.get(pk=catalogue.books[0].pk)
        assert book.author.bio.text
        assert list(book.tags.all())
        assert book.publisher.name
    assert detection.findings == []


def _title_of(pk: int) -> str:
    return Book.objects.get(pk=pk).title


def test_one_helper_called_from_different_lines_is_quiet(catalogue: Catalogue) -> None:
    # The same query shape from one helper, called once from each of two places, is not a loop.
    first, second = catalogue.books[0].pk, catalogue.books[1].pk
    with detect(root=str(ROOT)) as detection:
        assert _title_of(first)
        assert _title_of(second)
    assert detection.findings == []


def test_one_helper_called_per_item_is_reported_at_the_loop_that_calls_it(catalogue: Catalogue) -> None:
    # The helper runs one query per call; the loop that repeats it is the comprehension, so that is the site.
    with detect(root=str(ROOT)) as detection:
        titles = [_title_of(book.pk) for book in catalogue.books]  # loop: title-helper
    assert len(titles) == 3
    assert [(f.kind, f.line, f.function, f.count) for f in detection.findings] == [
        (
            "repeated_query",
            line_of(THIS, "loop: title-helper"),
            "test_one_helper_called_per_item_is_reported_at_the_loop_that_calls_it",
            3,
        )
    ]


def test_django_session_and_login_queries_are_quiet(catalogue: Catalogue, client: Client) -> None:
    # force_login checks for a free session key and cycles it: Django's own repeated queries, not the user's.
    user = User.objects.create_user("reader", password="not-used-here")
    with detect(root=str(ROOT)) as detection:
        client.force_login(user)
        client.force_login(user)
    assert detection.findings == []


def test_paginator_count_and_page_are_quiet(catalogue: Catalogue) -> None:
    from django.core.paginator import Paginator

    with detect(root=str(ROOT)) as detection:
        paginator = Paginator(Book.objects.select_related("author"), 2)
        for number in paginator.page_range:
            assert [book.author.name for book in paginator.page(number)]
    assert detection.findings == []


def test_below_threshold_is_quiet_and_at_threshold_is_reported(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), threshold=4) as quiet:
        for book in Book.objects.all():
            assert book.author
    with detect(root=str(ROOT), threshold=3) as reported:
        for book in Book.objects.all():
            assert book.author  # access: threshold
    assert quiet.findings == []
    assert summary(reported.findings) == [
        lazy(
            "catalog.Book",
            "author",
            "access: threshold",
            "test_below_threshold_is_quiet_and_at_threshold_is_reported",
            'add .select_related("author")',
        ),
    ]


def test_allow_patterns_silence_matching_relations_only(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), allow=["catalog.Book.auth*"]) as detection:
        for book in Book.objects.all():
            assert book.author
            assert book.publisher  # access: not-allowed
    assert summary(detection.findings) == [
        lazy(
            "catalog.Book",
            "publisher",
            "access: not-allowed",
            "test_allow_patterns_silence_matching_relations_only",
            'add .select_related("publisher")',
        ),
    ]


def test_allow_nplusone_context_manager_silences_inside_the_block_only(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        with allow_nplusone("catalog.Book.*"):
            for book in Book.objects.all():
                assert book.author
        with allow_nplusone():
            for author in catalogue.authors:
                assert Book.objects.get(author=author)
        for book in Book.objects.all():
            assert book.publisher  # access: after-allow
    assert summary(detection.findings) == [
        lazy(
            "catalog.Book",
            "publisher",
            "access: after-allow",
            "test_allow_nplusone_context_manager_silences_inside_the_block_only",
            'add .select_related("publisher")',
        ),
    ]


def test_patches_are_installed_only_while_a_scope_is_open(catalogue: Catalogue) -> None:
    original_get_object = ForwardManyToOneDescriptor.__dict__["get_object"]
    original_fetch_all = QuerySet.__dict__["_fetch_all"]
    with detect(root=str(ROOT)):
        assert ForwardManyToOneDescriptor.__dict__["get_object"] is not original_get_object
    assert ForwardManyToOneDescriptor.__dict__["get_object"] is original_get_object
    assert QuerySet.__dict__["_fetch_all"] is original_fetch_all
    from django.db import connection

    assert connection.execute_wrappers == []


def test_nested_scope_hands_its_findings_to_the_enclosing_scope(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), origin="outer") as outer, detect(root=str(ROOT), origin="inner") as inner:
        for book in Book.objects.all():
            assert book.author
    assert [finding.origin for finding in inner.findings] == ["inner"]
    assert outer.findings == inner.findings


# --- unused eager loading ---------------------------------------------------------------------------------------


def test_unused_select_related_and_prefetch_related_are_reported(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), unused_eager=True) as detection:
        books = list(Book.objects.select_related("author", "publisher").prefetch_related("tags"))  # access: eager
        assert [book.author.name for book in books]
    function = "test_unused_select_related_and_prefetch_related_are_reported"
    line = line_of(THIS, "access: eager")
    assert summary(detection.findings) == [
        (
            "unused_eager_load",
            "catalog.Book",
            "publisher",
            3,
            PATH,
            line,
            function,
            'select_related("publisher") is never read; remove it',
        ),
        (
            "unused_eager_load",
            "catalog.Book",
            "tags",
            3,
            PATH,
            line,
            function,
            'prefetch_related("tags") is never read; remove it',
        ),
    ]


def test_unused_nested_select_related_level_is_reported(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), unused_eager=True) as detection:
        reviews = list(Review.objects.select_related("book__author"))  # access: eager-nested
        assert [review.book.title for review in reviews]
    assert summary(detection.findings) == [
        (
            "unused_eager_load",
            "catalog.Review",
            "book__author",
            3,
            PATH,
            line_of(THIS, "access: eager-nested"),
            "test_unused_nested_select_related_level_is_reported",
            'select_related("book__author") is never read; remove it',
        ),
    ]


def test_count_exists_and_len_of_a_prefetched_relation_count_as_reads(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), unused_eager=True) as detection:
        for book in Book.objects.prefetch_related("tags"):
            assert book.tags.count() == 1
        for book in Book.objects.prefetch_related("tags"):
            assert book.tags.exists()
        for book in Book.objects.prefetch_related("tags"):
            assert len(book.tags.all()) == 1
    assert detection.findings == []


def test_prefetch_to_attr_is_not_reported_as_unused(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), unused_eager=True) as detection:
        assert list(Book.objects.prefetch_related(Prefetch("tags", to_attr="tag_list")))
    assert detection.findings == []


def test_unused_eager_is_off_by_default(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        assert list(Book.objects.select_related("author"))
    assert detection.findings == []


@pytest.mark.parametrize("size", [0, 1])
def test_eager_load_of_empty_or_single_row_is_quiet_when_read(db: None, size: int) -> None:
    from tests.runtime.conftest import build_catalogue

    if size:
        build_catalogue(size)
    with detect(root=str(ROOT), unused_eager=True) as detection:
        authors = [book.author for book in Book.objects.select_related("author")]
    assert len(authors) == size
    assert detection.findings == []


def test_a_write_on_the_line_of_a_lazy_load_is_its_own_n_plus_one(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.all():
            Tag.objects.create(name=book.author.name)  # access: both
    assert [(f.kind, f.model, f.field, f.count) for f in detection.findings] == [
        ("lazy_load", "catalog.Book", "author", 3),
        ("repeated_query", "catalog.Tag", "", 3),
    ]
    assert {f.line for f in detection.findings} == {line_of(THIS, "access: both")}
