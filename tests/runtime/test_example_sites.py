"""The plugin on example_project's own tests: the sites served by a class-based view, a DRF viewset and the admin,
which have no application frame of their own around the per-row work, are reported at the template line, the
serializer field and the list_display callable, and their twins stay quiet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import django
import pytest

# The example project's templates use {% querystring %}, which Django 5.1 added.
pytestmark = pytest.mark.skipif(django.VERSION < (5, 1), reason="example_project needs Django 5.1 or newer")

ROOT = Path(__file__).resolve().parents[2]
# S17 ListView template, S18 serializer source=, S19 nested serializer, S20 list_display callable.
SITES = "S17 or S18 or S19 or S20"


def _run(tmp_path: Path, selection: str) -> tuple[int, list[tuple[str, int, str, str]]]:
    report = tmp_path / "runtime.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "example_project/tests/test_bookshop_sites.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            selection,
            "--detect-nplusone",
            "--nplusone-report",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"] if report.exists() else []
    sites = sorted(
        {(item["path"], item["line"], item["kind"], f"{item['model']}.{item['field']}") for item in findings}
    )
    return completed.returncode, sites


def test_sites_without_an_application_frame_are_reported_where_the_row_is_read(tmp_path: Path) -> None:
    code, sites = _run(tmp_path, f"({SITES}) and site_issues")

    assert code == 1
    assert sites == [
        ("example_project/catalog/admin.py", 27, "lazy_load", "catalog.Book.author"),
        ("example_project/catalog/api/serializers.py", 25, "lazy_load", "catalog.Book.author"),
        ("example_project/catalog/api/serializers.py", 41, "lazy_load", "catalog.Book.tags"),
        ("example_project/catalog/templates/catalog/review_list.html", 9, "lazy_load", "catalog.Review.reviewer"),
    ]


def test_their_twins_are_quiet(tmp_path: Path) -> None:
    code, sites = _run(tmp_path, f"({SITES}) and twin_issues")

    assert (code, sites) == (0, [])
