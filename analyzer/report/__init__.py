"""Output formats: plain text for people (compact, or ``full`` with whole messages), JSON (version 1) for tools,
SARIF 2.1.0 for code scanning and GitHub Actions workflow commands for pull-request annotations.
Each reporter turns an ``AnalysisResult`` into text."""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.findings import AnalysisResult
from analyzer.report.github import render_github
from analyzer.report.json import render_json
from analyzer.report.sarif import render_sarif
from analyzer.report.text import render_text, summary
from analyzer.rules import Rule

__all__ = ["render", "summary"]


def render(
    result: AnalysisResult, output_format: str, rules: Sequence[Rule], *, runtime_report: bool, show_fix: bool = False
) -> str:
    """The report in the given format; ``runtime_report`` says whether a runtime report was joined, ``show_fix``
    turns the compact text format into the full one."""
    if output_format == "json":
        return render_json(result, runtime_report=runtime_report)
    if output_format == "sarif":
        return render_sarif(result, rules)
    if output_format == "github":
        return render_github(result)
    return render_text(result, runtime_report=runtime_report, full=show_fix or output_format == "full")
