"""SARIF 2.1.0, the format GitHub code scanning and IDEs read: the rule catalogue (with each rule's docs as its
description and help) in the tool's driver, one result per finding, file errors as tool notifications."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from analyzer.docs import rule_docs, section
from analyzer.findings import AnalysisResult, Finding, Severity
from analyzer.rules import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "django-orm-analyzer"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _tool_version() -> str:
    try:
        return metadata.version(TOOL_NAME)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    docs = rule_docs(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": section(docs, "What it does") or rule.summary},
        "help": {"text": docs, "markdown": docs},
        "defaultConfiguration": {"level": LEVELS[rule.severity], "enabled": rule.default_enabled},
    }


def _location(path: str, line: int, column: int | None = None, end_line: int | None = None) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": line}
    if column is not None:
        region["startColumn"] = column
    if end_line is not None:
        region["endLine"] = end_line
    return {"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}, "region": region}}


def result_entry(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    location = _location(finding.path, finding.line, finding.column, finding.end_line)
    location["physicalLocation"]["region"]["endColumn"] = finding.end_column
    entry: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [location],
        "properties": {"confirmed": finding.confirmed, "model": finding.model, "field": finding.field},
    }
    if finding.code in rule_index:
        entry["ruleIndex"] = rule_index[finding.code]
    related = [(related.path, related.line, related.message) for related in finding.related]
    if finding.fix is not None:
        related.append((finding.fix.path, finding.fix.line, f"fix: {finding.fix.message}"))
    if related:
        entry["relatedLocations"] = [
            {"id": number, **_location(path, line), "message": {"text": message}}
            for number, (path, line, message) in enumerate(related, start=1)
        ]
    return entry


def sarif_dict(result: AnalysisResult, rules: Sequence[Rule]) -> dict[str, Any]:
    rule_index = {rule.code: index for index, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": _tool_version(),
                        "rules": [rule_descriptor(rule) for rule in rules],
                    }
                },
                "results": [result_entry(finding, rule_index) for finding in result.findings],
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "error",
                                "message": {"text": error.message},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {"uri": error.path, "uriBaseId": "%SRCROOT%"}
                                        }
                                    }
                                ],
                            }
                            for error in result.errors
                        ],
                    }
                ],
            }
        ],
    }


def render_sarif(result: AnalysisResult, rules: Sequence[Rule]) -> str:
    return json.dumps(sarif_dict(result, rules), indent=2) + "\n"
