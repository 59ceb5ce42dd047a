"""Baselines: record today's findings once, then report only new ones.

A finding is matched by its code, its file, its model and field, and a hash of its source line with the
whitespace stripped, so adding or removing lines above it does not break the match. The line number is stored
for people reading the file, not for matching. Matching counts occurrences: a file with two identical findings
in the baseline and three today reports one. Paths are stored relative to the baseline file's folder, so the
baseline keeps working when the analyzer runs from another directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import BaselineError
from analyzer.findings import Finding
from analyzer.suppressions import SourceLines

BASELINE_VERSION = 1


@dataclass(frozen=True)
class Fingerprint:
    code: str
    path: str  # relative to the baseline file's folder, with forward slashes
    model: str | None
    field: str | None
    line_hash: str


def line_hash(line: str) -> str:
    return hashlib.sha256(line.strip().encode("utf-8")).hexdigest()[:16]


def _relative_to_baseline(finding_path: str, cwd: Path, baseline_dir: Path) -> str:
    absolute = Path(os.path.normpath(cwd / finding_path))
    return Path(os.path.relpath(absolute, baseline_dir)).as_posix()


def fingerprint(finding: Finding, lines: SourceLines, baseline_dir: Path) -> Fingerprint:
    return Fingerprint(
        code=finding.code,
        path=_relative_to_baseline(finding.path, lines.cwd, baseline_dir),
        model=finding.model,
        field=finding.field,
        line_hash=line_hash(lines.line(finding.path, finding.line)),
    )


def write_baseline(path: Path, findings: Iterable[Finding], lines: SourceLines) -> int:
    """Write the findings as a baseline, atomically (a temporary file renamed over the target); returns the count."""
    baseline_dir = path.resolve().parent
    entries = []
    for finding in findings:
        key = fingerprint(finding, lines, baseline_dir)
        entries.append(
            {
                "code": key.code,
                "path": key.path,
                "model": key.model,
                "field": key.field,
                "line_hash": key.line_hash,
                "line": finding.line,
                "message": finding.message,
            }
        )
    entries.sort(key=lambda entry: (str(entry["path"]), int(str(entry["line"])), str(entry["code"])))
    document = json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n"
    try:
        baseline_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=baseline_dir)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(document)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise BaselineError(f"cannot write baseline {path}: {error.strerror or error}") from error
    return len(entries)


@dataclass(frozen=True)
class Baseline:
    """The findings recorded in a baseline file, as a multiset of fingerprints."""

    path: Path
    fingerprints: Counter[Fingerprint]

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise BaselineError(f"baseline file not found: {path}") from error
        except OSError as error:
            raise BaselineError(f"cannot read baseline {path}: {error.strerror or error}") from error
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BaselineError(f"baseline {path} is not valid JSON: {error}") from error
        if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
            raise BaselineError(f"baseline {path} is not a version {BASELINE_VERSION} baseline")
        entries = document.get("findings")
        if not isinstance(entries, list):
            raise BaselineError(f"baseline {path} has no findings list")
        fingerprints: Counter[Fingerprint] = Counter()
        for index, entry in enumerate(entries):
            try:
                fingerprints[
                    Fingerprint(
                        code=_text(entry["code"]),
                        path=_text(entry["path"]),
                        model=_optional_text(entry.get("model")),
                        field=_optional_text(entry.get("field")),
                        line_hash=_text(entry["line_hash"]),
                    )
                ] += 1
            except (KeyError, TypeError, AttributeError) as error:
                raise BaselineError(f"baseline {path}: finding {index} is malformed ({error})") from error
        return cls(path, fingerprints)

    def filter_new(self, findings: Iterable[Finding], lines: SourceLines) -> list[Finding]:
        """The findings that the baseline does not account for, in their original order."""
        remaining = Counter(self.fingerprints)
        baseline_dir = self.path.resolve().parent
        new: list[Finding] = []
        for finding in findings:
            key = fingerprint(finding, lines, baseline_dir)
            if remaining[key] > 0:
                remaining[key] -= 1
            else:
                new.append(finding)
        return new


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)
