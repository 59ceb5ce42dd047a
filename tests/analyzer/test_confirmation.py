"""Joining a runtime report: confirmed flags, runtime-only findings, the summary line and bad report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.confirmation import confirm, load_runtime_report, same_file
from analyzer.errors import RuntimeReportError
from analyzer.findings import Finding, RelatedLocation, Severity
from tests.analyzer.helpers import write_tree
from tests.fixtures.infra_rules import PRINT_RULE, use_rules


def finding(path: str, line: int, related: tuple[RelatedLocation, ...] = ()) -> Finding:
    return Finding("ORM101", "related-access-in-loop", Severity.WARNING, "m", path, line, 1, line, 5, related=related)


def runtime(path: str, line: int, kind: str = "lazy_load", **extra: object) -> dict[str, object]:
    return {"kind": kind, "model": "shop.Book", "field": "author", "count": 25, "path": path, "line": line, **extra}


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("shop/views.py", "shop/views.py", True),
        ("example_project/shop/views.py", "shop/views.py", True),
        ("shop/views.py", "/srv/app/shop/views.py", True),
        ("./shop/views.py", "shop/views.py", True),
        ("myshop/views.py", "shop/views.py", False),
        ("shop/views.py", "other/views.py", False),
        ("views.py", "shop/views.py", True),
        ("", "shop/views.py", False),
    ],
)
def test_path_suffix_matching_compares_whole_components(left: str, right: str, same: bool) -> None:
    assert same_file(left, right) is same


def test_confirmation_at_own_location_related_location_and_template() -> None:
    findings = [
        finding("example_project/shop/views.py", 12),
        finding("example_project/shop/views.py", 30, (RelatedLocation("example_project/shop/models.py", 40, "body"),)),
        finding("example_project/templates/shop/list.html", 7),
        finding("example_project/shop/views.py", 50),
    ]
    report = [
        runtime("shop/views.py", 12),
        runtime("shop/models.py", 40),
        runtime("templates/shop/list.html", 7),
        runtime("shop/views.py", 51),
        runtime("shop/api.py", 9, kind="repeated_query", sql="SELECT 1"),
    ]

    joined = confirm(findings, report)

    assert [item.confirmed for item in joined.findings] == [True, True, True, False]
    assert joined.runtime_only == (report[3], report[4])
    assert joined.confirmed_count == 3


def test_one_runtime_finding_confirms_every_static_finding_at_its_line() -> None:
    findings = [finding("shop/views.py", 12), finding("shop/views.py", 12)]

    joined = confirm(findings, [runtime("shop/views.py", 12)])

    assert [item.confirmed for item in joined.findings] == [True, True]
    assert joined.runtime_only == ()


def test_str_reading_a_relation_is_confirmed_by_a_lazy_load_of_that_relation_anywhere() -> None:
    # ORM504 points at the __str__; runtime reports the loop that calls it, so the relation is what matches.
    str_finding = Finding(
        "ORM504", "str-reads-relation", Severity.WARNING, "m", "shop/models.py", 40, 9, 40, 20,
        model="shop.Book", field="author",
    )  # fmt: skip
    other_relation = Finding(
        "ORM504", "str-reads-relation", Severity.WARNING, "m", "shop/models.py", 60, 9, 60, 20,
        model="shop.Review", field="book",
    )  # fmt: skip
    report = [
        runtime("shop/selectors.py", 12),
        runtime("shop/selectors.py", 20, kind="repeated_query", model="shop.Review"),
    ]

    joined = confirm([str_finding, other_relation], report)

    assert [item.confirmed for item in joined.findings] == [True, False]
    assert joined.runtime_only == (report[1],)


def write_report(path: Path, findings: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"version": 1, "findings": findings}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "runtime report not found: {path}"),
        ("[]", "runtime report {path} must be a JSON object"),
        ("{oops", "runtime report {path} is not valid JSON: "),
        ('{"version": 2, "findings": []}', "runtime report {path} has version 2, expected 1"),
        ('{"version": 1}', "runtime report {path} has no findings list"),
        (
            '{"version": 1, "findings": [{"kind": "lazy_load", "line": 3}]}',
            "runtime report {path}: finding 0 has no path",
        ),
        (
            '{"version": 1, "findings": [{"kind": "lazy_load", "path": "a.py", "line": "3"}]}',
            "runtime report {path}: finding 0 has an invalid line '3'",
        ),
        (
            '{"version": 1, "findings": [{"kind": "slow", "path": "a.py", "line": 3}]}',
            "runtime report {path}: finding 0 has an unknown kind 'slow'",
        ),
    ],
)
def test_bad_runtime_report_is_an_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "runtime.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(RuntimeReportError) as raised:
        load_runtime_report(path)

    assert str(raised.value).startswith(message.format(path=path))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_rules(monkeypatch, PRINT_RULE)
    write_tree(tmp_path, {"shop/views.py": "def f():\n    print(1)\n    print(2)\n"})
    write_report(
        tmp_path / "runtime.json",
        [
            runtime("shop/views.py", 2, function="f", sql="SELECT ...", origin="request GET /books/"),
            runtime("shop/views.py", 9, function="g", origin="test shop/tests.py::test_g"),
        ],
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_text_marks_confirmed_findings_lists_runtime_only_and_prints_the_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--runtime-report", "runtime.json", "--format", "full", "."])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[:6] == [
        "shop/views.py:2:5: ORM801 print() called with 1 argument(s); use logging [confirmed at runtime]",
        "shop/views.py:3:5: ORM801 print() called with 1 argument(s); use logging",
        "",
        "Runtime-only findings (seen at runtime, not found statically):",
        "shop/views.py:9: lazy_load shop.Book.author, 25 queries, in g (test shop/tests.py::test_g)",
        "",
    ]
    assert lines[6].startswith("Found 2 findings in 2 files")
    assert lines[7:] == ["2 static findings, 1 confirmed at runtime, 1 runtime-only"]


def test_cli_compact_text_prints_the_join_as_a_table(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--runtime-report", "runtime.json", "."])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[:5] == [
        "Static findings joined with the runtime report:",
        "confirmed     ORM801     shop/views.py:2:5  app.Thing.name",
        "static-only   ORM801     shop/views.py:3:5  app.Thing.name",
        "runtime-only  lazy_load  shop/views.py:9    shop.Book.author, 25 queries (test shop/tests.py::test_g)",
        "",
    ]
    assert lines[5].startswith("Found 2 findings in 2 files")
    assert lines[6:] == [
        "2 static findings, 1 confirmed at runtime, 1 runtime-only",
        "Run with --show-fix to print each finding's fix (--format full).",
    ]


def test_cli_json_has_confirmed_flags_and_runtime_only(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--format", "json", "--runtime-report", "runtime.json", "."])

    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert code == 1
    assert [item["confirmed"] for item in document["findings"]] == [True, False]
    assert document["runtime_only"] == [
        {
            "kind": "lazy_load",
            "model": "shop.Book",
            "field": "author",
            "count": 25,
            "path": "shop/views.py",
            "line": 9,
            "function": "g",
            "origin": "test shop/tests.py::test_g",
        }
    ]
    assert captured.err.splitlines()[1] == "2 static findings, 1 confirmed at runtime, 1 runtime-only"


def test_cli_summary_line_is_printed_even_without_findings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_report(project / "empty.json", [])

    code = main(["--runtime-report", "empty.json", "--ignore", "ORM801", "."])

    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 static findings, 0 confirmed at runtime, 0 runtime-only"


def test_cli_invalid_runtime_report_exits_two(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.json").write_text("{}", encoding="utf-8")

    code = main(["--runtime-report", "bad.json", "."])

    assert code == 2
    assert capsys.readouterr().err == (
        f"django-orm-analyzer: error: runtime report {project / 'bad.json'} has version None, expected 1\n"
    )
