"""``--fix`` on a copy of example_project: what a rerun still reports, that the twins and the formatting are
untouched, and that the fixed sites issue the same number of queries for 3 and for 6 rows when they run.

The copy is fixed in place (with the repository's pyproject.toml next to it, for ruff's settings and pytest's
Django configuration). The query counts come from a small test module written into the copy, which runs every
site of ``bookshop_sites.SCENARIOS`` once over 3 and once over 6 fresh rows in a pytest subprocess and records the
counts; the N+1 of a site is gone when its count no longer grows with the rows.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import Applicability

REPOSITORY = Path(__file__).resolve().parents[2]
SITE_MARKER = re.compile(r"site: (S\d\d)")
TWIN_MARKER = "twin: S"

COUNTING_MODULE = '''\
"""Run every site once over 3 and once over 6 fresh rows and record how many queries each run issued."""

import json
import os

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookshop_sites import SCENARIOS


@pytest.mark.django_db
@pytest.mark.parametrize("rows", (3, 6))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.site_id)
def test_count(scenario, rows, client):
    ContentType.objects.get_for_models(*apps.get_models())
    if scenario.staff:
        client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", None))
    arranged = scenario.arrange(rows)
    with CaptureQueriesContext(connection) as captured:
        scenario.site(client, arranged)
    with open(os.environ["FIX_COUNTS_FILE"], "a", encoding="utf-8") as stream:
        stream.write(json.dumps([scenario.site_id, rows, len(captured.captured_queries)]) + "\\n")
'''

# Sites whose per-row queries a safe fix removes (S13 issues two per row, the others one), and an unsafe one.
SAFELY_FIXED = {f"S{number:02d}" for number in (*range(1, 9), 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 26)}
UNSAFELY_FIXED = {"S09", "S14", "S22", "S23", "S24"}
# What a rerun still reports at the other sites, and whether each has a fix for --unsafe-fixes.
REMAINING_AT_SITES = {
    ("S09", "ORM105", Applicability.UNSAFE),  # Prefetch(..., to_attr=...) turns the read into a list
    ("S14", "ORM101", Applicability.UNSAFE),  # order.lines.all() may read a prefetch the caller made
    ("S21", "ORM201", None),
    ("S22", "ORM202", Applicability.UNSAFE),  # a Count annotation can differ from count() (joins, managers)
    ("S23", "ORM301", Applicability.UNSAFE),  # bulk_update() skips save(), its signals and auto_now
    ("S24", "ORM302", Applicability.UNSAFE),  # bulk_create() skips save() and its signals
    ("S25", "ORM303", None),  # the loop counts the rows it deletes: more than one delete() can replace
}


def _sources(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.suffix in (".py", ".html") and "__pycache__" not in path.parts
    }


def _twin_blocks(text: str) -> list[str]:
    """The top-level functions and classes that hold a twin marker, as written."""
    blocks = re.split(r"\n(?=(?:@|def |class ))", text)
    return [block for block in blocks if TWIN_MARKER in block]


def _site_lines(sources: dict[str, str]) -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    for path, text in sources.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = SITE_MARKER.search(line)
            if match:
                found[(path, number)] = match.group(1)
    return found


def _fix_a_copy(root: Path, *flags: str) -> tuple[Path, dict[str, str], int]:
    shutil.copy(REPOSITORY / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(
        REPOSITORY / "example_project",
        root / "example_project",
        ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", ".django-orm-analyzer-cache"),
    )
    project = root / "example_project"
    before = _sources(project)
    previous = Path.cwd()
    os.chdir(project)
    try:
        code = main(["--fix", "--no-cache", *flags, "."])
    finally:
        os.chdir(previous)
    return root, before, code


@pytest.fixture(scope="module")
def fixed_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], int]:
    return _fix_a_copy(tmp_path_factory.mktemp("fixed"))


@pytest.fixture(scope="module")
def unsafely_fixed_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], int]:
    return _fix_a_copy(tmp_path_factory.mktemp("unsafely-fixed"), "--unsafe-fixes")


def _query_growth(root: Path) -> dict[str, int]:
    """How many more queries each site issues for 6 rows than for 3, run in a pytest subprocess on the copy."""
    (root / "example_project" / "tests" / "test_fix_counts.py").write_text(COUNTING_MODULE, encoding="utf-8")
    counts_file = root / "counts.jsonl"
    environment = {**os.environ, "FIX_COUNTS_FILE": str(counts_file)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "example_project/tests/test_fix_counts.py"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    counts: dict[str, dict[int, int]] = {}
    for line in counts_file.read_text(encoding="utf-8").splitlines():
        site, rows, queries = json.loads(line)
        counts.setdefault(site, {})[rows] = queries
    assert len(counts) == 26
    return {site: by_rows[6] - by_rows[3] for site, by_rows in counts.items()}


def test_fix_leaves_no_site_with_a_safe_fix_and_exits_one_for_the_rest(
    fixed_copy: tuple[Path, dict[str, str], int],
) -> None:
    root, _, code = fixed_copy
    project = root / "example_project"

    result = analyze(["."], Config(cache=False), cwd=project)

    sites = _site_lines(_sources(project))
    remaining = {
        (
            sites[(finding.path, finding.line)],
            finding.code,
            finding.fix.edit.applicability if finding.fix and finding.fix.edit else None,
        )
        for finding in result.findings
        if (finding.path, finding.line) in sites
    }
    assert code == 1
    assert remaining == REMAINING_AT_SITES
    assert not any(
        finding.fix.edit.applicability is Applicability.SAFE
        for finding in result.findings
        if finding.fix is not None and finding.fix.edit is not None
    )


def test_fix_changes_no_twin_and_keeps_the_files_formatted(fixed_copy: tuple[Path, dict[str, str], int]) -> None:
    root, before, _ = fixed_copy
    after = _sources(root / "example_project")

    changed = sorted(path for path in before if before[path] != after[path])
    assert changed == [
        "accounts/selectors.py",
        "catalog/admin.py",
        "catalog/api/views.py",
        "catalog/selectors.py",
        "catalog/views.py",
        "orders/selectors.py",
    ]
    assert {path: _twin_blocks(after[path]) for path in before} == {path: _twin_blocks(before[path]) for path in before}
    formatting = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *(f"example_project/{path}" for path in changed)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (formatting.returncode, formatting.stdout) == (0, f"{len(changed)} files already formatted\n")


def test_fixed_sites_issue_the_same_queries_for_3_and_6_rows(fixed_copy: tuple[Path, dict[str, str], int]) -> None:
    growth = _query_growth(fixed_copy[0])

    assert growth == {site: 0 if site in SAFELY_FIXED else 3 for site in growth}


def test_unsafe_fixes_also_flatten_the_prefetch_related_manager_and_count_sites(
    unsafely_fixed_copy: tuple[Path, dict[str, str], int],
) -> None:
    root, _, code = unsafely_fixed_copy
    result = analyze(["."], Config(cache=False), cwd=root / "example_project")
    sites = _site_lines(_sources(root / "example_project"))

    remaining = {
        (sites[(item.path, item.line)], item.code) for item in result.findings if (item.path, item.line) in sites
    }
    growth = _query_growth(root)

    assert code == 1
    assert remaining == {("S21", "ORM201"), ("S25", "ORM303")}
    assert growth == {site: 0 if site in SAFELY_FIXED | UNSAFELY_FIXED else 3 for site in growth}


def test_unsafe_fixes_turn_the_write_sites_into_bulk_writes(
    unsafely_fixed_copy: tuple[Path, dict[str, str], int],
) -> None:
    root, before, _ = unsafely_fixed_copy
    after = _sources(root / "example_project")

    changes = {
        path: [line for line in difflib.ndiff(before[path].splitlines(), after[path].splitlines()) if line[0] in "+-"]
        for path in ("catalog/services.py", "orders/services.py")
    }

    assert changes == {
        "catalog/services.py": [
            "+     changed_books: list[Book] = []",
            "-         book.save()  # site: S23",
            "+         changed_books.append(book)  # site: S23",
            '+     Book.objects.bulk_update(changed_books, ["price"])',
        ],
        "orders/services.py": [
            "+     new_order_lines: list[OrderLine] = []",
            "-         OrderLine.objects.create(order=order, book=book, quantity=1, unit_price=book.price)"
            "  # site: S24",
            "+         new_order_lines.append(OrderLine(order=order, book=book, quantity=1, unit_price=book.price))"
            "  # site: S24",
            "+     OrderLine.objects.bulk_create(new_order_lines)",
        ],
    }
    formatting = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *(f"example_project/{path}" for path in changes)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (formatting.returncode, formatting.stdout) == (0, "2 files already formatted\n")
