"""Flow behaviours that every rule relies on: arguments, dicts, generators, recursion and unknown code."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzer.findings import Fix
from tests.analyzer.flow_helpers import expected, flow_findings, marked_lines
from tests.analyzer.helpers import codes_and_lines


def test_queryset_passed_as_argument_is_followed_into_the_callee(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def render(books):
            return [book.author.name for book in books]  # expect


        def page():
            return render(Book.objects.filter(price=1))  # built
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")
    built = marked_lines(source, "# built")[0]
    assert replace(findings[0].fix, edit=None) == Fix('add .select_related("author")', "app/models.py", built)


def test_in_bulk_values_and_dict_comprehension_values_are_rows_when_iterated(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def by_id(ids):
            for book in Book.objects.in_bulk(ids).values():
                print(book.author.name)  # expect
            index = {book.pk: book for book in Book.objects.all()}
            for book in index.values():
                print(book.publisher.name)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_generator_function_yields_rows(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def cheap_books():
            for book in Book.objects.filter(price__lt=3):
                yield book


        def names():
            return [book.author.name for book in cheap_books()]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_recursive_functions_and_unknown_code_stay_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        import somewhere


        def walk(node, depth=0):
            if depth > 3:
                return node
            return walk(node.parent, depth + 1)


        def names():
            try:
                rows = somewhere.load()
            except Exception:
                rows = []
            while rows:
                rows = rows[1:]
            return [row.author.name for row in somewhere.more(rows)] + [walk(x) for x in rows]
        """,
    )
    assert findings == []


def test_module_level_loop_is_checked(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        for book in Book.objects.all():
            print(book.author)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_model_annotated_parameter_is_one_instance_whose_managers_give_rows(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def titles(author: Author):
            print(author.publisher.name)
            return [book.publisher.name for book in author.books.all()]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")
