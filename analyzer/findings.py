"""Findings and parse errors: the frozen records that every rule yields and every reporter prints."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Fix:
    """What to change and where: usually the line where the queryset is built."""

    message: str
    path: str
    line: int


@dataclass(frozen=True)
class RelatedLocation:
    """Another place that explains a finding, such as the line that built the queryset."""

    path: str
    line: int
    message: str


@dataclass(frozen=True)
class Finding:
    """One reported problem. Lines and columns are 1-based; paths are relative to the current directory."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    model: str | None = None
    field: str | None = None
    fix: Fix | None = None
    related: tuple[RelatedLocation, ...] = ()
    confirmed: bool = False

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        # The message and model break ties, so that two findings at one place always print in the same order.
        return (self.path, self.line, self.column, self.code, self.message, self.model or "")

    def with_confirmed(self, confirmed: bool = True) -> Finding:
        return replace(self, confirmed=confirmed)


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed: it is reported and the run goes on."""

    path: str
    message: str


@dataclass(frozen=True)
class AnalysisResult:
    findings: tuple[Finding, ...]
    errors: tuple[FileError, ...]
    files: int
    seconds: float
    runtime_only: tuple[dict[str, object], ...] = field(default=())
