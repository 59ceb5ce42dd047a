"""Runtime findings: what the detector saw, where in the user's code, and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["lazy_load", "repeated_query", "unused_eager_load"]


@dataclass(frozen=True)
class CallSite:
    """A location in the user's code (or template), with `path` relative to the detector's root."""

    path: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class RuntimeFinding:
    """One N+1 (or unused eager load) at one call site; `sql` never carries parameter values."""

    kind: Kind
    model: str
    field: str
    count: int
    path: str
    line: int
    function: str
    fix: str
    sql: str = ""
    origin: str = ""
    serializer_field: str = ""

    @property
    def target(self) -> str:
        """The relation ("catalog.Book.author") or, for a repeated query, the model it reads or writes."""
        if self.field:
            return f"{self.model}.{self.field}"
        return self.model or "query"

    @property
    def site_key(self) -> tuple[str, str, str, str, int]:
        return (self.kind, self.model, self.field, self.path, self.line)

    def message(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.function:
            where += f" in {self.function}"
        if self.serializer_field:
            where += f" (serializer field {self.serializer_field!r})"
        if self.kind == "unused_eager_load":
            return f"Unused eager load of {self.target} at {where}; {self.fix}"
        if self.kind == "repeated_query":
            return (
                f"N+1 detected: repeated query on {self.target} at {where} "
                f"({self.count} queries with different parameters); {self.fix}"
            )
        return f"N+1 detected on {self.target} at {where} ({self.count} queries); {self.fix}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.serializer_field:
            del data["serializer_field"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuntimeFinding:
        return cls(
            kind=data["kind"],
            model=str(data.get("model", "")),
            field=str(data.get("field", "")),
            count=int(data.get("count", 0)),
            path=str(data.get("path", "")),
            line=int(data.get("line", 0)),
            function=str(data.get("function", "")),
            fix=str(data.get("fix", "")),
            sql=str(data.get("sql", "")),
            origin=str(data.get("origin", "")),
            serializer_field=str(data.get("serializer_field", "")),
        )
