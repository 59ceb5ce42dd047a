"""Findings and parse errors: the frozen records that every rule yields and every reporter prints."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(StrEnum):
    """Whether ``--fix`` applies an edit by itself (safe) or only with ``--unsafe-fixes`` (it changes behaviour)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """The machine-applicable form of a fix: which expression of ``Fix.path`` to change, how, and with what.

    The span is the target expression's, 1-based, with columns counted in characters. ``digest`` is the content
    hash of the file's text as analysed: ``--fix`` leaves the file alone when it has changed since.
    """

    kind: str  # an edit kind of ``analyzer.fix``, such as "select_related" or "count"
    applicability: Applicability
    line: int
    column: int
    end_line: int
    end_column: int
    arguments: tuple[str, ...]
    digest: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "applicability": self.applicability.value,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "arguments": list(self.arguments),
            "digest": self.digest,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        return cls(
            kind=data["kind"],
            applicability=Applicability(data["applicability"]),
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            arguments=tuple(data["arguments"]),
            digest=data["digest"],
        )


@dataclass(frozen=True)
class Fix:
    """What to change and where: usually the line where the queryset is built. ``edit`` is set when ``--fix``
    can make the change itself."""

    message: str
    path: str
    line: int
    edit: Edit | None = None

    def to_dict(self) -> dict[str, Any]:
        # "edit" appears only when there is one, so version-1 readers see the same three keys as before.
        data: dict[str, Any] = {"message": self.message, "path": self.path, "line": self.line}
        if self.edit is not None:
            data["edit"] = self.edit.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        edit = data.get("edit")
        return cls(data["message"], data["path"], data["line"], Edit.from_dict(edit) if edit is not None else None)


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

    def to_dict(self) -> dict[str, Any]:
        """The finding as in the JSON report (version 1); the cache stores it the same way."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "model": self.model,
            "field": self.field,
            "fix": self.fix.to_dict() if self.fix else None,
            "related": [{"path": item.path, "line": item.line, "message": item.message} for item in self.related],
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        fix = data["fix"]
        return cls(
            code=data["code"],
            name=data["name"],
            severity=Severity(data["severity"]),
            message=data["message"],
            path=data["path"],
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            model=data["model"],
            field=data["field"],
            fix=Fix.from_dict(fix) if fix is not None else None,
            related=tuple(RelatedLocation(**item) for item in data["related"]),
            confirmed=data["confirmed"],
        )


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
