"""``--fix`` and ``--diff`` on the command line: plan the edits, then show them or write them and analyse again.

After ``--fix`` the report lists what remains, from a fresh analysis of the edited project (fixing repeats until a
round writes nothing), so the exit code is ruff's: 0 when nothing remains, 1 when findings remain. ``--diff``
writes nothing; it prints a unified diff and exits 1 when the diff is not empty, 0 when there is nothing to change.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from analyzer.findings import AnalysisResult, Applicability
from analyzer.fix.plan import FixPlan, FixSettings, fix_applicability, plan_fixes, write_changes

# Rounds of fix-then-analyse before giving up on reaching a fixed point.
MAX_ROUNDS = 10


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or f'{word}s'}"


def _hidden_unsafe(result: AnalysisResult, settings: FixSettings) -> int:
    if settings.unsafe:
        return 0
    return sum(fix_applicability(finding) is Applicability.UNSAFE for finding in result.findings)


def _report_notes(plan: FixPlan, stream: TextIO) -> None:
    for note in plan.notes:
        print(note, file=stream)


def show_diff(result: AnalysisResult, settings: FixSettings, cwd: Path, stream: TextIO | None = None) -> int:
    """Print the diff ``--fix`` would make; 1 when it is not empty."""
    stream = stream or sys.stdout
    plan = plan_fixes(result.findings, settings, cwd)
    stream.write(plan.diff())
    _report_notes(plan, sys.stderr)
    hidden = _hidden_unsafe(result, settings)
    more = f" ({_plural(hidden, 'more fix', 'more fixes')} with --unsafe-fixes)" if hidden else ""
    print(
        f"Would fix {_plural(len(plan.fixed), 'finding')} in {_plural(len(plan.changes), 'file')}{more}.",
        file=sys.stderr,
    )
    return 1 if plan.changes else 0


def apply_fixes(
    result: AnalysisResult, settings: FixSettings, cwd: Path, reanalyze: Callable[[], AnalysisResult]
) -> AnalysisResult:
    """Write the fixes and return a fresh analysis of what remains (the same result when nothing was written).

    Like ruff, fixing repeats on the fresh analysis until it writes nothing: a join added in one round can
    reveal the next relation read through it. So a second ``--fix`` changes nothing.
    """
    fixed = 0
    files: set[str] = set()
    for _ in range(MAX_ROUNDS):
        plan = plan_fixes(result.findings, settings, cwd)
        untouched = write_changes(plan, cwd)
        for path in untouched:
            print(f"{path}: changed while it was being fixed; left as it is", file=sys.stderr)
        written = {change.path for change in plan.changes} - set(untouched)
        if not written:
            break
        fixed += sum(finding.fix is not None and finding.fix.path in written for finding in plan.fixed)
        files |= written
        result = reanalyze()
    else:
        print(f"Stopped after {MAX_ROUNDS} rounds of fixes; run --fix again for the rest.", file=sys.stderr)
    # The last round planned the fixes of the code as it now is: its refusals are the ones that remain, with the
    # lines the files have now (an edit of an earlier round may have moved them, or made a refused fix possible).
    _report_notes(plan, sys.stderr)
    print(f"Fixed {_plural(fixed, 'finding')} in {_plural(len(files), 'file')}.", file=sys.stderr)
    return result
