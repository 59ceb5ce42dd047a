"""Detector configuration: one frozen dataclass, read from Django settings or built by the pytest plugin.

The Django side reads `ORM_ANALYZER` and, so that nplusone users can switch over unchanged, nplusone's
`NPLUSONE_RAISE` and `NPLUSONE_WHITELIST`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from runtime.errors import ConfigurationError

Action = Literal["log", "warn", "raise"]
ACTIONS: tuple[Action, ...] = ("log", "warn", "raise")
DEFAULT_THRESHOLD = 2


@dataclass(frozen=True)
class DetectorConfig:
    """What the detector reports and where; `allow` holds fnmatch patterns such as "catalog.Book.author".

    `test_code` makes loops in test files, conftest and factory modules count as application loops; the pytest
    plugin turns it off, so that a test calling application code many times is not an N+1 of the application.
    """

    threshold: int = DEFAULT_THRESHOLD
    allow: tuple[str, ...] = ()
    unused_eager: bool = False
    root: str = field(default_factory=os.getcwd)
    action: Action = "log"
    enabled: bool = False
    report: str | None = None
    test_code: bool = True

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ConfigurationError(f"THRESHOLD must be 1 or more, not {self.threshold}")
        if self.action not in ACTIONS:
            raise ConfigurationError(f"ACTION must be one of {', '.join(ACTIONS)}, not {self.action!r}")


def whitelist_patterns(entries: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
    """Turn nplusone's NPLUSONE_WHITELIST entries ({"model": ..., "field": ...}) into allow patterns."""
    patterns: list[str] = []
    for entry in entries:
        model = entry.get("model", "*") or "*"
        field_name = entry.get("field")
        if field_name:
            patterns.append(f"{model}.{field_name}")
        else:
            patterns.extend((model, f"{model}.*"))
    return tuple(patterns)


def config_from_settings(settings: Any) -> DetectorConfig:
    """Build the configuration from a Django settings object."""
    options: Mapping[str, Any] = getattr(settings, "ORM_ANALYZER", None) or {}
    if not isinstance(options, Mapping):
        raise ConfigurationError("ORM_ANALYZER must be a dict")
    unknown = set(options) - {"ENABLED", "ACTION", "THRESHOLD", "ALLOW", "REPORT", "ROOT", "UNUSED_EAGER"}
    if unknown:
        raise ConfigurationError(f"unknown ORM_ANALYZER keys: {', '.join(sorted(unknown))}")
    action = options.get("ACTION")
    if action is None:
        action = "raise" if getattr(settings, "NPLUSONE_RAISE", False) else "log"
    if action not in ACTIONS:
        raise ConfigurationError(f"ACTION must be one of {', '.join(ACTIONS)}, not {action!r}")
    allow = tuple(str(pattern) for pattern in options.get("ALLOW", ()))
    allow += whitelist_patterns(getattr(settings, "NPLUSONE_WHITELIST", ()))
    report = options.get("REPORT")
    return DetectorConfig(
        threshold=int(options.get("THRESHOLD", DEFAULT_THRESHOLD)),
        allow=allow,
        unused_eager=bool(options.get("UNUSED_EAGER", False)),
        root=str(options.get("ROOT") or os.getcwd()),
        action=cast(Action, action),
        # An explicit ENABLED wins, so that "ENABLED": False switches the detector off under DEBUG too.
        enabled=bool(options.get("ENABLED", getattr(settings, "DEBUG", False))),
        report=str(report) if report else None,
    )
