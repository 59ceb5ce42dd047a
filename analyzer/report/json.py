"""The JSON report, version 1, as fixed in the design: findings, errors and a summary, plus ``runtime_only`` when a
runtime report was joined. Keys are stable; tools may rely on them."""

from __future__ import annotations

import json
from typing import Any

from analyzer.findings import AnalysisResult
from analyzer.report.text import statistics_counts

JSON_VERSION = 1


def report_dict(result: AnalysisResult, *, runtime_report: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": JSON_VERSION,
        "findings": [finding.to_dict() for finding in result.findings],
        "errors": [{"path": error.path, "message": error.message} for error in result.errors],
        "summary": {"files": result.files, "findings": len(result.findings), "seconds": round(result.seconds, 3)},
    }
    if result.project is not None:
        document["project"] = result.project.to_dict()
    if runtime_report:
        document["runtime_only"] = [dict(runtime) for runtime in result.runtime_only]
    return document


def render_json(result: AnalysisResult, *, runtime_report: bool) -> str:
    return json.dumps(report_dict(result, runtime_report=runtime_report), indent=2) + "\n"


def render_statistics_json(result: AnalysisResult) -> str:
    """``--statistics --format json``: a list of ``{"code", "name", "count"}``, the most frequent code first."""
    rows = [{"code": code, "name": name, "count": count} for code, name, count in statistics_counts(result)]
    return json.dumps(rows, indent=2) + "\n"
