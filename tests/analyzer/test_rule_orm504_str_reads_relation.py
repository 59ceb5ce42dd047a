"""ORM504 str-reads-relation: __str__ reading a related object of self."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import RelatedLocation
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.conf import settings
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


"""


def test_relations_read_in_str_are_reported_once_at_the_first_read(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class Review(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")

    def __str__(self):
        label = f"{self.reviewer.username} on {self.author.name}"
        if self.author.name:
            return label
        return str(self.author)
""",
        select=("ORM504",),
    )

    # One finding for the whole __str__: one select_related() call fixes every read.
    assert codes_and_lines(found) == [("ORM504", 17)]
    assert [finding.column for finding in found] == [20]
    assert found[0].message == (
        "Review.__str__ reads self.reviewer and self.author: one User query, one Author query for every Review "
        'shown unless each queryset uses select_related("reviewer", "author"); show own fields only'
    )
    assert [finding.field for finding in found] == ["reviewer"]
    assert found[0].related == (RelatedLocation("app/models.py", 16, "Review.__str__ defined here"),)


def test_reverse_one_to_one_in_str_is_reported(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class Bio(models.Model):
    author = models.OneToOneField(Author, on_delete=models.CASCADE, related_name="bio")
    text = models.TextField()

    def __str__(self):
        return self.text


class Pen(models.Model):
    name = models.CharField(max_length=100)
    author = models.OneToOneField(Author, on_delete=models.CASCADE, related_name="pen")

    def __str__(self):
        return self.author.bio.text
""",
        select=("ORM504",),
    )

    # Pen.__str__ reads self.author; author.bio is a second hop on another model, reported as one finding.
    assert codes_and_lines(found) == [("ORM504", 25)]


def test_quiet_cases(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        # the key column needs no query.
        return f"{self.title} ({self.author_id})"

    def label(self):
        # not __str__: ORM107 covers methods used per row.
        return self.author.name
""",
        select=("ORM504",),
    )

    assert found == []
