"""ORM407 related-id-through-relation: obj.fk.id / obj.fk.pk where obj.fk_id holds the key."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.db import models
from django.shortcuts import get_object_or_404


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    code = models.ForeignKey(Author, to_field="name", on_delete=models.CASCADE, related_name="coded")

    def __str__(self):
        return self.title

"""


def findings(tmp_path: Path, body: str, select: tuple[str, ...] = ("ORM407",)) -> list[Finding]:
    return analyze_snippet(tmp_path, MODELS + body, select=select)


def test_key_read_through_the_relation_is_reported_with_the_attname(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
    def author_key(self):
        return self.author.id


def book_author_key(request, pk):
    book = get_object_or_404(Book, pk=pk)
    return book.author.pk


def review_key(book: Book):
    return book.author.id
""",
    )

    assert codes_and_lines(found) == [("ORM407", 21), ("ORM407", 26), ("ORM407", 30)]
    assert found[0].message == "self.author.id loads the Author row only to read its key; use self.author_id"
    assert found[1].message == "book.author.pk loads the Author row only to read its key; use book.author_id"
    assert (found[0].model, found[0].field) == ("app.Book", "author")


def test_in_a_loop_it_is_orm407_instead_of_orm101(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def author_keys():
    return [book.author.id for book in Book.objects.all()]
""",
        select=("ORM101", "ORM407"),
    )

    assert codes_and_lines(found) == [("ORM407", 21)]
    assert found[0].message == "book.author.id loads the Author row only to read its key; use book.author_id"


def test_a_read_in_a_helper_called_per_row_is_reported_once_in_the_helper(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def key(book):
    return book.author.id


def keys():
    return [key(book) for book in Book.objects.all()]
""",
        select=("ORM101", "ORM407"),
    )

    assert codes_and_lines(found) == [("ORM407", 21)]


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def quiet():
    # loaded by select_related: the read costs no query.
    keys = [book.author.id for book in Book.objects.select_related("author")]
    # to_field: code_id holds the name, not the primary key.
    codes = [book.code.pk for book in Book.objects.all()]
    # the key itself, and other fields of the related row.
    own = [(book.author_id, book.author.name) for book in Book.objects.select_related("author")]
    return keys, codes, own
""",
    )

    assert found == []


def test_relation_read_for_more_than_its_key_in_the_same_function_is_quiet(tmp_path: Path) -> None:
    # The author is loaded for its name anyway: author_id would save nothing.
    found = findings(
        tmp_path,
        """\
def describe(book: Book):
    return {"id": book.author.id, "name": book.author.name}
""",
    )

    assert found == []
