"""The runtime report (JSON, version 1): written atomically and merged under a lock by concurrent writers.

Several processes (pytest-xdist workers, server workers) may add findings to one file: each takes an exclusive
lock on a sibling `.lock` file, reads what is there, adds its findings, writes a temporary file and moves it over
the report with `os.replace`, so a reader never sees a half-written report.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runtime.errors import RuntimeDetectorError
from runtime.findings import RuntimeFinding

REPORT_VERSION = 1

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; writers there are not serialised.
    fcntl = None  # type: ignore[assignment]


class ReportError(RuntimeDetectorError):
    """The report file exists but is not a runtime report of a version this package reads."""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock_file:
        if fcntl is not None:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def read_report(path: str | os.PathLike[str]) -> list[RuntimeFinding]:
    """The findings of a report file; an absent file has none."""
    report_path = Path(path)
    if not report_path.exists():
        return []
    try:
        data: Any = json.loads(report_path.read_text(encoding="utf-8") or "{}")
    except json.JSONDecodeError as error:
        raise ReportError(f"{report_path} is not valid JSON: {error}") from error
    if not data:
        return []
    if not isinstance(data, dict) or data.get("version") != REPORT_VERSION:
        raise ReportError(f"{report_path} is not a version {REPORT_VERSION} runtime report")
    return [RuntimeFinding.from_json(item) for item in data.get("findings", [])]


def _write(path: Path, findings: Iterable[RuntimeFinding]) -> None:
    payload = {"version": REPORT_VERSION, "findings": [finding.to_json() for finding in findings]}
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def merge_findings(existing: Iterable[RuntimeFinding], new: Iterable[RuntimeFinding]) -> list[RuntimeFinding]:
    """Existing findings followed by the new ones; one finding per origin and site, keeping the larger count."""
    merged: dict[tuple[str, str, str, str, str, int, str], RuntimeFinding] = {}
    for finding in [*existing, *new]:
        key = (finding.origin, *finding.site_key, finding.sql if finding.kind == "repeated_query" else "")
        known = merged.get(key)
        if known is None or finding.count > known.count:
            merged[key] = finding
    return list(merged.values())


def write_report(path: str | os.PathLike[str], findings: Iterable[RuntimeFinding]) -> None:
    """Replace the report with exactly these findings."""
    report_path = Path(path)
    with _locked(report_path):
        _write(report_path, findings)


def merge_into_report(path: str | os.PathLike[str], findings: Iterable[RuntimeFinding]) -> None:
    """Add findings to the report (creating it), under the lock, atomically."""
    report_path = Path(path)
    with _locked(report_path):
        _write(report_path, merge_findings(read_report(report_path), findings))
