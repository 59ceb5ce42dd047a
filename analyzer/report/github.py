"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff
(``::warning file=...,line=...,col=...,title=CODE::message``); errors become ``::error`` annotations."""

from __future__ import annotations

from analyzer.findings import AnalysisResult, Finding, Severity
from analyzer.report.escaping import printable

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    # Control characters become visible escapes first: GitHub's log view obeys terminal escape sequences.
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    properties = ",".join(
        [
            f"file={escape_property(finding.path)}",
            f"line={finding.line}",
            f"col={finding.column}",
            f"endLine={finding.end_line}",
            f"endColumn={finding.end_column}",
            f"title={escape_property(finding.code)}",
        ]
    )
    confirmed = " (confirmed at runtime)" if finding.confirmed else ""
    return f"::{LEVELS[finding.severity]} {properties}::{escape_data(finding.message + confirmed)}"


def render_github(result: AnalysisResult) -> str:
    lines = [annotation(finding) for finding in result.findings]
    lines += [
        f"::error file={escape_property(error.path)},title=django-orm-analyzer::{escape_data(error.message)}"
        for error in result.errors
    ]
    for runtime in result.runtime_only:
        subject = ".".join(str(part) for part in (runtime.get("model"), runtime.get("field")) if part)
        message = f"runtime-only {runtime['kind']} {subject or runtime.get('sql') or 'query'}".rstrip()
        lines.append(
            f"::notice file={escape_property(str(runtime['path']))},line={runtime['line']},"
            f"title=runtime-only::{escape_data(message)}"
        )
    return "".join(f"{line}\n" for line in lines)
