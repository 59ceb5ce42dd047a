"""The text report: one ``path:line:col: CODE message`` line per finding, then errors, runtime-only findings and a
summary, so it reads in a terminal and editors can jump to each line."""

from __future__ import annotations

from collections import Counter

from analyzer.confirmation import summary_line
from analyzer.findings import AnalysisResult, Finding


def finding_line(finding: Finding) -> str:
    confirmed = " [confirmed at runtime]" if finding.confirmed else ""
    # One line per finding, whatever the message holds, so the output stays greppable.
    message = " ".join(finding.message.split())
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {message}{confirmed}"


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
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word}{'es' if word.endswith('ss') else 's'}"


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
            + [f"{error.path}: error: {error.message}" for error in result.errors]
        )
    if runtime_report and result.runtime_only:
        sections.append(
            ["Runtime-only findings (seen at runtime, not found statically):"]
            + [runtime_finding_line(runtime) for runtime in result.runtime_only]
        )
    closing = [*project_footer(result), summary(result)]
    if runtime_report:
        closing.append(confirmation_summary(result))
    sections.append(closing)
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def statistics_counts(result: AnalysisResult) -> list[tuple[str, str, int]]:
    """(code, rule name, number of findings), the most frequent code first."""
    counts = Counter((finding.code, finding.name) for finding in result.findings)
    return sorted(((code, name, count) for (code, name), count in counts.items()), key=lambda row: (-row[2], row[0]))


def render_statistics(result: AnalysisResult) -> str:
    """``--statistics``: one line per code with its number of findings, then the summary."""
    rows = statistics_counts(result)
    width = max((len(str(count)) for _, _, count in rows), default=1)
    lines = [f"{count:>{width}}  {code}  {name}" for code, name, count in rows]
    return "\n".join([*lines, *([""] if lines else []), summary(result)]) + "\n"


def project_footer(result: AnalysisResult) -> list[str]:
    """What the analysis understood of the project, then each warning about what it could not see."""
    project = result.project
    if project is None:
        return []
    settings = f"settings {project.settings_module}" if project.settings_module else "no settings module found"
    counts = ", ".join(
        _plural(count, word)
        for count, word in (
            (project.models, "model"),
            (project.apps, "app"),
            (project.template_folders, "template folder"),
            (project.views, "view"),
            (project.serializers, "serializer"),
            (project.admin_classes, "admin class"),
        )
    )
    return [f"Project: {settings}; {counts}.", *(f"warning: {warning}" for warning in project.warnings)]
