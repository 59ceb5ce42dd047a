"""The demo's words: which example tests fail and why, and how sites, static findings and runtime call sites add up."""

from __future__ import annotations

import json
from pathlib import Path

import demo_story

MARKERS = {site: location for location, site in demo_story.site_markers().items()}


def runtime_finding(site: str, origin: str, model: str = "catalog.Book", field: str = "author") -> dict[str, object]:
    path, line = MARKERS[site]
    return {"kind": "lazy_load", "model": model, "field": field, "count": 3, "path": path, "line": line,
            "function": "f", "sql": "SELECT 1", "origin": origin}  # fmt: skip


def test_every_site_of_the_example_project_has_one_marker() -> None:
    assert sorted(MARKERS) == ["F02", *(f"S{number:02d}" for number in range(1, 27))]


def test_tests_are_explained_per_test_function_then_pytests_n_plus_one_section(tmp_path: Path) -> None:
    junit = tmp_path / "pytest.xml"
    junit.write_text('<testsuites><testsuite tests="6" failures="3" errors="0"/></testsuites>', encoding="utf-8")
    log = tmp_path / "pytest.log"
    log.write_text("FFF...\n===== N+1 queries: 2 call sites =====\nsite lines\n3 failed, 3 passed in 1.00s\n")
    report = tmp_path / "runtime.json"
    site_test = "test tests/test_sites.py::test_site"
    findings = [
        runtime_finding("S01", f"{site_test}[S01-3rows]"),
        runtime_finding("S01", f"{site_test}[S01-6rows]"),
        runtime_finding("S16", "test tests/test_views.py::test_book_list"),
    ]
    report.write_text(json.dumps({"version": 1, "findings": findings}), encoding="utf-8")

    assert demo_story.explain_tests(junit, log, report) == [
        "6 tests ran: 3 of them run an N+1 site and fail on purpose, 3 pass (the twins and the tests that run no N+1).",
        "3 is not 27, the number of sites, because most sites are run by more than one test:",
        "    2 test_site: S01",
        "    1 test_book_list: S16",
        "===== N+1 queries: 2 call sites =====",
        "site lines",
        "3 failed, 3 passed in 1.00s",
    ]


def test_reconcile_counts_findings_outside_sites_and_sites_with_two_call_sites(tmp_path: Path) -> None:
    s01_path, s01_line = MARKERS["S01"]
    static = tmp_path / "static.json"
    static.write_text(
        json.dumps(
            {
                "findings": [
                    {"code": "ORM101", "path": s01_path, "line": s01_line, "message": "book.author ...",
                     "confirmed": True},
                    {"code": "ORM504", "path": "example_project/catalog/models.py", "line": 3,
                     "message": "Review.__str__ reads self.book: one Book query", "confirmed": False},
                ],
                "runtime_only": [{"kind": "lazy_load"}],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    report = tmp_path / "runtime.json"
    findings = [
        runtime_finding("S01", "test a"),
        runtime_finding("S13", "test b", "catalog.Review", "book"),
        runtime_finding("S13", "test b", "catalog.Review", "reviewer"),
    ]
    report.write_text(json.dumps({"version": 1, "findings": findings}), encoding="utf-8")

    assert demo_story.reconcile(static, report) == [
        "In short: 27 deliberate N+1 sites in example_project (README.md lists them)",
        "  2 static findings: one at each of the 1 sites, and ORM504 at example_project/catalog/models.py:3"
        " (Review.__str__ reads self.book)",
        "  3 runtime call sites: one at each of the 2 sites the tests run, and S13 has 2"
        " (catalog.Review.book and catalog.Review.reviewer, on one line)",
        "  1 of 2 static findings confirmed at runtime, 1 static-only, 1 runtime-only.",
    ]


def test_reconcile_names_a_site_whose_tests_did_not_run(tmp_path: Path) -> None:
    # F02 needs Django 6.1: on an older Django its tests are skipped and its static finding stays unconfirmed.
    s01_path, s01_line = MARKERS["S01"]
    f02_path, f02_line = MARKERS["F02"]
    static = tmp_path / "static.json"
    static.write_text(
        json.dumps(
            {
                "findings": [
                    {"code": "ORM101", "path": s01_path, "line": s01_line, "message": "book.author ...",
                     "confirmed": True},
                    {"code": "ORM102", "path": f02_path, "line": f02_line, "message": "book.tags.all() ...",
                     "confirmed": False},
                ],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    report = tmp_path / "runtime.json"
    report.write_text(json.dumps({"version": 1, "findings": [runtime_finding("S01", "test a")]}), encoding="utf-8")

    assert demo_story.reconcile(static, report)[-1] == (
        "  1 of 2 static findings confirmed at runtime, 1 static-only, 0 runtime-only. "
        "Static-only: F02, whose tests were skipped here."
    )
