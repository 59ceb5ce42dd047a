"""A spoiled or unwritable cache and deeply nested valid code: each must cost at most speed, never findings.

A cache entry with the right wrapper and wrong contents is a miss, in this run and the next; a cache folder that
cannot be written is reported once; a file that Python's own ``ast.parse`` accepts is analysed however deep its
call chains and expressions go.
"""

from __future__ import annotations

import ast
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from analyzer import workers
from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import AnalysisResult
from tests.analyzer.helpers import write_tree

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=10)

    def __str__(self):
        return self.name


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField("Tag", related_name="books")

    def __str__(self):
        return "book"


class Tag(models.Model):
    name = models.CharField(max_length=10)

    def __str__(self):
        return self.name
"""
VIEWS = """
from shop.models import Author, Book


def titles():
    return [book.author.name for book in Book.objects.all()]


def tag_names():
    for book in Book.objects.all():
        print([tag.name for tag in book.tags.all()])


def counts():
    for author in Author.objects.all():
        print(Book.objects.filter(author=author).count())
"""
LEAF = """
def helper():
    return 1
"""


def shop(root: Path) -> Path:
    write_tree(root, {"shop/models.py": MODELS, "shop/views.py": VIEWS, "shop/leaf.py": LEAF})
    return root


def summary(result: AnalysisResult) -> tuple[list[tuple[str, str, int, int, str]], list[tuple[str, str]]]:
    findings = [(f.code, f.path, f.line, f.column, f.message) for f in result.findings]
    return findings, [(error.path, error.message) for error in result.errors]


SPOILED_PAYLOADS: dict[str, Any] = {
    "finding-without-keys": {"findings": [{"code": "ORM101"}], "errors": []},
    "findings-not-a-list": {"findings": 3, "errors": None},
    "error-without-message": {"findings": [], "errors": [{"path": 1}]},
    "finding-of-wrong-type": {"findings": [None], "errors": []},
    "empty": {},
    "other-shape": {"models": [1], "by_qualname": 2, "fingerprints": "x", "contributors": {"a": 1}, "graph": []},
}


@pytest.mark.parametrize("payload", SPOILED_PAYLOADS.values(), ids=SPOILED_PAYLOADS.keys())
def test_spoiled_cache_entries_are_misses_in_this_run_and_the_next(tmp_path: Path, payload: Any) -> None:
    root = shop(tmp_path / "project")
    cache = tmp_path / "cache"
    expected = summary(analyze([root], Config(), cwd=root))
    assert [code for code, *_ in expected[0]] == ["ORM101", "ORM102", "ORM201"]
    analyze([root], Config(), cwd=root, cache_dir=cache)
    entries = [path for path in cache.rglob("*.json") if not path.name.startswith(".")]
    kinds = {path.relative_to(cache).parts[0] for path in entries}
    assert kinds == {"run", "file", "graph", "parse-index", "project", "project-index", "summary"}
    for entry in entries:
        entry.write_text(json.dumps({"format": 1, "payload": payload}), encoding="utf-8")

    spoiled_run = summary(analyze([root], Config(), cwd=root, cache_dir=cache))
    next_run = summary(analyze([root], Config(), cwd=root, cache_dir=cache))
    (root / "shop" / "leaf.py").write_text("def helper():\n    return 2\n", encoding="utf-8")
    after_an_edit = summary(analyze([root], Config(), cwd=root, cache_dir=cache))

    assert spoiled_run == expected
    assert next_run == expected
    assert after_an_edit == expected


def test_cache_folder_that_cannot_be_created_is_reported_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = shop(tmp_path / "project")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder's parent should be\n", encoding="utf-8")
    cache = blocker / "cache"
    expected = summary(analyze([root], Config(), cwd=root))

    with caplog.at_level(logging.WARNING, logger="analyzer"):
        result = summary(analyze([root], Config(), cwd=root, cache_dir=cache))

    assert result == expected
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == [
        f"cannot write the result cache in {cache}: Not a directory; this run's results are not cached"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_cache_folder_is_reported_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = shop(tmp_path / "project")
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    try:
        with caplog.at_level(logging.WARNING, logger="analyzer"):
            analyze([root], Config(), cwd=root, cache_dir=cache)
    finally:
        cache.chmod(0o755)

    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == [
        f"cannot write the result cache in {cache}: Permission denied; this run's results are not cached"
    ]


def python_accepts(source: str) -> bool:
    try:
        ast.parse(source)
    except RecursionError:
        return False
    return True


DEEP_LOOP = """

def names():
    for book in Book.objects.all():
        print(book.author.name)
"""


def deep_sources() -> dict[str, str]:
    chain = "Book.objects" + ".filter(author__name='a')" * 1200
    terms = " + ".join(["x"] * 2400)
    return {
        "shop/chain.py": f"from shop.models import Book\n\n\ndef deep():\n    return {chain}\n{DEEP_LOOP}",
        "shop/expression.py": f"from shop.models import Book\n\n\ndef total(x):\n    return {terms}\n{DEEP_LOOP}",
    }


def test_deep_call_chains_and_long_expressions_python_accepts_are_analysed(tmp_path: Path) -> None:
    sources = deep_sources()
    assert all(python_accepts(source) for source in sources.values())
    write_tree(tmp_path, {"shop/models.py": MODELS, **sources})

    result = analyze([tmp_path], Config(select=("ORM101",)), cwd=tmp_path)

    assert summary(result) == (
        [
            (
                "ORM101",
                path,
                10,
                15,
                'book.author is loaded once per row of Book.objects.all() (line 9); add .select_related("author") '
                "there",
            )
            for path in ("shop/chain.py", "shop/expression.py")
        ],
        [],
    )


_REAL_CHECK_IN_WORKER = workers._check_in_worker
# Where _recording_check_in_worker writes the pid of each process that checks a file (forked workers inherit it).
_RECORDING: dict[str, Path] = {}


def _recording_check_in_worker(index: int) -> workers.Checked:
    with _RECORDING["path"].open("a", encoding="utf-8") as stream:
        stream.write(f"{os.getpid()}\n")
    return _REAL_CHECK_IN_WORKER(index)


def test_deep_file_is_analysed_in_a_worker_process_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough files that use the models for the rules to run in forked workers (workers.PARALLEL_MIN_FILES).
    others = {
        f"shop/module{number}.py": "from shop.models import Book\n\n\ndef count():\n    return Book.objects.count()\n"
        for number in range(60)
    }
    write_tree(tmp_path, {"shop/models.py": MODELS, **deep_sources(), **others})
    checked_by = tmp_path / "checked-by.txt"
    monkeypatch.setattr(workers, "_check_in_worker", _recording_check_in_worker)
    monkeypatch.setitem(_RECORDING, "path", checked_by)

    result = analyze([tmp_path], Config(select=("ORM101",), jobs=2), cwd=tmp_path)

    assert [(finding.path, finding.line) for finding in result.findings] == [
        ("shop/chain.py", 10),
        ("shop/expression.py", 10),
    ]
    assert result.errors == ()
    worker_pids = set(checked_by.read_text(encoding="utf-8").split())
    assert worker_pids and str(os.getpid()) not in worker_pids


def test_nesting_python_itself_rejects_is_still_an_error(tmp_path: Path) -> None:
    chain = "Book.objects" + ".filter(a=1)" * 5000
    source = f"from shop.models import Book\n\n\ndef deep():\n    return {chain}\n{DEEP_LOOP}"
    assert not python_accepts(source)
    write_tree(tmp_path, {"shop/models.py": MODELS, "shop/chain.py": source})

    result = analyze([tmp_path], Config(select=("ORM101",)), cwd=tmp_path)

    assert summary(result) == ([], [("shop/chain.py", "cannot parse file: it is nested too deeply")])
