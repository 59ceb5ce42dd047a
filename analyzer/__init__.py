"""Static N+1 and ORM anti-pattern analysis for Django projects.

The public API is small: ``analyze(paths, config=None)`` returns an ``AnalysisResult`` of ``Finding`` records,
``Config`` says what to report, and every error raised on purpose derives from ``AnalyzerError``.
"""

from __future__ import annotations

# First: takes the analysed project off the import path before any other import (see the module).
from analyzer import _import_path  # noqa: F401
from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.errors import AnalyzerError
from analyzer.findings import AnalysisResult, FileError, Finding

__all__ = ["AnalysisResult", "AnalyzerError", "Config", "FileError", "Finding", "analyze"]
