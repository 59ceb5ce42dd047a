"""The text report: one ``path:line:col: CODE message`` line per finding, then errors, runtime-only findings and a
summary, so it reads in a terminal and editors can jump to each line."""

from __future__ import annotations

from analyzer.confirmation import summary_line
from analyzer.findings import AnalysisResult, Finding
from analyzer.report.escaping import printable


def finding_line(finding: Finding) -> str:
    confirmed = " [confirmed at runtime]" if finding.confirmed else ""
    # One line per finding, whatever the message holds, so the output stays greppable.
    message = printable(" ".join(finding.message.split()))
    return f"{printable(finding.path)}:{finding.line}:{finding.column}: {finding.code} {message}{confirmed}"


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
    return printable(text)


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


def render_text(result: AnalysisResult, *, runtime_report: bool) -> str:
    sections: list[list[str]] = []
    if result.findings:
        sections.append([finding_line(finding) for finding in result.findings])
    if result.errors:
        sections.append(
            ["Errors (these files were not fully analysed):"]
            + [f"{printable(error.path)}: error: {printable(error.message)}" for error in result.errors]
        )
    if runtime_report and result.runtime_only:
        sections.append(
            ["Runtime-only findings (seen at runtime, not found statically):"]
            + [runtime_finding_line(runtime) for runtime in result.runtime_only]
        )
    closing = [summary(result)]
    if runtime_report:
        closing.append(confirmation_summary(result))
    sections.append(closing)
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
