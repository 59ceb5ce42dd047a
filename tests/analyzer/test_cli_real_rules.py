"""End to end through the command line with the real rule catalogue (ORM101) on a small Django-style app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.fix.targets import text_digest
from tests.analyzer.helpers import write_tree

MODELS = """
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
VIEWS = """
from shop.models import Book


def author_names():
    books = Book.objects.all()
    return [book.author.name for book in books]


def author_names_fixed():
    books = Book.objects.select_related("author")
    return [book.author.name for book in books]


def author_names_accepted():
    return [book.author.name for book in Book.objects.all()]  # noqa: ORM101
"""
EXPECTED_MESSAGE = (
    'book.author is loaded once per row of Book.objects.all() (line 5); add .select_related("author") there'
)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path, {"shop/models.py": MODELS, "shop/views.py": VIEWS})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_related_access_in_loop_is_reported_once_in_text(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--select", "ORM101", "--show-fix", "."])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0] == f"shop/views.py:6:13: ORM101 [*] {EXPECTED_MESSAGE}"
    assert lines[2].startswith("Found 1 finding in 3 files")


def test_related_access_in_loop_compact_line_leaves_the_fix_out(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--select", "ORM101", "."])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0] == (
        "shop/views.py:6:13: ORM101 [*] book.author is loaded once per row of Book.objects.all() (line 5)"
    )
    assert lines[2].startswith("Found 1 finding in 3 files")


def test_related_access_in_loop_in_json_with_fix_and_runtime_confirmation(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shop / "runtime.json").write_text(
        json.dumps(
            {
                "version": 1,
                "findings": [
                    {"kind": "lazy_load", "model": "shop.Book", "field": "author", "count": 3,
                     "path": "shop/views.py", "line": 6, "function": "author_names", "sql": "SELECT ...",
                     "origin": "test tests/test_views.py::test_names"},
                ],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip

    code = main(["--select", "ORM101", "--format", "json", "--runtime-report", "runtime.json", "."])

    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["findings"] == [
        {
            "code": "ORM101",
            "name": "related-access-in-loop",
            "severity": "warning",
            "message": EXPECTED_MESSAGE,
            "path": "shop/views.py",
            "line": 6,
            "column": 13,
            "end_line": 6,
            "end_column": 24,
            "model": "shop.Book",
            "field": "author",
            "fix": {
                "message": 'add .select_related("author")',
                "path": "shop/views.py",
                "line": 5,
                "edit": {
                    "kind": "select_related",
                    "applicability": "safe",
                    "line": 5,
                    "column": 13,
                    "end_line": 5,
                    "end_column": 31,
                    "arguments": ["author"],
                    "digest": text_digest((shop / "shop" / "views.py").read_text(encoding="utf-8")),
                },
            },
            "related": [{"path": "shop/views.py", "line": 5, "message": "queryset built here"}],
            "confirmed": True,
        }
    ]
    assert document["runtime_only"] == []
    assert document["errors"] == []


def test_baseline_with_a_real_rule_survives_an_inserted_line(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--select", "ORM101", "--write-baseline", "baseline.json", "."]) == 0
    views = shop / "shop" / "views.py"
    views.write_text(
        views.read_text(encoding="utf-8").replace("\n\n\ndef author_names():", "\nimport os\n\n\ndef author_names():"),
        encoding="utf-8",
    )

    assert main(["--select", "ORM101", "--baseline", "baseline.json", "."]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Found 0 findings in 3 files")
