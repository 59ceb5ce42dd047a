"""ORM901 all-for-few-fields (opt-in): loops over whole rows that read one or two fields."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from analyzer.rules import rule_by_code
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    isbn = models.CharField(max_length=13)
    summary = models.TextField()
    price = models.IntegerField()
    pages = models.IntegerField()
    author = models.ForeignKey("Author", on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


"""


def findings(tmp_path: Path, body: str, select: tuple[str, ...] = ("ORM901",)) -> list[Finding]:
    return analyze_snippet(tmp_path, MODELS + body, select=select)


def test_loops_reading_one_or_two_fields_are_reported_at_the_queryset(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def titles():
    return [book.title for book in Book.objects.all()]


def price_list():
    rows = []
    for book in Book.objects.filter(pages__gt=100):
        rows.append((book.isbn, book.price))
    return rows
""",
    )

    assert codes_and_lines(found) == [("ORM901", 24), ("ORM901", 29)]
    assert found[0].message == (
        "the loop reads only Book.title of Book.objects.all(), which loads all 7 columns of each row; "
        'use Book.objects.all().values_list("title", flat=True) (or .only("title"))'
    )
    assert found[1].message.endswith('.values_list("isbn", "price") (or .only("isbn", "price"))')
    assert found[1].column == 17


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def quiet(out):
    # three fields.
    a = [(b.title, b.isbn, b.price) for b in Book.objects.all()]
    # the instance itself is passed on.
    for b in Book.objects.all():
        out.append(b)
    # a method, a relation, a write.
    c = [str(b.get_absolute_url()) for b in Book.objects.all()]
    d = [b.author for b in Book.objects.all()]
    for b in Book.objects.all():
        b.title = b.title.upper()
    # the columns are already narrowed.
    e = [b.title for b in Book.objects.only("title")]
    # a model with few columns.
    f = [a.name for a in Author.objects.all()]
    return a, c, d, e, f
""",
    )

    assert found == []


def test_rule_is_opt_in(tmp_path: Path) -> None:
    rule = rule_by_code("ORM901")

    assert rule is not None and rule.default_enabled is False
    assert findings(tmp_path, "def titles():\n    return [b.title for b in Book.objects.all()]\n", select=()) == []
