"""Django's own machinery in and around N+1s: labels of the statements, library templates, single rows, prefetches."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path
from typing import Any

from catalog.models import Author, Book, Category, Review
from django import forms
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.template import Context, Engine, Template
from django.template.base import Origin

from runtime import detect
from runtime._scope import model_for_sql
from tests.runtime.conftest import ROOT, Catalogue, line_of

THIS = Path(__file__)
PATH = "tests/runtime/test_django_machinery.py"
HERE = THIS.parent


def sites(findings: list[object]) -> list[tuple[str, str, str, int, str, int]]:
    return [(f.kind, f.model, f.field, f.count, f.path, f.line) for f in findings]  # type: ignore[attr-defined]


def test_an_exists_annotation_is_labelled_with_the_outer_model(catalogue: Catalogue) -> None:
    has_books = Exists(Book.objects.filter(author=OuterRef("pk")))
    with detect(root=str(ROOT)) as detection:
        for book in catalogue.books:
            assert Author.objects.annotate(has_books=has_books).get(pk=book.author_id).has_books  # loop: exists
    assert sites(detection.findings) == [
        ("repeated_query", "catalog.Author", "", 3, PATH, line_of(THIS, "loop: exists")),
    ]


def test_the_label_is_the_first_table_outside_parentheses() -> None:
    sql = (
        'SELECT "catalog_author"."id", EXISTS(SELECT 1 AS "a" FROM "catalog_book" U0 WHERE U0."author_id" = '
        '("catalog_author"."id") LIMIT 1) AS "has_books" FROM "catalog_author" WHERE "catalog_author"."id" = %s'
    )
    assert model_for_sql(sql) == "catalog.Author"
    assert model_for_sql('SELECT COUNT(*) FROM (SELECT "catalog_book"."id" FROM "catalog_book") subquery') == (
        "catalog.Book"
    )


def test_an_auto_created_many_to_many_table_has_its_model(catalogue: Catalogue) -> None:
    through = Book.tags.through
    with detect(root=str(ROOT)) as detection:
        counts = [through.objects.filter(book_id=book.pk).count() for book in catalogue.books]  # loop: through
    assert counts == [1, 1, 1]
    assert sites(detection.findings) == [
        ("repeated_query", "catalog.Book_tags", "", 3, PATH, line_of(THIS, "loop: through")),
    ]
    assert detection.findings[0].message().startswith("N+1 detected: repeated query on catalog.Book_tags at ")


def test_a_library_template_loop_is_reported_at_the_users_include(catalogue: Catalogue) -> None:
    # A library's template (a table renderer's, under site-packages) loops over the rows the user passed in.
    library_template = os.path.join(sysconfig.get_paths()["purelib"], "tablelib", "templates", "table.html")
    engine = Engine(dirs=[str(HERE / "templates")])
    table = Template(
        "{% for book in rows %}<td>{{ book.author.name }}</td>{% endfor %}",
        origin=Origin(name=library_template, template_name="table.html"),
        engine=engine,
    )
    page = engine.get_template("runtime_table_page.html")
    with detect(root=str(ROOT)) as detection:
        html = page.render(Context({"table": table, "rows": Book.objects.all()}))
    assert html.count("<td>") == 3
    page_path = HERE / "templates" / "runtime_table_page.html"
    assert sites(detection.findings) == [
        (
            "lazy_load",
            "catalog.Book",
            "author",
            3,
            "tests/runtime/templates/runtime_table_page.html",
            line_of(page_path, "render: library-table"),
        ),
    ]


def test_prefetch_related_objects_is_quiet_and_keeps_the_next_query_counted(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        books = list(Book.objects.all())
        prefetch_related_objects(books, "tags")
        assert [tag.name for book in books for tag in book.tags.all()] == ["tag0", "tag1", "tag2"]
        counts = [Review.objects.filter(book=book).count() for book in books]  # loop: after-prefetch
    assert counts == [1, 1, 1]
    # Each of the three counts is counted: no query is taken for a lazy load prefetch_related_objects never ran.
    assert sites(detection.findings) == [
        ("repeated_query", "catalog.Review", "", 3, PATH, line_of(THIS, "loop: after-prefetch")),
    ]


def test_iterator_chunks_with_a_prefetch_are_quiet(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        books = Book.objects.prefetch_related("tags").order_by("pk").iterator(chunk_size=1)
        assert [[tag.name for tag in book.tags.all()] for book in books] == [["tag0"], ["tag1"], ["tag2"]]
    assert detection.findings == []


def test_one_cascading_delete_is_quiet_and_a_delete_per_item_is_not(catalogue: Catalogue) -> None:
    root = Category.objects.create(name="root")
    level = [root]
    for depth in range(3):
        level = [Category.objects.create(name=f"c{depth}", parent=parent) for parent in level for _ in range(2)]
    with detect(root=str(ROOT)) as one_delete:
        # The collector walks the tree one level per query (and sets books' category to NULL per level).
        root.delete()
    with detect(root=str(ROOT)) as per_item:
        for review in list(Review.objects.all()):
            review.delete()  # loop: delete-per-item
    assert Category.objects.count() == 0
    assert one_delete.findings == []
    assert sites(per_item.findings) == [
        ("repeated_query", "catalog.Review", "", 3, PATH, line_of(THIS, "loop: delete-per-item")),
    ]


def test_an_unused_eager_load_of_a_single_row_is_reported(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), unused_eager=True) as detection:
        book = Book.objects.select_related("publisher").order_by("pk")[0]  # access: single-row
        assert book.title == "book0"
    assert [(f.kind, f.model, f.field, f.count, f.line, f.fix) for f in detection.findings] == [
        (
            "unused_eager_load",
            "catalog.Book",
            "publisher",
            1,
            line_of(THIS, "access: single-row"),
            'select_related("publisher") is never read; remove it',
        )
    ]


def _free_title(base: str) -> str:
    title, number = base, 0
    while Book.objects.filter(title=title).exists():  # probe: free-title
        number += 1
        title = f"{base}-{number}"
    return title


def test_a_while_loop_probing_for_a_free_value_is_not_a_loop_over_rows(catalogue: Catalogue) -> None:
    Book.objects.filter(pk=catalogue.books[1].pk).update(title="book0-1")
    Book.objects.filter(pk=catalogue.books[2].pk).update(title="book0-2")
    with detect(root=str(ROOT)) as detection:
        assert _free_title("book0") == "book0-3"
    assert detection.findings == []


def test_one_library_call_running_several_queries_is_one_piece_of_work(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as one_call:
        Author.objects.bulk_create([Author(name=f"batch{index}") for index in range(4)], batch_size=1)
    with detect(root=str(ROOT)) as per_item:
        for index in range(3):
            Author.objects.bulk_create([Author(name=f"single{index}")])  # loop: bulk-create-per-item
    assert one_call.findings == []
    assert sites(per_item.findings) == [
        ("repeated_query", "catalog.Author", "", 3, PATH, line_of(THIS, "loop: bulk-create-per-item")),
    ]


class _BookForm(forms.Form):
    def __init__(self, *args: Any, book: Book, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.author_name = book.author.name  # per-row: form-init


class _BookFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    books: list[Book]

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        assert index is not None
        return {"book": self.books[index]}


def test_a_formset_building_one_form_per_row_is_a_loop_over_the_rows(catalogue: Catalogue) -> None:
    # Django's formset loops over the forms: like a template's {% for %}, a library loop over the user's rows.
    formset_class = forms.formset_factory(_BookForm, formset=_BookFormSet, extra=3)
    with detect(root=str(ROOT)) as detection:
        formset = formset_class()
        formset.books = list(Book.objects.order_by("pk"))
        assert [form.author_name for form in formset.forms] == ["author0", "author1", "author2"]
    assert sites(detection.findings) == [
        ("lazy_load", "catalog.Book", "author", 3, PATH, line_of(THIS, "per-row: form-init")),
    ]
