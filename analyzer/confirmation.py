"""Joining the static findings with a runtime report (JSON version 1, written by the runtime middleware or pytest
plugin).

A static finding is confirmed when a runtime finding sits on the same line of the same file, at the finding's
own location or at one of its ``related`` locations (the body of a property or ``__str__`` that a loop calls).
Rules about code that runs wherever a model's rows are listed (``runtime_match="relation"``, such as a ``__str__``
reading a relation) are confirmed by a runtime lazy load of the same model and field, wherever it happened.
Static paths are relative to the current directory and runtime paths to the project root, so two paths are the
same file when one is a suffix of the other, compared folder by folder. Runtime findings that confirm nothing
are reported as runtime-only: N+1s the static pass missed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from analyzer.errors import RuntimeReportError
from analyzer.findings import Finding
from analyzer.rules import rule_by_code

RUNTIME_REPORT_VERSION = 1
RUNTIME_KINDS = frozenset({"lazy_load", "repeated_query", "unused_eager_load"})


@dataclass(frozen=True)
class Confirmation:
    findings: tuple[Finding, ...]
    runtime_only: tuple[dict[str, object], ...]

    @property
    def confirmed_count(self) -> int:
        return sum(finding.confirmed for finding in self.findings)


def load_runtime_report(path: Path) -> list[dict[str, object]]:
    """The runtime findings of a report file; anything but a valid version 1 report is an error."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise RuntimeReportError(f"runtime report not found: {path}") from error
    except OSError as error:
        raise RuntimeReportError(f"cannot read runtime report {path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RuntimeReportError(f"runtime report {path} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise RuntimeReportError(f"runtime report {path} must be a JSON object")
    if document.get("version") != RUNTIME_REPORT_VERSION:
        raise RuntimeReportError(
            f"runtime report {path} has version {document.get('version')!r}, expected {RUNTIME_REPORT_VERSION}"
        )
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise RuntimeReportError(f"runtime report {path} has no findings list")
    for index, entry in enumerate(findings):
        problem = _entry_problem(entry)
        if problem:
            raise RuntimeReportError(f"runtime report {path}: finding {index} {problem}")
    return findings


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "is not an object"
    if not isinstance(entry.get("path"), str) or not entry["path"]:
        return "has no path"
    line = entry.get("line")
    if isinstance(line, bool) or not isinstance(line, int) or line < 1:
        return f"has an invalid line {line!r}"
    if entry.get("kind") not in RUNTIME_KINDS:
        return f"has an unknown kind {entry.get('kind')!r}"
    return None


def same_file(left: str, right: str) -> bool:
    """Whether one path is a suffix of the other, folder by folder ("shop/views.py" and "src/shop/views.py")."""
    left_parts = _parts(left)
    right_parts = _parts(right)
    if not left_parts or not right_parts:
        return False
    shorter, longer = sorted((left_parts, right_parts), key=len)
    return longer[len(longer) - len(shorter) :] == shorter


def _parts(path: str) -> tuple[str, ...]:
    return tuple(part for part in PurePosixPath(path.replace("\\", "/")).parts if part not in ("/", "."))


def _locations(finding: Finding) -> Iterable[tuple[str, int]]:
    yield finding.path, finding.line
    for related in finding.related:
        yield related.path, related.line


def _matches(finding: Finding, runtime: dict[str, object]) -> bool:
    rule = rule_by_code(finding.code)
    if rule is not None and rule.runtime_match == "relation":
        return runtime.get("kind") == "lazy_load" and (runtime.get("model"), runtime.get("field")) == (
            finding.model,
            finding.field,
        )
    runtime_path = str(runtime["path"])
    runtime_line = runtime["line"]
    return any(line == runtime_line and same_file(path, runtime_path) for path, line in _locations(finding))


def confirm(findings: Sequence[Finding], runtime_findings: Sequence[dict[str, object]]) -> Confirmation:
    """Mark the static findings that runtime saw and collect the runtime findings no static finding explains."""
    matched_runtime: set[int] = set()
    confirmed: list[Finding] = []
    for finding in findings:
        hits = [index for index, runtime in enumerate(runtime_findings) if _matches(finding, runtime)]
        matched_runtime.update(hits)
        confirmed.append(finding.with_confirmed(bool(hits)))
    runtime_only = tuple(runtime for index, runtime in enumerate(runtime_findings) if index not in matched_runtime)
    return Confirmation(tuple(confirmed), runtime_only)


def summary_line(static_findings: int, confirmed: int, runtime_only: int) -> str:
    return f"{static_findings} static findings, {confirmed} confirmed at runtime, {runtime_only} runtime-only"
