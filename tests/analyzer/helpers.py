"""Helpers for analyzer tests: write small source trees to a temporary folder and analyse them."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import AnalysisResult, Finding


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write dedented sources; every folder on the way gets an ``__init__.py`` so it is a package."""
    for relative, source in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        for parent in target.relative_to(root).parents:
            if parent != Path("."):
                (root / parent / "__init__.py").touch(exist_ok=True)
        target.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return root


def analyze_tree(root: Path, files: Mapping[str, str], *, select: tuple[str, ...] = ()) -> AnalysisResult:
    write_tree(root, files)
    return analyze([root], Config(select=select), cwd=root)


def analyze_snippet(root: Path, source: str, *, select: tuple[str, ...] = ()) -> list[Finding]:
    """Analyse one snippet, written as ``app/models.py`` (models and the code using them in one file)."""
    return list(analyze_tree(root, {"app/models.py": source}, select=select).findings)


def codes_and_lines(findings: list[Finding] | tuple[Finding, ...]) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in findings]
