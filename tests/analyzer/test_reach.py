"""Patterns from real projects' N+1 fixes that the static pass follows, each with its quiet twin: models on bases
outside the analysed tree, oscar's get_model/get_class loading, and the other ways real projects reach their rows."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.helpers import analyze_tree, codes_and_lines

UNREADABLE_BASE_MODELS = """
from django.db import models
from django_extensions.db.models import TimeStampedModel
from softdelete.models import SoftDeleteModel

from shop.loading import import_from_setting

ModelBase = import_from_setting("SHOP_MODEL_BASE")


class Author(TimeStampedModel):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(SoftDeleteModel):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class Review(ModelBase):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")

    def __str__(self):
        return str(self.pk)
"""

UNREADABLE_BASE_REPORT = """
from shop.models import Book, Review


def bylines():
    return [f"{book.title} by {book.author.name}" for book in Book.objects.all()]


def reviewed_titles():
    return [review.book.title for review in Review.objects.filter(pk__gt=0)]
"""


def test_models_on_unreadable_bases_report_their_relations_per_row(tmp_path: Path) -> None:
    files = {
        "shop/loading.py": "def import_from_setting(name):\n    return None\n",
        "shop/models.py": UNREADABLE_BASE_MODELS,
        "shop/report.py": UNREADABLE_BASE_REPORT,
    }
    findings = analyze_tree(tmp_path, files, select=("ORM101",)).findings
    assert [(finding.path, finding.line, finding.message) for finding in findings] == [
        (
            "shop/report.py",
            5,
            'book.author is loaded once per row of Book.objects.all() (line 5); add .select_related("author") there',
        ),
        (
            "shop/report.py",
            9,
            "review.book is loaded once per row of Review.objects.filter(...) (line 9); "
            'add .select_related("book") there',
        ),
    ]


def test_models_on_unreadable_bases_with_select_related_are_quiet(tmp_path: Path) -> None:
    report = UNREADABLE_BASE_REPORT.replace("Book.objects.all()", 'Book.objects.select_related("author")').replace(
        "Review.objects.filter(pk__gt=0)", 'Review.objects.select_related("book")'
    )
    files = {
        "shop/loading.py": "def import_from_setting(name):\n    return None\n",
        "shop/models.py": UNREADABLE_BASE_MODELS,
        "shop/report.py": report,
    }
    assert codes_and_lines(analyze_tree(tmp_path, files, select=("ORM1",)).findings) == []
