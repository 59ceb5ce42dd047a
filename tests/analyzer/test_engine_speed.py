"""The engine's speed measures must not show: syntax-only trees, the paused collector, workers and progress."""

from __future__ import annotations

import gc
import io
import re
import textwrap
from pathlib import Path

import astroid
import pytest
from astroid import nodes

import analyzer.findings
import analyzer.workers
from analyzer.cli import main
from analyzer.config import Config
from analyzer.context import NodeIndex, SourceFile, node_index, nodes_of
from analyzer.engine import analyze
from analyzer.progress import Progress, for_terminal
from analyzer.sources import parse_source
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

    assert error == analyzer.findings.FileError("bad.py", "syntax error at line 2: invalid syntax")


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
    monkeypatch.setattr(analyzer.workers, "PARALLEL_MIN_FILES", 1)

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


INDEXED = """
    import os

    class Shelf:
        size = len([n for n in range(3)])

        def books(self, rows):
            def title(row):
                return row.title.upper()

            return [title(row) for row in rows if row]

        async def count(self):
            return await os.stat(self.path)

    total = sum(x for x in (1, 2))
    label = (lambda value: str(value))(total)
"""
QUESTIONS: list[type[nodes.NodeNG] | tuple[type[nodes.NodeNG], ...]] = [
    nodes.Call,
    nodes.ClassDef,
    nodes.FunctionDef,
    (nodes.FunctionDef, nodes.AsyncFunctionDef),
    (nodes.Name, nodes.Attribute, nodes.AssignAttr),
    nodes.LocalsDictNodeNG,
    nodes.NodeNG,
]


def _module(source: str) -> nodes.Module:
    return astroid.parse(textwrap.dedent(source), module_name="shop.shelf")


@pytest.mark.parametrize("klass", QUESTIONS)
def test_node_index_answers_like_nodes_of_class_for_the_module_and_every_scope(
    klass: type[nodes.NodeNG] | tuple[type[nodes.NodeNG], ...],
) -> None:
    module = _module(INDEXED)
    scopes = list(module.nodes_of_class(nodes.LocalsDictNodeNG))

    assert [scope.__class__.__name__ for scope in scopes] == [
        "Module", "ClassDef", "ListComp", "FunctionDef", "FunctionDef", "ListComp", "AsyncFunctionDef",
        "GeneratorExp", "Lambda",
    ]  # fmt: skip
    for scope in scopes:
        assert list(nodes_of(scope, klass)) == list(scope.nodes_of_class(klass))


def test_node_index_walks_each_module_once() -> None:
    module = _module(INDEXED)

    calls = nodes_of(module, nodes.Call)

    assert node_index(module) is node_index(module)
    assert nodes_of(module, nodes.Call) is calls
    assert [call.as_string() for call in calls] == [
        "len([n for n in range(3)])", "range(3)", "row.title.upper()", "title(row)", "os.stat(self.path)",
        "sum((x for x in (1, 2)))", "(lambda value: str(value))(total)", "str(value)",
    ]  # fmt: skip


def test_node_index_of_a_tree_too_deep_to_walk_recursively_matches_nodes_of_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = _module(INDEXED)
    expected = [list(scope.nodes_of_class(nodes.Name)) for scope in module.nodes_of_class(nodes.LocalsDictNodeNG)]

    def too_deep(self: NodeIndex, root: nodes.NodeNG) -> None:
        self.nodes.append(root)  # a partial walk that the fallback must throw away
        raise RecursionError

    monkeypatch.setattr(NodeIndex, "_walk", too_deep)

    assert [list(nodes_of(scope, nodes.Name)) for scope in module.nodes_of_class(nodes.LocalsDictNodeNG)] == expected


def test_nodes_of_a_node_that_is_not_a_scope_walks_it_directly() -> None:
    module = _module(INDEXED)
    statement = module.body[-1]

    assert [name.name for name in nodes_of(statement, nodes.Name)] == ["str", "value", "total"]
