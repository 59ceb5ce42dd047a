"""The ORM112 fix through ``--fix``: ``list_select_related`` is set safely only where Django joined nothing
before; where a foreign key in ``list_display`` made Django join every non-null key itself, setting the tuple
narrows that join, so the fix is unsafe."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.findings import Applicability
from tests.analyzer.helpers import analyze_tree, write_tree

MODELS = """
from django.db import models


class Country(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=100)
    country = models.ForeignKey(Country, null=True, on_delete=models.SET_NULL, related_name="authors")

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    editor = models.ForeignKey(Author, null=True, on_delete=models.SET_NULL, related_name="edited")

    def __str__(self):
        return self.title
"""
# No foreign key among the columns: Django joins nothing, so the tuple only adds a join.
READS_A_RELATION = """
from django.contrib import admin

from shop.models import Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "author_name")  # the changelist

    @admin.display(description="author")
    def author_name(self, obj):
        return obj.author.name
"""
# "author" is a foreign key column: Django calls select_related() (every non-null key); the nullable editor is
# not in it, and a tuple naming only the editor would drop the author join.
READS_A_NULLABLE_RELATION = """
from django.contrib import admin

from shop.models import Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "editor_name")

    @admin.display(description="editor")
    def editor_name(self, obj):
        return obj.editor.name if obj.editor else ""
"""


def _applicability(tmp_path: Path, admin: str) -> list[Applicability | None]:
    findings = analyze_tree(tmp_path, {"shop/models.py": MODELS, "shop/admin.py": admin}, select=("ORM112",)).findings
    return [finding.fix.edit.applicability if finding.fix and finding.fix.edit else None for finding in findings]


def test_list_select_related_is_a_safe_fix_when_django_joined_nothing(tmp_path: Path) -> None:
    assert _applicability(tmp_path, READS_A_RELATION) == [Applicability.SAFE]


def test_list_select_related_is_unsafe_when_it_replaces_djangos_own_join(tmp_path: Path) -> None:
    assert _applicability(tmp_path, READS_A_NULLABLE_RELATION) == [Applicability.UNSAFE]


def test_fix_sets_list_select_related_below_list_display(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"shop/models.py": MODELS, "shop/admin.py": READS_A_RELATION})
    monkeypatch.chdir(tmp_path)

    code = main(["--select", "ORM112", "--no-cache", "--fix", "."])

    assert code == 0
    assert (tmp_path / "shop" / "admin.py").read_text(encoding="utf-8") == textwrap.dedent(READS_A_RELATION).lstrip(
        "\n"
    ).replace("  # the changelist\n", '  # the changelist\n    list_select_related = ("author",)\n')
    assert capsys.readouterr().err.splitlines()[-1] == "Fixed 1 finding in 1 file."
