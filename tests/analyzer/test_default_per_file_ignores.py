"""The default per-file-ignores: tests are left out, management commands keep only their per-row reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.cli import main
from tests.analyzer.helpers import write_tree

MODELS = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title
"""
# One per-row relation read (ORM101) and one query per loop item (ORM201), in every file below.
LOOPS = """\
from shop.models import Book


def run(titles):
    for book in Book.objects.all():
        print(book.author.name)
    for title in titles:
        Book.objects.get(title=title)
"""
FILES = {
    "shop/__init__.py": "",
    "shop/models.py": MODELS,
    "shop/views.py": LOOPS,
    "shop/tests/test_views.py": LOOPS,
    "shop/test_models.py": LOOPS,
    "shop/tests.py": LOOPS,
    "conftest.py": LOOPS,
    "shop/management/commands/reindex.py": LOOPS,
}


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path, FILES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def reported(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    main(["--select", "ORM101,ORM201", *args, "."])
    lines = capsys.readouterr().out.splitlines()
    return [line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in lines[: lines.index("")]]


def test_tests_are_left_out_and_commands_keep_their_per_row_reads(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert reported(capsys) == [
        "shop/management/commands/reindex.py:6:15: ORM101",
        "shop/views.py:6:15: ORM101",
        "shop/views.py:8:9: ORM201",
    ]


def test_a_per_file_ignores_table_replaces_the_defaults(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "pyproject.toml").write_text(
        '[tool.django-orm-analyzer]\nper-file-ignores = {"conftest.py" = ["ORM"]}\n', encoding="utf-8"
    )

    assert reported(capsys) == [
        "shop/management/commands/reindex.py:6:15: ORM101",
        "shop/management/commands/reindex.py:8:9: ORM201",
        "shop/test_models.py:6:15: ORM101",
        "shop/test_models.py:8:9: ORM201",
        "shop/tests.py:6:15: ORM101",
        "shop/tests.py:8:9: ORM201",
        "shop/tests/test_views.py:6:15: ORM101",
        "shop/tests/test_views.py:8:9: ORM201",
        "shop/views.py:6:15: ORM101",
        "shop/views.py:8:9: ORM201",
    ]


def test_extend_per_file_ignores_adds_to_the_defaults(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "pyproject.toml").write_text(
        '[tool.django-orm-analyzer]\nextend-per-file-ignores = {"shop/views.py" = ["ORM201"]}\n', encoding="utf-8"
    )

    assert reported(capsys) == [
        "shop/management/commands/reindex.py:6:15: ORM101",
        "shop/views.py:6:15: ORM101",
    ]


def test_an_unknown_code_in_extend_per_file_ignores_is_a_usage_error(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shop / "pyproject.toml").write_text(
        '[tool.django-orm-analyzer]\nextend-per-file-ignores = {"shop/*" = ["ORM7"]}\n', encoding="utf-8"
    )

    assert main(["."]) == 2
    assert capsys.readouterr().err == (
        'django-orm-analyzer: error: unknown rule code or prefix in per-file-ignores "shop/*": ORM7\n'
    )
