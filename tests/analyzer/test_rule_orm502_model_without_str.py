"""ORM502 model-without-str: concrete models that neither define nor inherit __str__."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.helpers import analyze_snippet, analyze_tree, codes_and_lines

HEADER = """\
from django.db import models


"""


def test_model_without_str_is_reported_at_the_class_name(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path, HEADER + "class Tag(models.Model):\n    name = models.CharField(max_length=50)\n", select=("ORM502",)
    )

    assert codes_and_lines(found) == [("ORM502", 4)]
    assert (found[0].column, found[0].end_line, found[0].end_column) == (1, 4, 10)
    assert found[0].message == 'model Tag has no __str__, so it shows as "Tag object (1)"; define __str__'
    assert found[0].model == "app.Tag"


def test_quiet_cases(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        HEADER
        + """\
class Base(models.Model):
    # abstract: its concrete subclasses are what is shown.
    class Meta:
        abstract = True


class Named(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Shelf(Named):
    # a multi-table child inherits Named.__str__.
    width = models.IntegerField()


class NamedProxy(Named):
    class Meta:
        proxy = True


class Printable:
    def __str__(self):
        return "printable"


class Poster(Printable, models.Model):
    # __str__ comes from a plain mixin.
    title = models.CharField(max_length=50)
""",
        select=("ORM502",),
    )

    assert found == []


def test_str_inherited_from_an_abstract_base_in_another_file_counts(tmp_path: Path) -> None:
    result = analyze_tree(
        tmp_path,
        {
            "core/models.py": HEADER
            + """\
class Titled(models.Model):
    title = models.CharField(max_length=50)

    class Meta:
        abstract = True

    def __str__(self):
        return self.title


class Untitled(models.Model):
    class Meta:
        abstract = True
""",
            "shop/models.py": HEADER
            + """\
from core.models import Titled, Untitled


class Book(Titled):
    pages = models.IntegerField()


class Leaflet(Untitled):
    pages = models.IntegerField()
""",
        },
        select=("ORM502",),
    )

    assert [(finding.path, finding.line) for finding in result.findings] == [("shop/models.py", 11)]


def test_model_with_a_base_from_outside_the_project_is_quiet(tmp_path: Path) -> None:
    # The third-party base may define __str__; the analysis cannot read it.
    found = analyze_snippet(
        tmp_path,
        HEADER
        + """\
from thirdparty.mixins import AuditMixin


class Entry(AuditMixin, models.Model):
    body = models.TextField()
""",
        select=("ORM502",),
    )

    assert found == []
