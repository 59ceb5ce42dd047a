"""Baselines: write once, then only new findings are reported, even after lines move."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.baseline import Baseline, line_hash, write_baseline
from analyzer.cli import main
from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.errors import BaselineError
from analyzer.suppressions import SourceLines
from tests.analyzer.helpers import write_tree
from tests.fixtures.infra_rules import PRINT_RULE, use_rules

ORIGINAL = 'def f():\n    print("a")\n    print("b")\n'


@pytest.fixture(autouse=True)
def rules(monkeypatch: pytest.MonkeyPatch) -> None:
    use_rules(monkeypatch, PRINT_RULE)


def lines_reported(root: Path, baseline: Path | None) -> list[int]:
    config = Config(baseline=str(baseline) if baseline else None)
    return [finding.line for finding in analyze([root], config, cwd=root).findings]


def test_written_baseline_has_one_entry_per_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/views.py": ORIGINAL})
    result = analyze([tmp_path], Config(), cwd=tmp_path)

    count = write_baseline(tmp_path / "baseline.json", result.findings, SourceLines(tmp_path))

    document = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))
    assert count == 2
    assert document == {
        "version": 1,
        "findings": [
            {
                "code": "ORM801",
                "path": "app/views.py",
                "model": "app.Thing",
                "field": "name",
                "line_hash": line_hash('print("a")'),
                "line": 2,
                "message": "print() called with 1 argument(s); use logging",
            },
            {
                "code": "ORM801",
                "path": "app/views.py",
                "model": "app.Thing",
                "field": "name",
                "line_hash": line_hash('print("b")'),
                "line": 3,
                "message": "print() called with 1 argument(s); use logging",
            },
        ],
    }
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


def test_baselined_findings_are_not_reported_and_new_ones_are(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/views.py": ORIGINAL})
    result = analyze([tmp_path], Config(), cwd=tmp_path)
    write_baseline(tmp_path / "baseline.json", result.findings, SourceLines(tmp_path))

    assert lines_reported(tmp_path, tmp_path / "baseline.json") == []

    (tmp_path / "app" / "views.py").write_text(ORIGINAL + '    print("c")\n', encoding="utf-8")
    assert lines_reported(tmp_path, tmp_path / "baseline.json") == [4]


def test_baseline_survives_shifted_lines_and_reindentation(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/views.py": ORIGINAL})
    write_baseline(
        tmp_path / "baseline.json", analyze([tmp_path], Config(), cwd=tmp_path).findings, SourceLines(tmp_path)
    )

    shifted = '"""Docs."""\n\nimport os\n\n\nclass C:\n    def f(self):\n        print("a")\n        print("b")\n'
    (tmp_path / "app" / "views.py").write_text(shifted, encoding="utf-8")

    assert lines_reported(tmp_path, tmp_path / "baseline.json") == []


def test_a_duplicated_line_beyond_the_baselined_count_is_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/views.py": 'print("a")\n'})
    write_baseline(
        tmp_path / "baseline.json", analyze([tmp_path], Config(), cwd=tmp_path).findings, SourceLines(tmp_path)
    )
    (tmp_path / "app" / "views.py").write_text('print("a")\nprint("a")\n', encoding="utf-8")

    assert lines_reported(tmp_path, tmp_path / "baseline.json") == [2]


def test_baseline_paths_are_relative_to_the_baseline_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"app/views.py": ORIGINAL})
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["--write-baseline", "ci/baseline.json", "."]) == 0

    document = json.loads((tmp_path / "ci" / "baseline.json").read_text(encoding="utf-8"))
    assert {entry["path"] for entry in document["findings"]} == {"../app/views.py"}
    # Running from another folder still matches.
    monkeypatch.chdir(tmp_path / "app")
    assert main(["--baseline", "../ci/baseline.json", "."]) == 0


def test_cli_write_baseline_then_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"app/views.py": ORIGINAL})
    monkeypatch.chdir(tmp_path)

    assert main(["--write-baseline", "baseline.json", "."]) == 0
    assert capsys.readouterr().err == "wrote 2 findings to baseline.json\n"
    assert main(["--baseline", "baseline.json", "."]) == 0
    (tmp_path / "app" / "views.py").write_text('print("new")\n' + ORIGINAL, encoding="utf-8")
    capsys.readouterr()
    assert main(["--baseline", "baseline.json", "."]) == 1
    assert capsys.readouterr().out.splitlines()[0] == ("app/views.py:1:1: ORM801 print() called with 1 argument(s)")


def test_write_baseline_ignores_an_existing_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"app/views.py": ORIGINAL})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.django-orm-analyzer]\nbaseline = "b.json"\n', encoding="utf-8")
    assert main(["--write-baseline", "b.json", "."]) == 0
    assert main(["--write-baseline", "b.json", "."]) == 0

    assert len(json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["findings"]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file not found: {path}"),
        ("{not json", "baseline {path} is not valid JSON: "),
        ('{"version": 2, "findings": []}', "baseline {path} is not a version 1 baseline"),
        ('{"version": 1}', "baseline {path} has no findings list"),
        ('{"version": 1, "findings": [{"code": "ORM801"}]}', "baseline {path}: finding 0 is malformed ('path')"),
    ],
)
def test_bad_baseline_file_is_an_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(BaselineError) as raised:
        Baseline.load(path)

    assert str(raised.value).startswith(message.format(path=path))


def test_cli_bad_baseline_exits_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"app/views.py": ORIGINAL})
    monkeypatch.chdir(tmp_path)

    assert main(["--baseline", "missing.json", "."]) == 2
    assert capsys.readouterr().err == f"django-orm-analyzer: error: baseline file not found: {tmp_path}/missing.json\n"
