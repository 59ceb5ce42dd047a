"""example_project/README.md's tables agree with the site registry and with the markers in the source tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookshop_sites import FETCH_MODE_SITES_BY_ID, FETCH_MODE_TWINS, SCENARIOS_BY_ID

PROJECT = Path(__file__).resolve().parent.parent
README = PROJECT / "README.md"
SITE_HEADER = "| Site | File | Function | Pattern | N+1 | Code | Fix |"
TWIN_HEADER = "| Twin | File | Function |"
FETCH_MODE_SITE_HEADER = "| Fetch-mode site | File | Function | Pattern | N+1 | Code | Fix |"
FETCH_MODE_TWIN_HEADER = "| Fetch-mode twin | File | Function |"
STATIC_CODES = {
    "ORM101", "ORM102", "ORM103", "ORM104", "ORM105", "ORM106", "ORM107",
    "ORM110", "ORM111", "ORM112", "ORM201", "ORM202", "ORM301", "ORM302", "ORM303",
}  # fmt: skip
MARKER = re.compile(r"(?:#|\{#) (site|twin): (S\d+)\b")
FETCH_MODE_MARKER = re.compile(r"# (site|twin|quiet): (F\d+)\b")


def _table(header: str) -> list[list[str]]:
    lines = README.read_text().splitlines()
    start = lines.index(header)
    rows = []
    # Skip the header and its |---| separator; the table ends at the first line that is not a row.
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def _markers(marker: re.Pattern[str] = MARKER) -> dict[tuple[str, str], list[str]]:
    """(kind, site id) -> "file:line" of every marker in the project's code and templates, outside the tests."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.suffix not in {".py", ".html"} or "tests" in path.relative_to(PROJECT).parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for kind, site_id in marker.findall(line):
                found.setdefault((kind, site_id), []).append(f"{path.relative_to(PROJECT).as_posix()}:{number}")
    return found


SITE_ROWS = _table(SITE_HEADER)
TWIN_ROWS = _table(TWIN_HEADER)
MARKERS = _markers()
FETCH_MODE_SITE_ROWS = _table(FETCH_MODE_SITE_HEADER)
FETCH_MODE_TWIN_ROWS = _table(FETCH_MODE_TWIN_HEADER)
FETCH_MODE_MARKERS = _markers(FETCH_MODE_MARKER)


def test_site_table_lists_exactly_the_registered_sites_in_order() -> None:
    assert [row[0] for row in SITE_ROWS] == sorted(SCENARIOS_BY_ID)


def test_twin_table_lists_a_twin_for_every_site() -> None:
    assert [row[0] for row in TWIN_ROWS] == sorted(SCENARIOS_BY_ID)


def test_every_marker_belongs_to_a_listed_site() -> None:
    assert {site_id for _, site_id in MARKERS} == set(SCENARIOS_BY_ID)


@pytest.mark.parametrize("row", SITE_ROWS, ids=lambda row: row[0])
def test_site_row_matches_the_registry_and_has_one_marker_in_its_file(row: list[str]) -> None:
    site_id, file, function, _pattern, grows, code, fix = row
    scenario = SCENARIOS_BY_ID[site_id]
    assert (code, grows) == (scenario.code, "yes")
    assert code in STATIC_CODES
    assert fix
    assert len(MARKERS[("site", site_id)]) == 1
    assert MARKERS[("site", site_id)][0].rsplit(":", 1)[0] == file
    _assert_names_a_definition(file, function)


@pytest.mark.parametrize("row", TWIN_ROWS, ids=lambda row: row[0])
def test_twin_row_has_one_marker_in_its_file(row: list[str]) -> None:
    site_id, file, function = row
    assert len(MARKERS[("twin", site_id)]) == 1
    assert MARKERS[("twin", site_id)][0].rsplit(":", 1)[0] == file
    _assert_names_a_definition(file, function)


def test_fetch_mode_tables_list_exactly_the_registered_sites_and_twins() -> None:
    assert [row[0] for row in FETCH_MODE_SITE_ROWS] == sorted(FETCH_MODE_SITES_BY_ID)
    assert [row[0] for row in FETCH_MODE_TWIN_ROWS] == sorted(FETCH_MODE_TWINS)
    assert set(FETCH_MODE_MARKERS) == {("quiet", "F01"), ("site", "F02"), ("twin", "F02")}


@pytest.mark.parametrize("row", FETCH_MODE_SITE_ROWS, ids=lambda row: row[0])
def test_fetch_mode_site_row_matches_the_registry_and_its_marker(row: list[str]) -> None:
    site_id, file, function, _pattern, grows, code, fix = row
    site = FETCH_MODE_SITES_BY_ID[site_id]
    # An N+1 adds queries per row and names its rule; a quiet site does neither and has no twin.
    expected = ("yes", code in STATIC_CODES, True) if site.per_row else ("no", code == "—", False)
    assert (grows, code in STATIC_CODES or code == "—", site_id in FETCH_MODE_TWINS) == expected
    assert fix
    (marker,) = FETCH_MODE_MARKERS[("site" if site.per_row else "quiet", site_id)]
    assert marker.rsplit(":", 1)[0] == file
    assert site.path.__name__ == function
    _assert_names_a_definition(file, function)


@pytest.mark.parametrize("row", FETCH_MODE_TWIN_ROWS, ids=lambda row: row[0])
def test_fetch_mode_twin_row_matches_the_registry_and_its_marker(row: list[str]) -> None:
    site_id, file, function = row
    (marker,) = FETCH_MODE_MARKERS[("twin", site_id)]
    assert marker.rsplit(":", 1)[0] == file
    assert FETCH_MODE_TWINS[site_id][0].__name__ == function
    _assert_names_a_definition(file, function)


def _assert_names_a_definition(file: str, function: str) -> None:
    """The Function cell names a function, class or class attribute of the file (of the view, for a template)."""
    name = re.split(r"[ .]", function)[0].strip("`")
    path = PROJECT / file
    if path.suffix == ".html":
        path = PROJECT / file.split("/templates/")[0] / "views.py"
    assert re.search(rf"^\s*(?:def|class) {re.escape(name)}\b", path.read_text(), re.MULTILINE), (name, path)
