"""The JSON report, version 1, as fixed in the design: findings, errors and a summary, plus ``runtime_only`` when a
runtime report was joined. Keys are stable; tools may rely on them."""

from __future__ import annotations

import json
from typing import Any

from analyzer.findings import AnalysisResult, Finding

JSON_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "model": finding.model,
        "field": finding.field,
        "fix": (
            {"message": finding.fix.message, "path": finding.fix.path, "line": finding.fix.line}
            if finding.fix
            else None
        ),
        "related": [
            {"path": related.path, "line": related.line, "message": related.message} for related in finding.related
        ],
        "confirmed": finding.confirmed,
    }


def report_dict(result: AnalysisResult, *, runtime_report: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": JSON_VERSION,
        "findings": [finding_dict(finding) for finding in result.findings],
        "errors": [{"path": error.path, "message": error.message} for error in result.errors],
        "summary": {"files": result.files, "findings": len(result.findings), "seconds": round(result.seconds, 3)},
    }
    if runtime_report:
        document["runtime_only"] = [dict(runtime) for runtime in result.runtime_only]
    return document


def render_json(result: AnalysisResult, *, runtime_report: bool) -> str:
    return json.dumps(report_dict(result, runtime_report=runtime_report), indent=2) + "\n"
