"""Suppressing findings: ``# noqa`` comments on the reported line and ``per-file-ignores`` from the configuration.

The comment check works on any file's text line by line, so the same mechanism serves Python files
(``# noqa: ORM101``) and templates (``{# noqa: ORM110 #}``). Codes may be prefixes (``# noqa: ORM1``) and a
bare ``# noqa`` suppresses every code on the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzer.discovery import PathMatcher
from analyzer.findings import Finding

# Matches a bare noqa, "noqa: ORM101" and "NOQA:ORM101,ORM2" after a hash, which also covers the template
# comment form; the code list stops at the first word that is not a code, so a reason may follow.
NOQA_PATTERN = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NoqaDirective:
    """What a line's noqa comment suppresses: every code (``codes`` is None) or the listed codes and prefixes."""

    codes: tuple[str, ...] | None

    def suppresses(self, code: str) -> bool:
        if self.codes is None:
            return True
        return any(code.upper().startswith(prefix) for prefix in self.codes)


def parse_noqa(line: str) -> NoqaDirective | None:
    """The noqa directive on a line of source or template text, or None when there is none."""
    match = NOQA_PATTERN.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return NoqaDirective(None)
    return NoqaDirective(tuple(code.upper() for code in re.split(r"[,\s]+", codes) if code))


class SourceLines:
    """Reads a reported file's lines once, by display path relative to ``cwd``; unreadable files give None."""

    def __init__(self, cwd: Path, preloaded: Mapping[str, list[str]] | None = None) -> None:
        self.cwd = cwd
        self.cache: dict[str, list[str] | None] = dict(preloaded or {})

    def __call__(self, path: str) -> list[str] | None:
        if path not in self.cache:
            try:
                text = (self.cwd / path).read_bytes().decode("utf-8", errors="replace")
            except OSError:
                self.cache[path] = None
            else:
                self.cache[path] = text.splitlines()
        return self.cache[path]

    def line(self, path: str, number: int) -> str:
        lines = self(path)
        if lines is None or not 1 <= number <= len(lines):
            return ""
        return lines[number - 1]


def is_suppressed_by_noqa(finding: Finding, lines: SourceLines) -> bool:
    directive = parse_noqa(lines.line(finding.path, finding.line))
    return directive is not None and directive.suppresses(finding.code)


@dataclass(frozen=True)
class PerFileIgnores:
    """``per-file-ignores``: glob patterns (relative to the configuration's folder) mapped to codes or prefixes."""

    entries: tuple[tuple[PathMatcher, tuple[str, ...]], ...]
    cwd: Path

    @classmethod
    def from_config(cls, table: Mapping[str, Iterable[str]], base: Path, cwd: Path) -> PerFileIgnores:
        entries = tuple(
            (PathMatcher.from_strings([pattern], base), tuple(code.upper() for code in codes))
            for pattern, codes in table.items()
        )
        return cls(entries, cwd)

    def ignores(self, finding: Finding) -> bool:
        path = self.cwd / finding.path
        for matcher, codes in self.entries:
            if any(finding.code.upper().startswith(code) for code in codes) and matcher.matches(path):
                return True
        return False


def apply_suppressions(
    findings: Iterable[Finding], lines: SourceLines, per_file_ignores: PerFileIgnores | None = None
) -> list[Finding]:
    """The findings that neither a noqa comment nor a per-file-ignores entry suppresses."""
    kept: list[Finding] = []
    for finding in findings:
        if per_file_ignores is not None and per_file_ignores.ignores(finding):
            continue
        if is_suppressed_by_noqa(finding, lines):
            continue
        kept.append(finding)
    return kept
