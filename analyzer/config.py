"""Analysis settings: defaults, merged from ``[tool.django-orm-analyzer]`` in pyproject.toml and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Config:
    """Everything that changes what the analysis reports. Codes and prefixes are matched case-insensitively."""

    select: tuple[str, ...] = ()  # empty: every rule that is on by default
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    settings: str | None = None  # dotted settings module to read statically, e.g. "bookshop.settings"
    output_format: str = "text"
    baseline: str | None = None
    runtime_report: str | None = None
    exit_zero: bool = False
    jobs: int | None = None
    cache: bool = True
