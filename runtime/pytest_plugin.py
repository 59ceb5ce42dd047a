"""pytest plugin: `--detect-nplusone` fails a test that triggers an N+1; `--nplusone-report FILE` writes the report.

Without these options (or their ini twins) the plugin only registers its options and the `nplusone` marker, and
imports neither Django nor pytest-django. Each test runs in a detection scope covering its call phase without
unittest's setUp / tearDown (and the setup phase and those too with `--nplusone-include-setup`). Loops in test
code are the test's, not the application's: they count only with `--nplusone-include-test-code`. Under
pytest-xdist every worker merges its findings into the report under a file lock; the controller empties the
report when the session starts.
"""

from __future__ import annotations

import os
import unittest
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from contextvars import Token
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runtime.findings import RuntimeFinding

if TYPE_CHECKING:
    from runtime._scope import Scope

_MARKER = "nplusone(allow=[...]): allow the N+1s matching these fnmatch patterns, e.g. 'catalog.Book.author'"


@dataclass
class PluginState:
    """The session's options and the findings collected so far (for the report)."""

    fail: bool
    include_setup: bool
    include_test_code: bool
    threshold: int
    unused_eager: bool
    report: Path | None
    root: str
    verbose: bool
    findings: list[RuntimeFinding] = field(default_factory=list)
    tokens: dict[str, Token[Scope | None]] = field(default_factory=dict)


_STATE = pytest.StashKey[PluginState]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nplusone", "N+1 query detection (django-orm-analyzer)")
    group.addoption(
        "--detect-nplusone",
        action="store_true",
        default=None,
        dest="detect_nplusone",
        help="fail tests that trigger an N+1 query (ini: detect_nplusone)",
    )
    group.addoption(
        "--nplusone-report",
        default=None,
        dest="nplusone_report",
        metavar="FILE",
        help="write the runtime report (JSON) of every N+1 seen (ini: nplusone_report)",
    )
    group.addoption(
        "--nplusone-include-setup",
        action="store_true",
        default=None,
        dest="nplusone_include_setup",
        help="check the setup phase (fixtures) too, not only the test call (ini: nplusone_include_setup)",
    )
    group.addoption(
        "--nplusone-include-test-code",
        action="store_true",
        default=None,
        dest="nplusone_include_test_code",
        help="count loops in test files, conftest and factory modules as application loops "
        "(ini: nplusone_include_test_code)",
    )
    group.addoption(
        "--nplusone-threshold",
        default=None,
        dest="nplusone_threshold",
        metavar="N",
        help="report a call site from N per-row queries on (default 2; ini: nplusone_threshold)",
    )
    group.addoption(
        "--nplusone-unused-eager",
        action="store_true",
        default=None,
        dest="nplusone_unused_eager",
        help="also report select_related/prefetch_related paths never read (ini: nplusone_unused_eager)",
    )
    parser.addini("detect_nplusone", "fail tests that trigger an N+1 query", type="bool", default=False)
    parser.addini("nplusone_report", "path of the runtime report to write", default="")
    parser.addini("nplusone_include_setup", "check the setup phase too", type="bool", default=False)
    parser.addini(
        "nplusone_include_test_code", "count loops in test code as application loops", type="bool", default=False
    )
    parser.addini("nplusone_threshold", "per-row queries at one call site that make an N+1", default="2")
    parser.addini("nplusone_unused_eager", "report unused select_related/prefetch_related", type="bool", default=False)


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    return config.getini(name) if value is None else value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)
    report_option = _option(config, "nplusone_report")
    fail = bool(_option(config, "detect_nplusone"))
    if not fail and not report_option:
        return
    try:
        threshold = int(_option(config, "nplusone_threshold"))
    except ValueError as error:
        raise pytest.UsageError(f"--nplusone-threshold must be a whole number: {error}") from error
    if threshold < 1:
        raise pytest.UsageError("--nplusone-threshold must be 1 or more")
    report = Path(config.invocation_params.dir, report_option) if report_option else None
    config.stash[_STATE] = PluginState(
        fail=fail,
        include_setup=bool(_option(config, "nplusone_include_setup")),
        include_test_code=bool(_option(config, "nplusone_include_test_code")),
        threshold=threshold,
        unused_eager=bool(_option(config, "nplusone_unused_eager")),
        report=report,
        root=str(config.rootpath),
        verbose=config.get_verbosity() > 0,
    )
    if report is not None and not hasattr(config, "workerinput"):
        from runtime.report import write_report

        # The controller (or a plain run) starts the report afresh; xdist workers only ever merge into it.
        write_report(report, [])


def _django_ready() -> bool:
    # Nothing to watch in a project that does not configure Django (or before pytest-django set it up).
    try:
        from django.apps import apps
        from django.conf import settings
    except ImportError:
        return False
    return bool(settings.configured) and apps.ready


def _start(item: pytest.Item, state: PluginState) -> None:
    if item.nodeid in state.tokens or not _django_ready():
        return
    from runtime._lifecycle import setup
    from runtime.config import DetectorConfig

    allow: list[str] = []
    for marker in item.iter_markers("nplusone"):
        allow.extend(marker.args)
        allow.extend(marker.kwargs.get("allow", ()))
    config = DetectorConfig(
        threshold=state.threshold,
        allow=tuple(allow),
        unused_eager=state.unused_eager,
        root=state.root,
        test_code=state.include_test_code,
    )
    state.tokens[item.nodeid] = setup(config, origin=f"test {item.nodeid}")


def _finish(item: pytest.Item, state: PluginState) -> list[RuntimeFinding]:
    token = state.tokens.pop(item.nodeid, None)
    if token is None:
        return []
    from runtime._lifecycle import teardown

    findings = teardown(token)
    state.findings.extend(findings)
    return findings


def failure_message(findings: list[RuntimeFinding], verbose: bool) -> str:
    """The text of the test failure: one line per N+1, and its SQL (parameters stripped) when verbose."""
    lines = [f"{len(findings)} N+1 quer{'y' if len(findings) == 1 else 'ies'} detected:"]
    for finding in findings:
        lines.append(f"  {finding.message()}")
        if verbose and finding.sql:
            lines.append(f"      {finding.sql}")
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    state = item.config.stash.get(_STATE, None)
    if state is not None and state.include_setup:
        _start(item, state)
    return (yield)


# unittest runs these inside pytest's call phase; they set the test up and are not what it checks.
_UNITTEST_FIXTURES = ("setUp", "tearDown", "doCleanups", "_pre_setup", "_post_teardown")


def _paused_method(method: Callable[..., Any]) -> Callable[..., Any]:
    from runtime._lifecycle import paused

    def run_paused(*args: Any, **kwargs: Any) -> Any:
        with paused():
            return method(*args, **kwargs)

    return run_paused


@contextmanager
def _unittest_fixtures_paused(item: pytest.Item, state: PluginState) -> Iterator[None]:
    instance = getattr(item, "instance", None)
    if state.include_setup or not isinstance(instance, unittest.TestCase):
        yield
        return
    wrapped = []
    for name in _UNITTEST_FIXTURES:
        method = getattr(instance, name, None)
        if callable(method) and name not in instance.__dict__:
            setattr(instance, name, _paused_method(method))
            wrapped.append(name)
    try:
        yield
    finally:
        for name in wrapped:
            delattr(instance, name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    state = item.config.stash.get(_STATE, None)
    if state is None:
        return (yield)
    _start(item, state)
    try:
        with _unittest_fixtures_paused(item, state):
            result = yield
    finally:
        findings = _finish(item, state)
    if findings and state.fail:
        pytest.fail(failure_message(findings, state.verbose), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    state = item.config.stash.get(_STATE, None)
    if state is not None:
        # A setup phase that failed or skipped never reached the call phase: close its scope here.
        _finish(item, state)
    return (yield)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None or state.report is None:
        return
    from runtime.report import merge_into_report

    merge_into_report(state.report, state.findings)


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    parts = [f"threshold {state.threshold}"]
    if state.report is not None:
        parts.append(f"report {os.path.relpath(state.report, config.invocation_params.dir)}")
    return f"nplusone: {'failing tests on N+1' if state.fail else 'recording only'}, {', '.join(parts)}"


def site_summary(findings: list[RuntimeFinding]) -> list[str]:
    """One line per call site: where, what, how many queries in how many tests, and the fix."""
    sites: dict[tuple[str, int, str, str], list[RuntimeFinding]] = {}
    for finding in findings:
        sites.setdefault((finding.path, finding.line, finding.kind, finding.target), []).append(finding)
    lines = []
    for (path, line, kind, target), group in sorted(sites.items()):
        tests = len({finding.origin for finding in group})
        queries = max(finding.count for finding in group)
        # The most frequent fix, then the first in order: the same text whatever order the findings came in.
        fixes = [finding.fix for finding in group]
        fix = min(set(fixes), key=lambda text: (-fixes.count(text), text))
        what = "repeated query on" if kind == "repeated_query" else kind.replace("_", " ") + " of"
        lines.append(
            f"{path}:{line}: {what} {target}, up to {queries} queries, in {tests} test{'s' * (tests != 1)}; {fix}"
        )
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or hasattr(config, "workerinput"):
        return
    findings = state.findings
    if state.report is not None:
        from runtime.report import read_report

        # Under pytest-xdist the controller saw nothing itself: the merged report holds every worker's findings.
        findings = read_report(state.report)
    if not findings:
        terminalreporter.write_line("nplusone: no N+1 queries detected")
        return
    lines = site_summary(findings)
    terminalreporter.section(f"N+1 queries: {len(lines)} call site{'s' * (len(lines) != 1)}")
    for line in lines:
        terminalreporter.write_line(line)
