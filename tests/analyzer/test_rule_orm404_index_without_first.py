"""ORM404 index-without-first and ORM405 order-by-index-zero: qs[0], one finding per site."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    published_on = models.DateField()

    def __str__(self):
        return self.title


"""


def findings(tmp_path: Path, body: str) -> list[Finding]:
    return analyze_snippet(tmp_path, MODELS + body, select=("ORM404", "ORM405"))


def test_index_zero_on_unordered_querysets_is_orm404(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def picks(title):
    first = Book.objects.filter(title=title)[0]
    books = Book.objects.exclude(title="")
    other = books[0]
    # values_list rows raise IndexError the same way; .first() works on them too.
    name = Book.objects.values_list("title", flat=True)[0]
    return first, other, name
""",
    )

    assert codes_and_lines(found) == [("ORM404", 13), ("ORM404", 15), ("ORM404", 17)]
    assert found[0].message == (
        "Book.objects.filter(title=title)[0] raises IndexError when no Book matches; "
        "use Book.objects.filter(title=title).first() and handle None"
    )
    assert found[1].message.endswith("use books.first() and handle None")


def test_index_zero_after_order_by_is_orm405_only(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def picks():
    newest = Book.objects.order_by("-published_on")[0]
    oldest = Book.objects.order_by("published_on")[0]
    by_title = Book.objects.filter(title__gt="").order_by("title")[0]
    return newest, oldest, by_title
""",
    )

    assert codes_and_lines(found) == [("ORM405", 13), ("ORM405", 14), ("ORM405", 15)]
    assert found[0].message == (
        "Book.objects.order_by('-published_on')[0] raises IndexError when the queryset is empty; "
        "use Book.objects.latest(\"published_on\") (or Book.objects.order_by('-published_on').first())"
    )
    assert found[1].message.endswith(
        "use Book.objects.earliest(\"published_on\") (or Book.objects.order_by('published_on').first())"
    )
    assert found[2].message.endswith("use Book.objects.filter(title__gt='').order_by('title').first()")


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def guarded(rows):
    try:
        first = Book.objects.order_by("title")[0]
    except IndexError:
        first = None
    books = Book.objects.all()
    if books.exists():
        second = books[0]
    third = Book.objects.filter(title="a").exists() and Book.objects.filter(title="a")[0]
    # a slice is not an index; a list is not a queryset.
    top = Book.objects.all()[:1]
    return first, second, third, top, rows[0]
""",
    )

    assert found == []
