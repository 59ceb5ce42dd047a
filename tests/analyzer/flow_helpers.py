"""Helpers for the flow and rule tests: the shared models, and lines marked ``# expect`` in a snippet."""

from __future__ import annotations

import textwrap
from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_snippet

MODELS = (Path(__file__).parent.parent / "fixtures" / "flow_models" / "models.py").read_text(encoding="utf-8")
# The flow rules, without the template/serializer/admin rules (ORM110-112) that other modules own.
FLOW_CODES = (
    *("ORM101", "ORM102", "ORM103", "ORM104", "ORM105", "ORM106", "ORM107", "ORM108"),
    *("ORM2", "ORM3", "ORM401", "ORM402"),
)


def with_models(code: str) -> str:
    return MODELS + "\n" + textwrap.dedent(code).lstrip("\n")


def marked_lines(source: str, marker: str = "# expect") -> list[int]:
    return [number for number, line in enumerate(source.splitlines(), 1) if line.rstrip().endswith(marker)]


def flow_findings(tmp_path: Path, code: str) -> tuple[str, list[Finding]]:
    """Analyse the shared models plus ``code`` with every flow rule; return the full source and the findings."""
    source = with_models(code)
    return source, analyze_snippet(tmp_path, source, select=FLOW_CODES)


def expected(source: str, code: str) -> list[tuple[str, int]]:
    return [(code, line) for line in marked_lines(source)]
