"""Robustness: a file that cannot be read, decoded or parsed, or a rule that crashes on one, becomes an entry in
``errors`` with a clear message, and every other file is still analysed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import AnalysisResult
from tests.fixtures.infra_rules import CRASH_RULE, PRINT_RULE, use_rules


@pytest.fixture(autouse=True)
def rules(monkeypatch: pytest.MonkeyPatch) -> None:
    use_rules(monkeypatch, PRINT_RULE, CRASH_RULE)


def analyze_with(tmp_path: Path, bad_name: str, bad_content: bytes, config: Config | None = None) -> AnalysisResult:
    """A healthy file with one print() beside the bad one; the healthy file's finding must survive."""
    (tmp_path / "good.py").write_text('print("still analysed")\n', encoding="utf-8")
    (tmp_path / bad_name).write_bytes(bad_content)
    return analyze([tmp_path], config or Config(), cwd=tmp_path)


def errors(result: AnalysisResult) -> list[tuple[str, str]]:
    return [(error.path, error.message) for error in result.errors]


def good_file_still_analysed(result: AnalysisResult) -> bool:
    return [(finding.path, finding.line, finding.code) for finding in result.findings] == [("good.py", 1, "ORM801")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"def broken(:\n    pass\n", "syntax error at line 1: invalid syntax"),
        (b"x = 1\nif x\n    pass\n", "syntax error at line 2: expected ':'"),
        (b'x = "\xff\xfe"\n', "cannot decode file as utf-8: invalid byte 0xff at line 1"),
        (b'x = 1\ny = 2\nz = "\xe9"\n', "cannot decode file as utf-8: invalid byte 0xe9 at line 3"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "cannot decode file: unknown encoding: klingon"),
        (b"x = 1\x00\n", "cannot parse file: it contains NUL bytes"),
        (b"x = " + b"(" * 5000 + b")" * 5000 + b"\n", "syntax error at line 1: too many nested parentheses"),
    ],
    ids=["syntax", "missing-colon", "invalid-utf8", "invalid-utf8-late", "bad-declaration", "nul-bytes", "nesting"],
)
def test_unparsable_file_lands_in_errors(tmp_path: Path, content: bytes, message: str) -> None:
    result = analyze_with(tmp_path, "bad.py", content)

    assert errors(result) == [("bad.py", message)]
    assert good_file_still_analysed(result)
    assert result.files == 2


def test_latin1_file_with_its_encoding_declared_is_analysed(tmp_path: Path) -> None:
    result = analyze_with(tmp_path, "latin.py", b'# -*- coding: latin-1 -*-\nprint("caf\xe9")\n')

    assert errors(result) == []
    assert [(finding.path, finding.line) for finding in result.findings] == [("good.py", 1), ("latin.py", 2)]


def failing_open(monkeypatch: pytest.MonkeyPatch, name: str, error: OSError) -> None:
    """Make opening the file called ``name`` fail with ``error``; every other open goes through."""
    real_open = os.open

    def open_file(path: str | os.PathLike[str], flags: int, *args: Any, **kwargs: Any) -> int:
        if os.path.basename(os.fspath(path)) == name:
            raise error
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_file)


def test_unreadable_file_lands_in_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, who can read any file, so the permission error is simulated.
    failing_open(monkeypatch, "locked.py", PermissionError(13, "Permission denied"))

    result = analyze_with(tmp_path, "locked.py", b"x = 1\n")

    assert errors(result) == [("locked.py", "cannot read file: permission denied")]
    assert good_file_still_analysed(result)


def test_file_that_fails_with_another_os_error_lands_in_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing_open(monkeypatch, "flaky.py", OSError(5, "Input/output error"))

    result = analyze_with(tmp_path, "flaky.py", b"x = 1\n")

    assert errors(result) == [("flaky.py", "cannot read file: Input/output error")]
    assert good_file_still_analysed(result)


def test_file_over_the_size_cap_is_skipped_and_reported(tmp_path: Path) -> None:
    result = analyze_with(tmp_path, "huge.py", b"x = 1\n" * 400_000, Config(max_file_size=2 * 1024 * 1024))

    assert errors(result) == [("huge.py", "skipped: file is 2.3 MB, over the 2.0 MB limit")]
    assert good_file_still_analysed(result)


def test_broken_symlink_and_symlink_loop_land_in_errors(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg", target_is_directory=True)

    result = analyze_with(tmp_path, "real.py", b"x = 1\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "gone.py")
    result = analyze([tmp_path], Config(), cwd=tmp_path)

    assert errors(result) == [
        ("dangling.py", f"broken symlink: {tmp_path / 'gone.py'} does not exist"),
        ("pkg/loop", f"symlink loop: loop points back to {tmp_path / 'pkg'}"),
    ]
    assert good_file_still_analysed(result)


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ("crash_with_bug", "internal error in ORM802: KeyError: 'missing'"),
        ("crash_with_recursion", "internal error in ORM802: RecursionError: maximum recursion depth exceeded"),
        ("crash_with_astroid", "internal error in ORM802: InferenceError: inference failed on purpose"),
    ],
)
def test_rule_crash_on_one_file_is_reported_and_the_run_goes_on(tmp_path: Path, trigger: str, message: str) -> None:
    result = analyze_with(tmp_path, "crashes.py", f'{trigger} = 1\nprint("kept")\n'.encode())

    assert errors(result) == [("crashes.py", message)]
    # The crashing rule loses this file; the other rule still reports on it.
    assert [(finding.path, finding.line) for finding in result.findings] == [("crashes.py", 2), ("good.py", 1)]


def test_model_graph_crash_is_reported_and_rules_still_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_builder(*_: object) -> None:
        raise ValueError("graph bug")

    monkeypatch.setattr("analyzer.graph_builder.build_model_graph", broken_builder)

    result = analyze_with(tmp_path, "other.py", b"x = 1\n")

    assert errors(result) == [(".", "internal error in model graph: ValueError: graph bug")]
    assert good_file_still_analysed(result)
