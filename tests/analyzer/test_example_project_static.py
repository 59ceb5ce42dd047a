"""The static pass over example_project/ against its README tables: every site found at its marker line, every
fixed twin quiet, the listed model-design findings at theirs, and nothing else reported by any default rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import AnalysisResult
from analyzer.rules import rule_by_code

REPOSITORY = Path(__file__).resolve().parent.parent.parent
PROJECT = REPOSITORY / "example_project"
README = PROJECT / "README.md"
# The rules of the flow pass, and those that follow querysets into templates, serializers and the admin.
FLOW_RULE_CODES = frozenset(
    {"ORM101", "ORM102", "ORM103", "ORM104", "ORM105", "ORM106", "ORM107"}
    | {"ORM110", "ORM111", "ORM112"}
    | {"ORM201", "ORM202", "ORM301", "ORM302", "ORM303", "ORM401", "ORM402"}
)
_ROW = re.compile(r"^\|\s*(S\d+)\s*\|\s*`([^`]+)`\s*\|(.*)\|\s*(ORM\d{3})\s*\|")
_FETCH_MODE_ROW = re.compile(r"^\|\s*(F\d+)\s*\|\s*`([^`]+)`\s*\|.*\|\s*(yes|no)\s*\|\s*(ORM\d{3}|—)\s*\|[^|]*\|$")
_OTHER_ROW = re.compile(r"^\|\s*(M\d+)\s*\|\s*`([^`]+)`\s*\|.*\|\s*(ORM\d{3})\s*\|[^|]*\|$")


@dataclass(frozen=True)
class Site:
    site: str
    path: str  # relative to the repository root, like the findings
    code: str


def _sites() -> list[Site]:
    sites: list[Site] = []
    for line in README.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            site, file, _, code = match.groups()
            sites.append(Site(site, f"example_project/{file}", code))
    return sites


def _other_findings() -> list[Site]:
    rows = [_OTHER_ROW.match(line) for line in README.read_text(encoding="utf-8").splitlines()]
    return [Site(row[1], f"example_project/{row[2]}", row[3]) for row in rows if row]


def _fetch_mode_sites() -> list[Site]:
    rows = [_FETCH_MODE_ROW.match(line) for line in README.read_text(encoding="utf-8").splitlines()]
    return [Site(row[1], f"example_project/{row[2]}", row[4]) for row in rows if row]


def _marker_lines(kind: str, site: str) -> list[tuple[str, int]]:
    pattern = re.compile(rf"(#|\{{#)\s*{kind}: {site}\b")
    found: list[tuple[str, int]] = []
    for path in sorted(PROJECT.rglob("*")):
        if path.suffix not in (".py", ".html") or "migrations" in path.parts:
            continue
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(text):
                found.append((path.relative_to(REPOSITORY).as_posix(), number))
    return found


@cache
def _result() -> AnalysisResult:
    return analyze([PROJECT], Config(settings="bookshop.settings"), cwd=REPOSITORY)


SITES = _sites() if README.is_file() else []
OTHER_FINDINGS = _other_findings() if README.is_file() else []
FETCH_MODE_SITES = _fetch_mode_sites() if README.is_file() else []


def test_readme_table_lists_the_sites() -> None:
    assert [site.site for site in SITES] == [f"S{number:02d}" for number in range(1, 27)]


def test_analysis_of_the_example_project_has_no_errors() -> None:
    assert _result().errors == ()


@pytest.mark.parametrize("site", SITES, ids=[site.site for site in SITES])
def test_site_is_found_at_its_marker_line(site: Site) -> None:
    if site.code not in FLOW_RULE_CODES:
        if rule_by_code(site.code) is None:
            pytest.skip(f"{site.code} (templates, serializers, admin) has no rule yet")
        pytest.skip(f"{site.code} is not a flow rule; its own tests check this site")
    (marker,) = [marker for marker in _marker_lines("site", site.site) if marker[0] == site.path]
    at_marker = [finding for finding in _result().findings if (finding.path, finding.line) == marker]
    assert [finding.code for finding in at_marker] == [site.code]


@pytest.mark.parametrize("site", SITES, ids=[site.site for site in SITES])
def test_fixed_twin_is_quiet(site: Site) -> None:
    twins = _marker_lines("twin", site.site)
    assert twins, f"no twin marker for {site.site}"
    reported = [(finding.code, finding.path, finding.line) for finding in _result().findings]
    assert [entry for entry in reported if (entry[1], entry[2]) in twins] == []


def test_fetch_mode_table_lists_a_quiet_site_and_an_n_plus_one() -> None:
    assert [(site.site, site.path, site.code) for site in FETCH_MODE_SITES] == [
        ("F01", "example_project/catalog/selectors.py", "—"),
        ("F02", "example_project/catalog/selectors.py", "ORM102"),
    ]


def test_fetch_peers_loop_over_forward_relations_is_quiet() -> None:
    (marker,) = _marker_lines("quiet", "F01")
    assert [finding.code for finding in _result().findings if (finding.path, finding.line) == marker] == []


def test_related_manager_loop_under_fetch_peers_is_found_and_its_twin_quiet() -> None:
    (marker,) = _marker_lines("site", "F02")
    (twin,) = _marker_lines("twin", "F02")
    at_marker = [finding for finding in _result().findings if (finding.path, finding.line) == marker]
    assert [finding.code for finding in at_marker] == ["ORM102"]
    assert at_marker[0].message == (
        "book.tags.all() runs one query per row of Book.objects.fetch_mode(...) (line "
        f'{marker[1] - 1}); add .prefetch_related("tags") there'
    )
    assert [finding for finding in _result().findings if (finding.path, finding.line) == twin] == []


def test_other_findings_table_lists_the_model_design_finding() -> None:
    assert [(finding.site, finding.path, finding.code) for finding in OTHER_FINDINGS] == [
        ("M01", "example_project/catalog/models.py", "ORM504")
    ]


@pytest.mark.parametrize("listed", OTHER_FINDINGS, ids=[listed.site for listed in OTHER_FINDINGS])
def test_other_finding_is_reported_at_its_marker_line(listed: Site) -> None:
    (marker,) = _marker_lines("finding", listed.site)
    assert marker[0] == listed.path
    at_marker = [finding.code for finding in _result().findings if (finding.path, finding.line) == marker]
    assert at_marker == [listed.code]


def test_nothing_else_is_reported() -> None:
    markers = {marker for site in SITES for marker in _marker_lines("site", site.site)}
    markers |= {marker for listed in OTHER_FINDINGS for marker in _marker_lines("finding", listed.site)}
    markers |= {marker for site in FETCH_MODE_SITES for marker in _marker_lines("site", site.site)}
    unexpected = [
        (finding.code, finding.path, finding.line, finding.message)
        for finding in _result().findings
        if (finding.path, finding.line) not in markers
    ]
    assert unexpected == []
