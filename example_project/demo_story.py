"""Tell the demo's figures in words: how many of the example tests are N+1 sites, and how 26 sites become the
static findings and the runtime call sites.

Run from the repository root (``make demo`` does):

- ``venv/bin/python example_project/demo_story.py tests --junit J --log L --report R``: after the example tests ran
  under ``pytest --detect-nplusone --junitxml J --nplusone-report R`` with their output in L, say which tests fail
  and why, then print pytest's N+1 call sites and its closing line.
- ``venv/bin/python example_project/demo_story.py reconcile --static S --report R``: from the static pass's JSON
  report S (joined with R) and the runtime report R, reconcile sites, findings and runtime call sites.

Sites are the lines of the example project that end with a site marker comment (README.md, "Deliberate N+1
sites").
"""

from __future__ import annotations

import argparse
import json
import re
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent
REPOSITORY = PROJECT.parent
# S01-S26 and the Django 6.1 fetch-mode site F02.
MARKER = re.compile(r"(?:#|\{#) site: ([SF]\d+)")
SUFFIXES = (".py", ".html")
N_PLUS_ONE_SECTION = re.compile(r"^=+ N\+1 queries")
ROWS_ID = re.compile(r"-(\d+)rows\]$")


def site_markers() -> dict[tuple[str, int], str]:
    """(path relative to the repository, line) -> site id, for every marked line of the example project."""
    markers: dict[tuple[str, int], str] = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.suffix not in SUFFIXES or "tests" in path.relative_to(PROJECT).parts:
            continue
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARKER.search(text)
            if match:
                markers[(path.relative_to(REPOSITORY).as_posix(), number)] = match.group(1)
    return markers


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _site_list(sites: Sequence[str]) -> str:
    return ", ".join(sorted(set(sites)))


def _runtime_findings(report: Path) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(report.read_text(encoding="utf-8"))["findings"]
    return findings


def explain_tests(junit: Path, log: Path, report: Path) -> list[str]:
    suite = ElementTree.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")  # type: ignore[assignment]
    total = int(suite.get("tests", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    markers = site_markers()
    sites_by_test: dict[str, set[str]] = defaultdict(set)
    for finding in _runtime_findings(report):
        site = markers.get((finding["path"], finding["line"]))
        if site is not None:
            sites_by_test[str(finding["origin"]).removeprefix("test ")].add(site)
    by_function: dict[str, list[str]] = defaultdict(list)
    for test_id in sites_by_test:
        by_function[test_id.split("::", 1)[1].split("[", 1)[0]].append(test_id)
    every_site = set(markers.values())
    lines = [
        f"{total} tests ran: {failed} of them run an N+1 site and fail on purpose, "
        f"{total - failed} pass (the twins and the tests that run no N+1).",
        f"{failed} is not {len(every_site)}, the number of sites, because most sites are run by more than one test:",
    ]
    for function, test_ids in sorted(by_function.items(), key=lambda item: -len(item[1])):
        sites = sorted({site for test_id in test_ids for site in sites_by_test[test_id]})
        rows = sorted({int(match.group(1)) for test_id in test_ids if (match := ROWS_ID.search(test_id))})
        if len(sites) == len(every_site) and len(rows) > 1:
            what = f"each of the {len(sites)} sites at {' and '.join(map(str, rows))} rows"
        elif len(sites) > 3:
            what = f"{len(sites)} sites, once each"
        else:
            what = _site_list(sites)
        lines.append(f"  {len(test_ids):>3} {function}: {what}")
    if len(sites_by_test) != failed:
        lines.append(f"  ({failed - len(sites_by_test)} failing tests ran no marked site)")
    output = log.read_text(encoding="utf-8").splitlines()
    start = next((index for index, text in enumerate(output) if N_PLUS_ONE_SECTION.match(text)), None)
    if start is not None:
        lines.extend(output[start:])
    elif output:
        lines.append(output[-1])
    return lines


def reconcile(static_report: Path, runtime_report: Path) -> list[str]:
    markers = site_markers()
    document = json.loads(static_report.read_text(encoding="utf-8"))
    findings: list[dict[str, Any]] = document["findings"]
    sites = sorted(set(markers.values()))
    unmarked = [finding for finding in findings if (finding["path"], finding["line"]) not in markers]
    calls: dict[tuple[str, int, str, str, str], str | None] = {}
    for runtime in _runtime_findings(runtime_report):
        model, field = runtime.get("model") or "", runtime.get("field") or ""
        key = (runtime["path"], runtime["line"], runtime["kind"], model, field)
        calls[key] = markers.get((runtime["path"], runtime["line"]))
    calls_per_site: dict[str, list[str]] = defaultdict(list)
    for (_, _, _, model, field), site in calls.items():
        if site is not None:
            calls_per_site[site].append(f"{model}.{field}" if field else model)
    confirmed = sum(bool(finding["confirmed"]) for finding in findings)
    runtime_only = len(document.get("runtime_only", []))

    at_sites = len(findings) - len(unmarked)
    static_line = f"  {_plural(len(findings), 'static finding')}: one at each of the {at_sites} sites"
    if unmarked:
        extra = "; ".join(
            f"{finding['code']} at {finding['path']}:{finding['line']} ({finding['message'].split(':', 1)[0]})"
            for finding in unmarked
        )
        static_line += f", and {extra}"
    runtime_line = (
        f"  {_plural(len(calls), 'runtime call site')}: one at each of the {len(calls_per_site)} sites the tests run"
    )
    doubles = {site: targets for site, targets in sorted(calls_per_site.items()) if len(targets) > 1}
    if doubles:
        runtime_line += ", and " + "; ".join(
            f"{site} has {len(targets)} ({' and '.join(sorted(targets))}, on one line)"
            for site, targets in doubles.items()
        )
    unmarked_calls = sum(site is None for site in calls.values())
    if unmarked_calls:
        runtime_line += f", and {unmarked_calls} outside the sites"
    closing = (
        f"  {confirmed} of {len(findings)} static findings confirmed at runtime, "
        f"{len(findings) - confirmed} static-only, {runtime_only} runtime-only."
    )
    unrun = sorted(
        {
            markers[(finding["path"], finding["line"])]
            for finding in findings
            if not finding["confirmed"] and (finding["path"], finding["line"]) in markers
        }
        - set(calls_per_site)
    )
    if unrun:
        # F02 needs Django 6.1: on an older Django its tests are skipped, so nothing can confirm it.
        closing += f" Static-only: {_site_list(unrun)}, whose tests were skipped here."
    return [
        f"In short: {_plural(len(sites), 'deliberate N+1 site')} in example_project (README.md lists them)",
        static_line,
        runtime_line,
        closing,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    tests = commands.add_parser("tests", help="explain the example tests' results")
    tests.add_argument("--junit", type=Path, required=True)
    tests.add_argument("--log", type=Path, required=True)
    tests.add_argument("--report", type=Path, required=True)
    join = commands.add_parser("reconcile", help="reconcile sites, static findings and runtime call sites")
    join.add_argument("--static", type=Path, required=True)
    join.add_argument("--report", type=Path, required=True)
    options = parser.parse_args()
    if options.command == "tests":
        lines = explain_tests(options.junit, options.log, options.report)
    else:
        lines = reconcile(options.static, options.report)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
