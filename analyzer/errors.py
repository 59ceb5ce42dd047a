"""The analyzer's exceptions: one root class, so callers of the public API can catch everything it raises."""

from __future__ import annotations


class AnalyzerError(Exception):
    """Root of every error the analyzer raises on purpose; the CLI turns it into exit code 2."""


class UsageError(AnalyzerError):
    """A bad command line or argument: a missing path, an unknown rule code, an unknown output format."""


class ConfigError(AnalyzerError):
    """A bad ``[tool.django-orm-analyzer]`` table: invalid TOML, an unknown key or a value of the wrong type."""


class BaselineError(AnalyzerError):
    """A baseline file that cannot be read, parsed or written."""


class RuntimeReportError(AnalyzerError):
    """A runtime report that is missing, unreadable or not a version 1 report."""
