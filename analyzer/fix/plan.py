"""Which edits a run applies, and the new text of every file they touch.

A finding's edit is applied when its code is fixable (``fixable`` selects, ``unfixable`` removes; unfixable wins)
and it is safe, or unsafe fixes are on. Edits are grouped by the file they change (``Fix.path``, which may not be
the finding's own file) and deduplicated, so two findings asking for the same join make one edit. A file whose
text no longer has the hash it had when it was analysed is left alone. Nothing is written here.
"""

from __future__ import annotations

import difflib
import io
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from analyzer.findings import Applicability, Edit, Finding
from analyzer.fix.apply import EditOutcome, apply_edits
from analyzer.fix.targets import text_digest


@dataclass(frozen=True)
class FixSettings:
    """The fix switches: ``--unsafe-fixes``, ``--fixable`` and ``--unfixable``."""

    unsafe: bool = False
    fixable: tuple[str, ...] = ()  # empty: every code
    unfixable: tuple[str, ...] = ()


def _matches(code: str, selectors: Iterable[str]) -> bool:
    return any(code.upper().startswith(selector.upper()) for selector in selectors)


def fix_applicability(finding: Finding) -> Applicability | None:
    """Whether the finding carries an edit, and of which kind: what the text report marks."""
    if finding.fix is None or finding.fix.edit is None:
        return None
    return finding.fix.edit.applicability


def is_selected(finding: Finding, settings: FixSettings) -> bool:
    applicability = fix_applicability(finding)
    if applicability is None:
        return False
    if applicability is Applicability.UNSAFE and not settings.unsafe:
        return False
    if settings.fixable and not _matches(finding.code, settings.fixable):
        return False
    return not _matches(finding.code, settings.unfixable)


@dataclass(frozen=True)
class FileChange:
    """One file's text before and after its edits; ``path`` is as the findings name it."""

    path: str
    before: str
    after: str
    encoding: str

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=f"a/{self.path}",
            tofile=f"b/{self.path}",
        )
        return "".join(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines)


@dataclass(frozen=True)
class FixPlan:
    """The changed files, the findings whose edit is made, and why the other selected edits are not."""

    changes: tuple[FileChange, ...]
    fixed: tuple[Finding, ...]
    notes: tuple[str, ...] = field(default=())

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)


def _read(path: Path) -> tuple[str, str]:
    """The file's text and encoding, decoded the way the analysis decoded it (newlines untouched)."""
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def plan_fixes(findings: Sequence[Finding], settings: FixSettings, cwd: Path) -> FixPlan:
    by_file: dict[str, dict[Edit, list[Finding]]] = {}
    for finding in findings:
        if not is_selected(finding, settings):
            continue
        assert finding.fix is not None and finding.fix.edit is not None
        by_file.setdefault(finding.fix.path, {}).setdefault(finding.fix.edit, []).append(finding)
    changes: list[FileChange] = []
    fixed: list[Finding] = []
    notes: list[str] = []
    for path, edits in sorted(by_file.items()):
        count = sum(len(items) for items in edits.values())
        try:
            text, encoding = _read(cwd / path)
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            notes.append(f"{path}: cannot read the file ({error}); {count} fixes not applied")
            continue
        if any(edit.digest != text_digest(text) for edit in edits):
            notes.append(f"{path}: changed since it was analysed; {count} fixes not applied")
            continue
        try:
            outcome = apply_edits(text, list(edits))
        except cst.ParserSyntaxError as error:
            notes.append(f"{path}: libcst cannot parse the file ({error.message}); {count} fixes not applied")
            continue
        for result in outcome.outcomes:
            if result.done:
                fixed.extend(edits[result.edit])
            else:
                notes.extend(_refusals(path, result, edits[result.edit]))
        if outcome.fixed != text:
            changes.append(FileChange(path, text, outcome.fixed, encoding))
    fixed.sort(key=Finding.sort_key)
    return FixPlan(tuple(changes), tuple(fixed), tuple(notes))


def _refusals(path: str, result: EditOutcome, findings: Sequence[Finding]) -> list[str]:
    codes = ", ".join(dict.fromkeys(finding.code for finding in findings))
    count = f" ({len(findings)} findings)" if len(findings) > 1 else ""
    return [f"{path}:{result.edit.line}: {codes} not fixed{count}: {result.reason}"]


def write_changes(plan: FixPlan, cwd: Path) -> list[str]:
    """Write the changed files; the paths that changed meanwhile are left alone and returned."""
    untouched: list[str] = []
    for change in plan.changes:
        target = cwd / change.path
        try:
            current, _ = _read(target)
        except (OSError, SyntaxError, UnicodeDecodeError):
            current = None
        if current != change.before:
            untouched.append(change.path)
            continue
        # Bytes, so that the file keeps its encoding and its line endings.
        target.write_bytes(change.after.encode(change.encoding))
    return untouched
