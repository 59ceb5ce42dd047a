"""The pytest plugin, run in a subprocess on a tiny self-contained Django project (tests/fixtures/runtime_project)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.runtime.conftest import line_of

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "runtime_project"
SERVICES = PROJECT / "tinyshop" / "services.py"
APP_LOOP = line_of(SERVICES, "site: app-loop")
TEST_MESSAGE = (
    f"N+1 detected on tinyshop.Book.author at tinyshop/services.py:{APP_LOOP} in author_names (3 queries); "
    'add .select_related("author")'
)
APP_LOOP_SUMMARY = (
    f"tinyshop/services.py:{APP_LOOP}: lazy load of tinyshop.Book.author, up to 3 queries, in 1 test; "
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


def shop(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run(project, "test_shop.py", *args)


def test_without_the_flag_nothing_changes(project: pytest.Pytester) -> None:
    result = shop(project)
    result.assert_outcomes(passed=5)
    assert "nplusone" not in result.stdout.str()


def test_flag_fails_the_n_plus_one_test_with_the_message(project: pytest.Pytester) -> None:
    result = shop(project, "--detect-nplusone")
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
    result = shop(project, "--detect-nplusone", "-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [f"  {TEST_MESSAGE}", '      SELECT "tinyshop_author"."id", * WHERE "tinyshop_author"."id" = %s LIMIT %s']
    )


def test_ini_option_turns_detection_on(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\ndetect_nplusone = true\n")
    result = shop(project)
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines([f"  {TEST_MESSAGE}"])


def test_threshold_option_raises_the_bar(project: pytest.Pytester) -> None:
    shop(project, "--detect-nplusone", "--nplusone-threshold", "4").assert_outcomes(passed=5)


def test_include_setup_checks_fixtures_too(project: pytest.Pytester) -> None:
    result = shop(project, "--detect-nplusone", "--nplusone-include-setup", "-k", "fixture_only")
    result.assert_outcomes(failed=1, deselected=4)
    result.stdout.fnmatch_lines(
        [
            f"  N+1 detected on tinyshop.Book.author at tinyshop/services.py:{APP_LOOP} in author_names (3 queries); "
            'add .select_related("author")'
        ]
    )


def test_report_file_lists_each_finding_with_its_test(project: pytest.Pytester) -> None:
    result = shop(project, "--nplusone-report", "report.json")
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
                "path": "tinyshop/services.py",
                "line": APP_LOOP,
                "function": "author_names",
                "fix": 'add .select_related("author")',
                "sql": data["findings"][0]["sql"],
                "origin": "test test_shop.py::test_n_plus_one",
            }
        ],
    }
    assert data["findings"][0]["sql"].endswith('WHERE "tinyshop_author"."id" = %s LIMIT %s')


def test_xdist_workers_merge_into_one_report(project: pytest.Pytester) -> None:
    copies = "\n".join(f"def test_copy_{index}(books):\n    assert services.author_names()\n" for index in range(4))
    project.makepyfile(test_more=f"from tinyshop import services\nfrom test_shop import books\n\n{copies}")
    result = run(
        project, "test_shop.py", "test_more.py", "-n", "2", "--detect-nplusone", "--nplusone-report", "report.json"
    )
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
            "*= N+1 queries: 1 call site =*",
            f"tinyshop/services.py:{APP_LOOP}: lazy load of tinyshop.Book.author, up to 3 queries, in 5 tests; "
            'add .select_related("author")',
        ]
    )


def test_summary_lists_each_call_site_once(project: pytest.Pytester) -> None:
    result = shop(project, "--detect-nplusone")
    result.stdout.fnmatch_lines(
        [
            "*= N+1 queries: 1 call site =*",
            APP_LOOP_SUMMARY,
        ]
    )


def test_summary_says_so_when_nothing_was_detected(project: pytest.Pytester) -> None:
    result = shop(project, "--detect-nplusone", "-k", "not n_plus_one")
    assert "nplusone: no N+1 queries detected" in result.stdout.lines


# --- what counts as an N+1 of the application (tests/fixtures/runtime_project/test_lookalikes.py) ---------------


def lookalike(project: pytest.Pytester, test: str, *args: str) -> pytest.RunResult:
    return run(project, f"test_lookalikes.py::{test}", "--detect-nplusone", *args)


@pytest.mark.parametrize(
    "test",
    [
        # unittest's setUp calls an application N+1: setting the test up is not what the test checks.
        "SetUpTest::test_uses_what_set_up_made",
        # The test calls create_book() three times: a new application frame each time, so no application loop.
        "test_loop_in_the_test_over_application_code",
        # A factory module's batch loop saves through the model's own save(): the loop is the factory's.
        "test_factory_batch",
        # A view called per book through RequestFactory (no request_started between the calls).
        "test_request_factory_loop_over_a_view",
        # One delete() of a tree: Django's collector runs one SELECT per level and a DELETE per batch.
        "test_cascade_delete",
        # iterator(chunk_size=2) with prefetch_related runs one prefetch query per chunk.
        "test_iterator_chunks_with_prefetch",
        # prefetch_related_objects() asks each book's manager for a queryset and runs one query for all.
        "test_prefetch_related_objects",
        # leaf.parent.parent: two loads of one relation on one line, the same at any number of leaves.
        "test_walk_up_a_tree",
    ],
)
def test_repetition_outside_an_application_loop_is_quiet(project: pytest.Pytester, test: str) -> None:
    result = lookalike(project, test)
    result.assert_outcomes(passed=1)
    assert "nplusone: no N+1 queries detected" in result.stdout.lines


def test_set_up_is_checked_with_include_setup(project: pytest.Pytester) -> None:
    result = lookalike(project, "SetUpTest::test_uses_what_set_up_made", "--nplusone-include-setup")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"  {TEST_MESSAGE}"])


def test_test_loops_count_with_include_test_code(project: pytest.Pytester) -> None:
    result = lookalike(project, "test_loop_in_the_test_over_application_code", "--nplusone-include-test-code")
    result.assert_outcomes(failed=1)
    line = line_of(PROJECT / "test_lookalikes.py", "loop: create-books")
    result.stdout.fnmatch_lines(
        [
            "  N+1 detected: repeated query on tinyshop.Book at "
            f"test_lookalikes.py:{line} in test_loop_in_the_test_over_application_code "
            "(3 queries with different parameters); collect the objects and save them with one bulk_create()"
        ]
    )


def test_a_count_per_row_in_an_application_loop_fails(project: pytest.Pytester) -> None:
    result = lookalike(project, "test_application_count_loop")
    result.assert_outcomes(failed=1)
    line = line_of(SERVICES, "site: app-count")
    result.stdout.fnmatch_lines(
        [
            "1 N+1 query detected:",
            f"  N+1 detected: repeated query on tinyshop.Book at tinyshop/services.py:{line} in book_counts "
            "(3 queries with different parameters); annotate the count on the outer queryset: .annotate(n=Count(...))",
        ]
    )


def test_an_aget_per_item_in_an_async_loop_is_reported_at_the_loop(project: pytest.Pytester) -> None:
    # aget() runs its query in asgiref's thread, whose stack holds no application frame.
    result = lookalike(project, "test_async_get_loop")
    result.assert_outcomes(failed=1)
    line = line_of(SERVICES, "site: async-loop")
    result.stdout.fnmatch_lines(
        [
            "1 N+1 query detected:",
            f"  N+1 detected: repeated query on tinyshop.Author at tinyshop/services.py:{line} in author_names_async "
            "(3 queries with different parameters); "
            "fetch the rows in one query before the loop (filter(pk__in=...), in_bulk() or prefetch_related)",
        ]
    )


def test_the_summary_fix_does_not_depend_on_finding_order() -> None:
    from runtime.findings import RuntimeFinding
    from runtime.pytest_plugin import site_summary

    def finding(origin: str, fix: str) -> RuntimeFinding:
        return RuntimeFinding("repeated_query", "shop.Book", "", 3, "shop/views.py", 7, "index", fix, origin=origin)

    findings = [finding("test a", "fix one"), finding("test b", "fix two"), finding("test c", "fix two")]
    expected = ["shop/views.py:7: repeated query on shop.Book, up to 3 queries, in 3 tests; fix two"]
    assert site_summary(findings) == expected
    assert site_summary(findings[::-1]) == expected


def test_nested_model_methods_are_reported_at_the_loop_over_the_rows(project: pytest.Pytester) -> None:
    # book.label() calls book.author_label(), which reads book.author: the loop is in book_labels().
    result = lookalike(project, "test_nested_model_methods")
    result.assert_outcomes(failed=1)
    line = line_of(SERVICES, "site: nested-methods")
    result.stdout.fnmatch_lines(
        [
            "1 N+1 query detected:",
            f"  N+1 detected on tinyshop.Book.author at tinyshop/services.py:{line} in book_labels (3 queries); "
            'add .select_related("author")',
        ]
    )
