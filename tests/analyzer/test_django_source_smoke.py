"""Robustness: the whole analysis over Django's own source runs without a crash or an internal error."""

from __future__ import annotations

import ast
from pathlib import Path

import django

from analyzer.config import Config
from analyzer.engine import analyze

DJANGO_ROOT = Path(django.__file__).resolve().parent


def test_analysing_django_source_reports_no_error_for_parsable_files() -> None:
    result = analyze([DJANGO_ROOT], Config(), cwd=DJANGO_ROOT.parent)
    assert result.files > 800
    parsable_with_errors = []
    for error in result.errors:
        path = DJANGO_ROOT.parent / error.path
        try:
            ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, OSError, ValueError):
            continue
        parsable_with_errors.append((error.path, error.message))
    assert parsable_with_errors == []
