"""ORM101 related-access-in-loop: forward FK/O2O and reverse O2O loaded per row."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzer.findings import Fix, RelatedLocation
from tests.analyzer.flow_helpers import expected, flow_findings, marked_lines
from tests.analyzer.helpers import codes_and_lines


def test_forward_foreign_key_in_for_loop_reports_message_fix_and_queryset_line(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def names():
            books = Book.objects.filter(price__gt=1)  # built
            for book in books:
                print(book.author.name)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")
    (finding,) = findings
    built = marked_lines(source, "# built")[0]
    assert finding.message == (
        f"book.author is loaded once per row of Book.objects.filter(...) (line {built}); "
        'add .select_related("author") there'
    )
    assert finding.model == "app.Book"
    assert finding.field == "author"
    assert replace(finding.fix, edit=None) == Fix('add .select_related("author")', "app/models.py", built)
    assert finding.related == (RelatedLocation("app/models.py", built, "queryset built here"),)


def test_select_related_covers_the_access_and_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def names():
            return [book.author.name for book in Book.objects.select_related("author")]
        """,
    )
    assert findings == []


def test_select_related_on_reassigned_queryset_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def names():
            books = Book.objects.all()
            books = books.select_related("author")
            return [book.author.name for book in books]
        """,
    )
    assert findings == []


def test_select_related_on_one_branch_only_is_reported(tmp_path: Path) -> None:
    # Eager on one branch only: the other branch still loads the author per row.
    source, findings = flow_findings(
        tmp_path,
        """
        def names(fast):
            books = Book.objects.all()
            if fast:
                books = books.select_related("author")
            return [book.author.name for book in books]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_select_related_on_both_branches_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def names(cheap):
            if cheap:
                books = Book.objects.filter(price__lt=5).select_related("author")
            else:
                books = Book.objects.select_related("author", "publisher")
            return [book.author.name for book in books]
        """,
    )
    assert findings == []


def test_foreign_key_id_and_pk_need_no_query_and_are_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def ids():
            return [(book.author_id, book.pk, book.id, book.title) for book in Book.objects.all()]
        """,
    )
    assert findings == []


def test_nested_path_is_one_finding_with_the_full_select_related_path(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def publishers():
            for book in Book.objects.all():
                print(book.author.publisher.name)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")
    assert findings[0].fix is not None
    assert findings[0].fix.message == 'add .select_related("author__publisher")'


def test_repeated_reads_in_one_loop_are_one_finding(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def names():
            for book in Book.objects.all():
                print(book.author.name)  # expect
                print(book.author.id)
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_reverse_one_to_one_in_loop_is_reported(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def cities():
            return {author.name: author.profile.city for author in Author.objects.all()}  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")
    assert findings[0].field == "profile"
    assert findings[0].model == "app.Author"


def test_single_object_access_is_not_per_row_and_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def first_author():
            book = Book.objects.get(pk=1)
            return book.author.name
        """,
    )
    assert findings == []


def test_sorted_key_lambda_reads_per_row(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def by_author():
            return sorted(Book.objects.all(), key=lambda book: book.author.name)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_list_then_enumerate_and_zip_keep_the_rows(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def numbered():
            books = list(Book.objects.filter(price=1))
            for index, book in enumerate(books):
                print(index, book.author.name)  # expect
            for book, other in zip(Book.objects.all(), books):
                print(book.publisher.name)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_helper_function_called_per_row_reports_at_the_call(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def describe(book):
            return book.author.name  # helper


        def descriptions():
            return [describe(book) for book in Book.objects.all()]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")
    helper_line = marked_lines(source, "# helper")[0]
    assert findings[0].related[0] == RelatedLocation("app/models.py", helper_line, "book.author here")


def test_rows_stored_for_later_are_per_row_again_when_iterated(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def later():
            kept = []
            for book in Book.objects.all():
                kept.append(book)
            for book in kept:
                print(book.author.name)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_values_rows_are_dicts_and_are_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def titles():
            return [row["author"] for row in Book.objects.values("title", "author")]
        """,
    )
    assert findings == []


def test_unknown_iterable_is_quiet(tmp_path: Path) -> None:
    # Nothing is known about `books`: unknown code stays silent.
    _, findings = flow_findings(
        tmp_path,
        """
        def names(books):
            return [book.author.name for book in books]
        """,
    )
    assert findings == []
