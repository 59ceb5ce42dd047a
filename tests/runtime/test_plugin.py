"""The pytest plugin, run in a subprocess on a tiny self-contained Django project (tests/fixtures/runtime_project)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.runtime.conftest import line_of

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "runtime_project"
TEST_LINE = line_of(PROJECT / "test_shop.py", "site: test")
FIXTURE_LINE = line_of(PROJECT / "test_shop.py", "site: fixture")
TEST_MESSAGE = (
    f"N+1 detected on tinyshop.Book.author at test_shop.py:{TEST_LINE} in test_n_plus_one (3 queries); "
    'add .select_related("author")'
)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    shutil.copytree(PROJECT, pytester.path, dirs_exist_ok=True)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tiny_settings")
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_without_the_flag_nothing_changes(project: pytest.Pytester) -> None:
    result = run(project)
    result.assert_outcomes(passed=5)
    assert "nplusone" not in result.stdout.str()


def test_flag_fails_the_n_plus_one_test_with_the_message(project: pytest.Pytester) -> None:
    result = run(project, "--detect-nplusone")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_n_plus_one _*",
            "1 N+1 query detected:",
            f"  {TEST_MESSAGE}",
            "*= short test summary info =*",
            "FAILED test_shop.py::test_n_plus_one*",
        ]
    )
    assert "SELECT" not in result.stdout.str()


def test_verbose_adds_the_sql_without_parameters(project: pytest.Pytester) -> None:
    result = run(project, "--detect-nplusone", "-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [f"  {TEST_MESSAGE}", '      SELECT "tinyshop_author"."id", * WHERE "tinyshop_author"."id" = %s LIMIT %s']
    )


def test_ini_option_turns_detection_on(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\ndetect_nplusone = true\n")
    result = run(project)
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines([f"  {TEST_MESSAGE}"])


def test_threshold_option_raises_the_bar(project: pytest.Pytester) -> None:
    run(project, "--detect-nplusone", "--nplusone-threshold", "4").assert_outcomes(passed=5)


def test_include_setup_checks_fixtures_too(project: pytest.Pytester) -> None:
    result = run(project, "--detect-nplusone", "--nplusone-include-setup", "-k", "fixture_only")
    result.assert_outcomes(failed=1, deselected=4)
    result.stdout.fnmatch_lines(
        [
            f"  N+1 detected on tinyshop.Book.author at test_shop.py:{FIXTURE_LINE} in author_names (3 queries); "
            'add .select_related("author")'
        ]
    )


def test_report_file_lists_each_finding_with_its_test(project: pytest.Pytester) -> None:
    result = run(project, "--nplusone-report", "report.json")
    # The report alone records without failing tests.
    result.assert_outcomes(passed=5)
    data = json.loads((project.path / "report.json").read_text())
    assert data == {
        "version": 1,
        "findings": [
            {
                "kind": "lazy_load",
                "model": "tinyshop.Book",
                "field": "author",
                "count": 3,
                "path": "test_shop.py",
                "line": TEST_LINE,
                "function": "test_n_plus_one",
                "fix": 'add .select_related("author")',
                "sql": data["findings"][0]["sql"],
                "origin": "test test_shop.py::test_n_plus_one",
            }
        ],
    }
    assert data["findings"][0]["sql"].endswith('WHERE "tinyshop_author"."id" = %s LIMIT %s')


def test_xdist_workers_merge_into_one_report(project: pytest.Pytester) -> None:
    copies = "\n".join(
        f"def test_copy_{index}(books):\n    assert [book.author.name for book in Book.objects.all()]\n"
        for index in range(4)
    )
    project.makepyfile(test_more=f"from tinyshop.models import Book\nfrom test_shop import books\n\n{copies}")
    result = run(project, "-n", "2", "--detect-nplusone", "--nplusone-report", "report.json")
    result.assert_outcomes(passed=4, failed=5)
    data = json.loads((project.path / "report.json").read_text())
    assert sorted(finding["origin"] for finding in data["findings"]) == [
        "test test_more.py::test_copy_0",
        "test test_more.py::test_copy_1",
        "test test_more.py::test_copy_2",
        "test test_more.py::test_copy_3",
        "test test_shop.py::test_n_plus_one",
    ]
    assert {(finding["model"], finding["field"], finding["count"]) for finding in data["findings"]} == {
        ("tinyshop.Book", "author", 3)
    }
    assert not list(project.path.glob(".report.json.*.tmp"))
    # The controller's summary reads the merged report, so it lists every worker's call sites.
    result.stdout.fnmatch_lines(
        [
            "*= N+1 queries: 5 call sites =*",
            *(
                f"test_more.py:{line}: lazy load of tinyshop.Book.author, up to 3 queries, in 1 test; "
                'add .select_related("author")'
                for line in (5, 8, 11, 14)
            ),
            f"test_shop.py:{TEST_LINE}: lazy load of tinyshop.Book.author, up to 3 queries, in 1 test; "
            'add .select_related("author")',
        ]
    )


def test_summary_lists_each_call_site_once(project: pytest.Pytester) -> None:
    result = run(project, "--detect-nplusone")
    result.stdout.fnmatch_lines(
        [
            "*= N+1 queries: 1 call site =*",
            f"test_shop.py:{TEST_LINE}: lazy load of tinyshop.Book.author, up to 3 queries, in 1 test; "
            'add .select_related("author")',
        ]
    )


def test_summary_says_so_when_nothing_was_detected(project: pytest.Pytester) -> None:
    result = run(project, "--detect-nplusone", "-k", "not n_plus_one")
    assert "nplusone: no N+1 queries detected" in result.stdout.lines
