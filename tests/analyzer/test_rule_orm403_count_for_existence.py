"""ORM403 count-for-existence: count()/len() compared with 0 or 1, or tested for truth."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    stock = models.IntegerField()

    def __str__(self):
        return self.title


"""


def findings(tmp_path: Path, body: str) -> list[Finding]:
    return analyze_snippet(tmp_path, MODELS + body, select=("ORM403",))


def test_comparisons_with_zero_and_one_are_reported_with_the_right_replacement(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def checks():
    sold_out = Book.objects.filter(stock=0)
    a = sold_out.count() > 0
    b = Book.objects.all().count() != 0
    c = Book.objects.count() >= 1
    d = 0 < sold_out.count()
    e = sold_out.count() == 0
    f = sold_out.count() < 1
    return a, b, c, d, e, f
""",
    )

    assert codes_and_lines(found) == [("ORM403", line) for line in range(14, 20)]
    assert (
        found[0].message
        == "sold_out.count() > 0 counts every Book row only to see if there is one; use sold_out.exists()"
    )
    assert found[2].message.endswith("use Book.objects.exists()")
    assert [finding.message.rpartition("; use ")[2] for finding in found[4:]] == [
        "not sold_out.exists()",
        "not sold_out.exists()",
    ]


def test_count_and_len_tested_for_truth_are_reported(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def tests():
    if Book.objects.filter(stock=0).count():
        return 1
    if not Book.objects.filter(stock=1).count():
        return 2
    while Book.objects.filter(stock=2).count() and True:
        return 3
    return bool(Book.objects.count()) or len(Book.objects.all()) > 0
""",
    )

    assert codes_and_lines(found) == [("ORM403", 13), ("ORM403", 15), ("ORM403", 17), ("ORM403", 19), ("ORM403", 19)]
    assert found[1].message.endswith("use not Book.objects.filter(stock=1).exists()")
    assert found[4].message.startswith("len(Book.objects.all()) > 0 counts every Book row")


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def quiet(numbers, request):
    # the count is the point: compared with another number, or shown.
    many = Book.objects.count() > 10
    total = Book.objects.count()
    if total:
        print(total)
    # not a queryset.
    has_ones = numbers.count(1) > 0
    if len(numbers) > 0:
        pass
    # exists() already.
    if Book.objects.filter(stock=0).exists():
        pass
    return many, has_ones, request.session.count() > 0
""",
    )

    assert found == []


def test_queryset_from_another_function_is_followed(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def sold_out():
    return Book.objects.filter(stock=0)


def any_sold_out():
    return sold_out().count() > 0
""",
    )

    assert codes_and_lines(found) == [("ORM403", 17)]
    assert found[0].message.endswith("use sold_out().exists()")


def test_len_compared_with_zero_is_orm403_not_orm401(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS + "def any_books():\n    return len(Book.objects.all()) > 0\n",
        select=("ORM401", "ORM403"),
    )

    assert codes_and_lines(found) == [("ORM403", 13)]


def test_a_long_comparison_is_named_with_its_arguments_elided(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def next_free_title(root, number):
    while Book.objects.filter(title=f"{root} volume {number}", stock__gte=0).count() > 0:
        number += 1
    return number
""",
    )

    assert [finding.message for finding in found] == [
        "Book.objects.filter(...).count() > 0 counts every Book row only to see if there is one; "
        "use Book.objects.filter(...).exists()"
    ]
