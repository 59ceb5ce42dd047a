"""The engine's speed measures must not show: syntax-only trees, the paused collector, workers and progress."""

from __future__ import annotations

import gc
import io
import re
from pathlib import Path

import astroid
import pytest

import analyzer.engine
from analyzer.cli import main
from analyzer.config import Config
from analyzer.context import SourceFile
from analyzer.engine import analyze, parse_source
from analyzer.progress import Progress, for_terminal
from tests.analyzer.helpers import write_tree

LOOP = """
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=50)

        def __str__(self):
            return self.name

    class Book(models.Model):
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

        def __str__(self):
            return str(self.pk)

    def names():
        return [book.author.name for book in Book.objects.all()]
"""


def test_parse_source_builds_a_tree_without_touching_astroids_module_cache(tmp_path: Path) -> None:
    path = tmp_path / "shop" / "views.py"
    source = SourceFile(path, "shop/views.py", "shop.views", tmp_path)
    builder = astroid.builder.AstroidBuilder(astroid.MANAGER)

    module = parse_source(
        builder, source, "from django.db import models\nclass A:\n    def f(self):\n        self.x = 1\n"
    )

    assert module.name == "shop.views"
    assert module.file == str(path)
    assert [node.name for node in module.body[1].body] == ["f"]
    assert "shop.views" not in astroid.MANAGER.astroid_cache


def test_parse_source_reports_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    source = SourceFile(tmp_path / "bad.py", "bad.py", "bad", tmp_path)

    error = parse_source(astroid.builder.AstroidBuilder(astroid.MANAGER), source, "x = 1\ndef (:\n")

    assert error == analyzer.engine.FileError("bad.py", "syntax error at line 2: invalid syntax")


@pytest.mark.parametrize("enabled", [True, False])
def test_analyze_restores_the_garbage_collector_state(tmp_path: Path, enabled: bool) -> None:
    write_tree(tmp_path, {"shop/models.py": LOOP})
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        analyze([tmp_path], Config(), cwd=tmp_path)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()


def test_forked_workers_give_the_serial_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"shop/loop{number}.py": LOOP for number in range(4)}
    write_tree(tmp_path, files)
    serial = analyze([tmp_path], Config(jobs=1), cwd=tmp_path)
    monkeypatch.setattr(analyzer.engine, "PARALLEL_MIN_FILES", 1)

    parallel = analyze([tmp_path], Config(jobs=2), cwd=tmp_path)

    assert parallel.findings == serial.findings
    assert [(finding.code, finding.path, finding.line) for finding in parallel.findings] == [
        ("ORM101", f"shop/loop{number}.py", 16) for number in range(4)
    ]


class RecordingProgress(Progress):
    def __init__(self) -> None:
        super().__init__(enabled=True, stream=io.StringIO())
        self.events: list[tuple[str, int]] = []

    def start(self, total: int, description: str) -> None:
        super().start(total, description)
        self.events.append((description, total))

    def advance(self, count: int = 1) -> None:
        super().advance(count)
        self.events.append(("advance", count))


def test_progress_counts_checked_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"shop/models.py": LOOP, "shop/loop.py": LOOP})
    progress = RecordingProgress()

    analyze([tmp_path], Config(), cwd=tmp_path, progress=progress)

    # shop/__init__.py is empty and imported by nobody: the prefilter skips it.
    assert progress.events == [("checking", 2), ("advance", 1), ("advance", 1)]
    assert "checking:   0%" in progress.stream.getvalue()  # type: ignore[attr-defined]


def test_progress_is_off_when_stderr_is_not_a_terminal() -> None:
    assert for_terminal(io.StringIO()).enabled is False


def test_command_line_prints_no_progress_when_stderr_is_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"shop/models.py": LOOP})
    monkeypatch.chdir(tmp_path)

    main(["--format", "json", "--no-cache", "."])

    err = capsys.readouterr().err
    assert re.fullmatch(r"Found 1 finding in 2 files \(\d+\.\d\ds\)\.\n", err)
