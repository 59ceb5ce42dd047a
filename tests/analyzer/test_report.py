"""Output formats: text, JSON version 1, SARIF 2.1.0 and GitHub Actions workflow commands."""

from __future__ import annotations

import json
from typing import Any

from analyzer.docs import rule_docs
from analyzer.findings import AnalysisResult, FileError, Finding, Fix, RelatedLocation, Severity
from analyzer.report import render
from analyzer.report.github import render_github
from analyzer.report.json import render_json
from analyzer.report.sarif import render_sarif
from analyzer.report.text import compact_finding_line, render_text
from tests.fixtures.infra_rules import INPUT_RULE, PRINT_RULE

FINDING = Finding(
    code="ORM801",
    name="print-call",
    severity=Severity.WARNING,
    message="print() called with 1 argument(s); use logging",
    path="shop/views.py",
    line=12,
    column=9,
    end_line=12,
    end_column=30,
    model="shop.Book",
    field="author",
    fix=Fix('add .select_related("author")', "shop/views.py", 10),
    related=(RelatedLocation("shop/views.py", 10, "queryset built here"),),
    confirmed=True,
)
PLAIN = Finding(
    code="ORM891",
    name="input-call",
    severity=Severity.ERROR,
    message="50% done, a: b\nnext",
    path="shop/a,b.py",
    line=3,
    column=1,
    end_line=4,
    end_column=2,
)
RESULT = AnalysisResult(
    findings=(FINDING, PLAIN),
    errors=(FileError("bad.py", "syntax error at line 3: invalid syntax"),),
    files=120,
    seconds=0.8123,
    runtime_only=(
        {"kind": "repeated_query", "model": None, "field": None, "count": 3, "path": "shop/api.py", "line": 9,
         "function": "list", "sql": "SELECT 1", "origin": "request GET /api/"},
    ),
)  # fmt: skip
FINDING_KEYS = {
    "code": str,
    "name": str,
    "severity": str,
    "message": str,
    "path": str,
    "line": int,
    "column": int,
    "end_line": int,
    "end_column": int,
    "model": (str, type(None)),
    "field": (str, type(None)),
    "fix": (dict, type(None)),
    "related": list,
    "confirmed": bool,
}


def test_json_v1_structure_key_sets_and_types() -> None:
    document = json.loads(render_json(RESULT, runtime_report=False))

    assert set(document) == {"version", "findings", "errors", "summary"}
    assert document["version"] == 1
    for item in document["findings"]:
        assert set(item) == set(FINDING_KEYS)
        for key, expected_type in FINDING_KEYS.items():
            assert isinstance(item[key], expected_type), key
    assert document["findings"][0] == {
        "code": "ORM801",
        "name": "print-call",
        "severity": "warning",
        "message": "print() called with 1 argument(s); use logging",
        "path": "shop/views.py",
        "line": 12,
        "column": 9,
        "end_line": 12,
        "end_column": 30,
        "model": "shop.Book",
        "field": "author",
        "fix": {"message": 'add .select_related("author")', "path": "shop/views.py", "line": 10},
        "related": [{"path": "shop/views.py", "line": 10, "message": "queryset built here"}],
        "confirmed": True,
    }
    assert document["findings"][1]["fix"] is None
    assert document["errors"] == [{"path": "bad.py", "message": "syntax error at line 3: invalid syntax"}]
    assert document["summary"] == {"files": 120, "findings": 2, "seconds": 0.812}


def test_json_has_runtime_only_when_a_runtime_report_was_joined() -> None:
    document = json.loads(render_json(RESULT, runtime_report=True))

    assert set(document) == {"version", "findings", "errors", "summary", "runtime_only"}
    assert document["runtime_only"] == [dict(RESULT.runtime_only[0])]


def test_full_text_format_with_errors_runtime_only_and_summaries() -> None:
    text = render_text(RESULT, runtime_report=True, full=True)

    assert text.splitlines() == [
        "shop/views.py:12:9: ORM801 print() called with 1 argument(s); use logging [confirmed at runtime]",
        "shop/a,b.py:3:1: ORM891 50% done, a: b next",
        "",
        "Errors (these files were not fully analysed):",
        "bad.py: error: syntax error at line 3: invalid syntax",
        "",
        "Runtime-only findings (seen at runtime, not found statically):",
        "shop/api.py:9: repeated_query SELECT 1, 3 queries, in list (request GET /api/)",
        "",
        "Found 2 findings in 120 files (0.81s), 1 error.",
        "2 static findings, 1 confirmed at runtime, 1 runtime-only",
    ]


def test_compact_text_format_drops_the_fix_and_hints_at_show_fix() -> None:
    text = render_text(RESULT, runtime_report=False, full=False)

    assert text.splitlines() == [
        "shop/views.py:12:9: ORM801 print() called with 1 argument(s) [confirmed]",
        "shop/a,b.py:3:1: ORM891 50% done, a: b next",
        "",
        "Errors (these files were not fully analysed):",
        "bad.py: error: syntax error at line 3: invalid syntax",
        "",
        "Found 2 findings in 120 files (0.81s), 1 error.",
        "Run with --show-fix to print each finding's fix (--format full).",
    ]


def test_compact_text_format_prints_the_runtime_join_as_one_table() -> None:
    text = render_text(RESULT, runtime_report=True, full=False)

    assert text.splitlines() == [
        "Static findings joined with the runtime report:",
        "confirmed     ORM801          shop/views.py:12:9  shop.Book.author",
        "static-only   ORM891          shop/a,b.py:3:1     50% done, a: b next",
        "runtime-only  repeated_query  shop/api.py:9       SELECT 1, 3 queries (request GET /api/)",
        "",
        "Errors (these files were not fully analysed):",
        "bad.py: error: syntax error at line 3: invalid syntax",
        "",
        "Found 2 findings in 120 files (0.81s), 1 error.",
        "2 static findings, 1 confirmed at runtime, 1 runtime-only",
        "Run with --show-fix to print each finding's fix (--format full).",
    ]


def test_compact_line_is_cut_at_a_word_boundary_to_the_width() -> None:
    long = Finding(
        code="ORM101",
        name="related-access-in-loop",
        severity=Severity.WARNING,
        message="book.author is loaded once per row of Book.objects.filter(...).exclude(...) (line 4); add it there",
        path="shop/views.py",
        line=5,
        column=13,
        end_line=5,
        end_column=24,
        fix=Fix('add .select_related("author")', "shop/views.py", 4),
    )

    assert compact_finding_line(long, width=80) == (
        "shop/views.py:5:13: ORM101 book.author is loaded once per row of..."
    )
    assert compact_finding_line(long) == (
        "shop/views.py:5:13: ORM101 book.author is loaded once per row of"
        " Book.objects.filter(...).exclude(...) (line 4)"
    )


def test_text_format_without_findings_is_just_the_summary() -> None:
    empty = AnalysisResult(findings=(), errors=(), files=1, seconds=0.0)

    assert render_text(empty, runtime_report=False) == "Found 0 findings in 1 file (0.00s).\n"


def test_github_format_escapes_properties_and_data() -> None:
    assert render_github(RESULT).splitlines() == [
        "::warning file=shop/views.py,line=12,col=9,endLine=12,endColumn=30,title=ORM801::"
        "print() called with 1 argument(s); use logging (confirmed at runtime)",
        "::error file=shop/a%2Cb.py,line=3,col=1,endLine=4,endColumn=2,title=ORM891::50%25 done, a: b%0Anext",
        "::error file=bad.py,title=django-orm-analyzer::syntax error at line 3: invalid syntax",
        "::notice file=shop/api.py,line=9,title=runtime-only::runtime-only repeated_query SELECT 1",
    ]


def sarif(rules: tuple[Any, ...] = (PRINT_RULE, INPUT_RULE)) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(RESULT, rules))
    return document


def test_sarif_top_level_and_driver_rules() -> None:
    document = sarif()

    assert set(document) == {"$schema", "version", "runs"}
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "django-orm-analyzer"
    assert isinstance(driver["version"], str)
    assert driver["rules"][0] == {
        "id": "ORM801",
        "name": "print-call",
        "shortDescription": {"text": "A print() call."},
        "fullDescription": {"text": "Flags calls to print()."},
        "help": {"text": rule_docs(PRINT_RULE), "markdown": rule_docs(PRINT_RULE)},
        "defaultConfiguration": {"level": "warning", "enabled": True},
    }
    assert driver["rules"][1]["defaultConfiguration"] == {"level": "error", "enabled": False}


def test_sarif_results_locations_and_related_locations() -> None:
    results = sarif()["runs"][0]["results"]

    assert results[0] == {
        "ruleId": "ORM801",
        "ruleIndex": 0,
        "level": "warning",
        "message": {"text": "print() called with 1 argument(s); use logging"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "shop/views.py", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 12, "startColumn": 9, "endLine": 12, "endColumn": 30},
                }
            }
        ],
        "properties": {"confirmed": True, "model": "shop.Book", "field": "author"},
        "relatedLocations": [
            {
                "id": 1,
                "physicalLocation": {
                    "artifactLocation": {"uri": "shop/views.py", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 10},
                },
                "message": {"text": "queryset built here"},
            },
            {
                "id": 2,
                "physicalLocation": {
                    "artifactLocation": {"uri": "shop/views.py", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 10},
                },
                "message": {"text": 'fix: add .select_related("author")'},
            },
        ],
    }
    assert (results[1]["ruleIndex"], results[1]["level"]) == (1, "error")
    assert "relatedLocations" not in results[1]


def test_sarif_reports_file_errors_as_notifications() -> None:
    invocation = sarif()["runs"][0]["invocations"][0]

    assert invocation == {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": "syntax error at line 3: invalid syntax"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "bad.py", "uriBaseId": "%SRCROOT%"}}}],
            }
        ],
    }


def test_sarif_result_of_an_unregistered_rule_has_no_rule_index() -> None:
    results = sarif((INPUT_RULE,))["runs"][0]["results"]

    assert "ruleIndex" not in results[0]
    assert results[1]["ruleIndex"] == 0


def test_render_dispatches_on_the_format_name() -> None:
    rules = (PRINT_RULE, INPUT_RULE)

    assert render(RESULT, "text", rules, runtime_report=False) == render_text(RESULT, runtime_report=False, full=False)
    assert render(RESULT, "full", rules, runtime_report=True) == render_text(RESULT, runtime_report=True, full=True)
    assert render(RESULT, "text", rules, runtime_report=True, show_fix=True) == render_text(
        RESULT, runtime_report=True, full=True
    )
    assert render(RESULT, "json", rules, runtime_report=True) == render_json(RESULT, runtime_report=True)
    assert render(RESULT, "sarif", rules, runtime_report=False) == render_sarif(RESULT, rules)
    assert render(RESULT, "github", rules, runtime_report=False) == render_github(RESULT)
