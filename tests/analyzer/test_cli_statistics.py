"""``--statistics``: the number of findings per code instead of the findings, in text and JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analyzer.cli import main
from tests.analyzer.helpers import write_tree
from tests.fixtures.infra_rules import INPUT_RULE, PRINT_RULE, use_rules

SUMMARY = re.compile(r"^Found 3 findings in 2 files \(\d+\.\d\ds\)\.$")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(
        tmp_path,
        {
            "app/views.py": """
                def show():
                    print("a")
                    value = input("b")
                    print(value, 2)
            """,
        },
    )
    monkeypatch.chdir(tmp_path)
    use_rules(monkeypatch, PRINT_RULE, INPUT_RULE)
    return tmp_path


def test_statistics_prints_counts_per_code_most_frequent_first(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([".", "--statistics", "--extend-select", "ORM891"])
    lines = capsys.readouterr().out.splitlines()

    assert code == 1
    assert lines[:3] == ["2  ORM801  print-call", "1  ORM891  input-call", ""]
    assert SUMMARY.match(lines[3])
    assert len(lines) == 4


def test_statistics_in_json_is_a_list_and_the_summary_goes_to_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([".", "--statistics", "--format", "json", "--extend-select", "ORM891"])
    captured = capsys.readouterr()

    assert code == 1
    assert json.loads(captured.out) == [
        {"code": "ORM801", "name": "print-call", "count": 2},
        {"code": "ORM891", "name": "input-call", "count": 1},
    ]
    assert SUMMARY.match(captured.err.strip())


def test_statistics_from_the_configuration_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.django-orm-analyzer]\nstatistics = true\n", encoding="utf-8")

    code = main(["."])

    assert code == 1
    assert capsys.readouterr().out.splitlines()[0] == "2  ORM801  print-call"
