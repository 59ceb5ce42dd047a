"""The text report: one ``path:line:col: CODE message`` line per finding, then errors, runtime-only findings and a
summary, so it reads in a terminal and editors can jump to each line.

Two forms: the default compact one keeps each line under ``COMPACT_WIDTH`` characters (what happened, without the
fix), and the full one (``--format full`` or ``--show-fix``) prints whole messages, fix included. With a runtime
report the compact form prints the join as one table of confirmed, static-only and runtime-only findings.
"""

from __future__ import annotations

from analyzer.confirmation import summary_line
from analyzer.findings import AnalysisResult, Applicability, Finding

# After the code, as ruff marks what --fix can do: "[*]" a safe fix, "[unsafe fix]" one for --unsafe-fixes.
FIX_MARKERS = {Applicability.SAFE: "[*] ", Applicability.UNSAFE: "[unsafe fix] "}


def fix_marker(finding: Finding) -> str:
    if finding.fix is None or finding.fix.edit is None:
        return ""
    return FIX_MARKERS[finding.fix.edit.applicability]


def fix_summary(result: AnalysisResult) -> str | None:
    """``[*] 3 fixable with --fix (1 more with --unsafe-fixes)``, or None when nothing is fixable."""
    kinds = [finding.fix.edit.applicability for finding in result.findings if finding.fix and finding.fix.edit]
    safe = kinds.count(Applicability.SAFE)
    unsafe = kinds.count(Applicability.UNSAFE)
    if not kinds:
        return None
    more = f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""
    return f"[*] {safe} fixable with --fix{more}."


def finding_line(finding: Finding) -> str:
    confirmed = " [confirmed at runtime]" if finding.confirmed else ""
    # One line per finding, whatever the message holds, so the output stays greppable.
    message = " ".join(finding.message.split())
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {fix_marker(finding)}{message}{confirmed}"


COMPACT_WIDTH = 160
# A long path still leaves this much room for the message.
COMPACT_MIN_MESSAGE = 40
ELLIPSIS = "..."
SHOW_FIX_HINT = "Run with --show-fix to print each finding's fix (--format full)."
CONFIRMATION_TITLE = "Static findings joined with the runtime report:"


def compact_message(finding: Finding) -> str:
    """What happened, without the fix: messages read "what happened; what to do"."""
    message = " ".join(finding.message.split())
    return message.split("; ", 1)[0] if finding.fix is not None or "; " in message else message


def shorten(text: str, width: int) -> str:
    """The text cut at a word boundary to at most ``width`` characters, marked with an ellipsis when cut."""
    if len(text) <= width:
        return text
    cut = text[: max(width - len(ELLIPSIS), 1)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:(") + ELLIPSIS


def compact_finding_line(finding: Finding, width: int = COMPACT_WIDTH) -> str:
    """One short line: location, code and what happened, cut to ``width`` characters."""
    head = f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {fix_marker(finding)}"
    confirmed = " [confirmed]" if finding.confirmed else ""
    room = max(width - len(head) - len(confirmed), COMPACT_MIN_MESSAGE)
    return f"{head}{shorten(compact_message(finding), room)}{confirmed}"


def _subject(finding: Finding) -> str:
    if finding.model and finding.field:
        return f"{finding.model}.{finding.field}"
    return compact_message(finding)


def _runtime_subject(runtime: dict[str, object]) -> str:
    subject = ".".join(str(part) for part in (runtime.get("model"), runtime.get("field")) if part)
    text = subject or str(runtime.get("sql") or "query")
    if runtime.get("count") is not None:
        text += f", {runtime['count']} queries"
    if runtime.get("origin"):
        text += f" ({runtime['origin']})"
    return text


def confirmation_table(result: AnalysisResult, width: int = COMPACT_WIDTH) -> list[str]:
    """The join as a table: confirmed findings, then static-only ones, then runtime-only N+1s, one row each."""
    rows: list[tuple[str, str, str, str]] = []
    for confirmed in (True, False):
        rows.extend(
            (
                "confirmed" if confirmed else "static-only",
                finding.code,
                f"{finding.path}:{finding.line}:{finding.column}",
                _subject(finding),
            )
            for finding in result.findings
            if finding.confirmed is confirmed
        )
    rows.extend(
        ("runtime-only", str(runtime["kind"]), f"{runtime['path']}:{runtime['line']}", _runtime_subject(runtime))
        for runtime in result.runtime_only
    )
    if not rows:
        return []
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [CONFIRMATION_TITLE]
    for row in rows:
        head = "  ".join(cell.ljust(widths[column]) for column, cell in enumerate(row[:3])) + "  "
        lines.append(head + shorten(row[3], max(width - len(head), COMPACT_MIN_MESSAGE)))
    return lines


def runtime_finding_line(runtime: dict[str, object]) -> str:
    """A runtime-only finding: where, what kind, on which model field or query, how often, and where it ran."""
    subject = ".".join(str(part) for part in (runtime.get("model"), runtime.get("field")) if part)
    text = f"{runtime['path']}:{runtime['line']}: {runtime['kind']} {subject or runtime.get('sql') or 'query'}"
    if runtime.get("count") is not None:
        text += f", {runtime['count']} queries"
    if runtime.get("function"):
        text += f", in {runtime['function']}"
    if runtime.get("origin"):
        text += f" ({runtime['origin']})"
    return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(result: AnalysisResult) -> str:
    errors = f", {_plural(len(result.errors), 'error')}" if result.errors else ""
    return (
        f"Found {_plural(len(result.findings), 'finding')} in {_plural(result.files, 'file')}"
        f" ({result.seconds:.2f}s){errors}."
    )


def confirmation_summary(result: AnalysisResult) -> str:
    confirmed = sum(finding.confirmed for finding in result.findings)
    return summary_line(len(result.findings), confirmed, len(result.runtime_only))


def render_text(result: AnalysisResult, *, runtime_report: bool, full: bool = True) -> str:
    """The text report; ``full`` prints whole messages, otherwise compact lines (and the join as a table)."""
    sections: list[list[str]] = []
    table = confirmation_table(result) if runtime_report and not full else []
    if table:
        sections.append(table)
    elif result.findings:
        line = finding_line if full else compact_finding_line
        sections.append([line(finding) for finding in result.findings])
    if result.errors:
        sections.append(
            ["Errors (these files were not fully analysed):"]
            + [f"{error.path}: error: {error.message}" for error in result.errors]
        )
    if runtime_report and result.runtime_only and not table:
        sections.append(
            ["Runtime-only findings (seen at runtime, not found statically):"]
            + [runtime_finding_line(runtime) for runtime in result.runtime_only]
        )
    closing = [summary(result)]
    fixable = fix_summary(result)
    if fixable is not None:
        closing.append(fixable)
    if runtime_report:
        closing.append(confirmation_summary(result))
    if result.findings and not full:
        closing.append(SHOW_FIX_HINT)
    sections.append(closing)
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
