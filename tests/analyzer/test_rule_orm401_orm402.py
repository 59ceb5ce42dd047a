"""ORM401 len-queryset and ORM402 queryset-truthiness: only when the rows are not used afterwards."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.flow_helpers import expected, flow_findings
from tests.analyzer.helpers import codes_and_lines


def test_orm401_len_of_a_queryset_expression(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def total():
            return len(Book.objects.filter(price=1))  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM401")
    assert findings[0].message == (
        "len(Book.objects.filter(price=1)) loads every Book row only to count them; "
        "use Book.objects.filter(price=1).count()"
    )


def test_orm401_len_of_a_variable_only_counted(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def total():
            books = Book.objects.all()
            return len(books)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM401")


def test_orm401_len_when_rows_are_used_afterwards_is_quiet(tmp_path: Path) -> None:
    # len() fills the result cache that the loop then reuses: one query either way.
    _, findings = flow_findings(
        tmp_path,
        """
        def listing():
            books = Book.objects.all()
            print(len(books))
            for book in books:
                print(book.title)
        """,
    )
    assert findings == []


def test_orm401_len_of_a_list_or_prefetched_relation_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def sizes():
            print(len(list(Book.objects.all())))
            return [len(author.books.all()) for author in Author.objects.prefetch_related("books")]
        """,
    )
    assert findings == []


def test_orm402_if_queryset_and_not_queryset(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def checks():
            cheap = Book.objects.filter(price__lt=2)
            if cheap:  # expect
                print("cheap books")
            if not Tag.objects.all():  # expect
                print("no tags")
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM402")


def test_orm402_truthiness_when_rows_are_used_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def listing():
            books = Book.objects.all()
            if books:
                return [book.title for book in books]
            return []
        """,
    )
    assert findings == []


def test_related_manager_tested_per_row_is_reported_once_as_orm102(tmp_path: Path) -> None:
    # The per-row query is the problem to fix first; ORM402 would repeat it at the same access.
    source, findings = flow_findings(
        tmp_path,
        """
        def with_tags():
            return [book.title for book in Book.objects.all() if book.tags.all()]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM102")


def test_orm401_orm402_on_a_cached_attribute_reused_later_are_quiet_beside_a_property(tmp_path: Path) -> None:
    # A cached_property (or a plain attribute) keeps the rows len() or the test fetched: the template or the next
    # reader iterates the filled cache. A property builds a new queryset on every read, so its rows are unused.
    source, findings = flow_findings(
        tmp_path,
        """
        from django.utils.functional import cached_property


        class Shelf:
            @cached_property
            def books(self):
                return Book.objects.filter(price__gt=0)

            @property
            def fresh_books(self):
                return Book.objects.filter(price__gt=0)

            def summary(self):
                if not self.books:
                    return ""
                if not self.fresh_books:  # expect
                    return ""
                return len(self.books)
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM402")
    assert findings[0].message == (
        "testing self.fresh_books loads every Book row only to see if there is one; use self.fresh_books.exists()"
    )


def test_orm402_walrus_names_the_tested_queryset_and_is_quiet_when_the_name_is_reused(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def first_title(request):
            if books := Book.objects.filter(price__gt=0):
                request.books = books
            if cheap := Book.objects.filter(price=0):  # expect
                return "cheap"
            return ""
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM402")
    assert findings[0].message == (
        "testing Book.objects.filter(price=0) loads every Book row only to see if there is one; "
        "use Book.objects.filter(price=0).exists()"
    )
