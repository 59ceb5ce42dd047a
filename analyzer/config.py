"""Analysis settings: defaults, merged from ``[tool.django-orm-analyzer]`` in pyproject.toml and the command line.

The table's keys are the long command-line flags in kebab-case (``select``, ``ignore``, ``extend-select``,
``format``, ``baseline``, ``runtime-report``, ``exit-zero``, ``jobs``, ``max-file-size``) plus ``exclude``,
``per-file-ignores``, ``settings``, ``django-version`` and ``cache`` (``cache = false`` is ``--no-cache``). Paths
and glob patterns in the file are relative to the file's folder. Command-line flags replace the file's values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.django_version import parse_version
from analyzer.errors import ConfigError, UsageError
from analyzer.rules import Rule

TABLE_NAME = "django-orm-analyzer"
OUTPUT_FORMATS = ("text", "json", "sarif", "github")
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
# A selector this short ("ORM") names the whole catalogue: it turns on the default rules, not the opt-in ones.
CATALOGUE_PREFIX = "ORM"


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
    # The folder that ``exclude`` and ``per-file-ignores`` patterns are relative to: the configuration file's
    # folder, or the current directory when there is none.
    root: Path | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # The Django release the project targets ("6.1"); None: read from its requirements (analyzer.django_version).
    django_version: str | None = None


def _matches(code: str, selector: str) -> bool:
    return code.upper().startswith(selector.upper())


def _enables(code: str, rule: Rule, selector: str) -> bool:
    if not _matches(code, selector):
        return False
    return rule.default_enabled or len(selector) > len(CATALOGUE_PREFIX)


def select_rules(config: Config, rules: Iterable[Rule]) -> list[Rule]:
    """The rules the configuration turns on.

    With no ``select``, the rules that are on by default; ``select`` replaces that set, ``extend-select`` adds
    to it and ``ignore`` removes from it. When an enabling and a disabling selector both match a rule, the
    longer (more specific) one wins, so ``--ignore ORM1 --extend-select ORM101`` keeps ORM101; on a tie
    ``ignore`` wins. Opt-in rules are only turned on by a selector more specific than ``ORM``.
    """
    chosen: list[Rule] = []
    for rule in rules:
        enabling = [s for s in (*config.select, *config.extend_select) if _enables(rule.code, rule, s)]
        disabling = [selector for selector in config.ignore if _matches(rule.code, selector)]
        if not enabling and not disabling:
            on = rule.default_enabled if not config.select else False
        elif not disabling:
            on = True
        elif not enabling:
            on = False
        else:
            on = max(map(len, enabling)) > max(map(len, disabling))
        if on:
            chosen.append(rule)
    return chosen


def validate_selectors(selectors: Iterable[str], rules: Sequence[Rule], option: str) -> None:
    """Every code or prefix must name at least one registered rule: a typo must not silently select nothing."""
    codes = [rule.code for rule in rules]
    for selector in selectors:
        if not any(_matches(code, selector) for code in codes):
            raise UsageError(f"unknown rule code or prefix in {option}: {selector}")


def parse_codes(value: str) -> tuple[str, ...]:
    """A comma-separated list of codes from the command line ("ORM101, ORM2")."""
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def find_config_file(start: Path) -> Path | None:
    """The nearest pyproject.toml, from ``start`` upward, that has a ``[tool.django-orm-analyzer]`` table."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and TABLE_NAME in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot read configuration: {error.strerror or error}") from error


def load_config_file(path: Path) -> dict[str, Any]:
    """The analyzer's table from a configuration file, as keyword arguments for ``Config``.

    A pyproject.toml is read at ``[tool.django-orm-analyzer]``; any other TOML file named with ``--config``
    may hold the keys either there or at its top level.
    """
    if not path.is_file():
        raise ConfigError(f"configuration file not found: {path}")
    document = _read_toml(path)
    tool = document.get("tool", {})
    if isinstance(tool, dict) and TABLE_NAME in tool:
        table = tool[TABLE_NAME]
        where = f"[tool.{TABLE_NAME}]"
    elif path.name == "pyproject.toml":
        table = {}
        where = f"[tool.{TABLE_NAME}]"
    else:
        table = document
        where = "top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    return options_from_table(table, base=path.parent.resolve(), source=f"{path} ({where})")


def _string_list(value: object, key: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{source}: {key} must be a list of strings, got {value!r}")
    return tuple(value)


def _codes(value: object, key: str, source: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in _string_list(value, key, source))


def options_from_table(table: Mapping[str, object], *, base: Path, source: str) -> dict[str, Any]:
    """Validate a configuration table and turn it into ``Config`` keyword arguments."""
    options: dict[str, Any] = {"root": base}
    for key, value in table.items():
        if key in ("select", "ignore", "extend-select"):
            options[key.replace("-", "_")] = _codes(value, key, source)
        elif key == "exclude":
            options["exclude"] = _string_list(value, key, source)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: per-file-ignores must be a table of glob = [codes], got {value!r}")
            options["per_file_ignores"] = {
                pattern: _codes(codes, f'per-file-ignores."{pattern}"', source) for pattern, codes in value.items()
            }
        elif key == "format":
            if value not in OUTPUT_FORMATS:
                raise ConfigError(f"{source}: format must be one of {', '.join(OUTPUT_FORMATS)}, got {value!r}")
            options["output_format"] = value
        elif key in ("baseline", "runtime-report"):
            if not isinstance(value, str):
                raise ConfigError(f"{source}: {key} must be a path string, got {value!r}")
            options[key.replace("-", "_")] = str(base / value)
        elif key == "settings":
            if not isinstance(value, str) or not all(part.isidentifier() for part in value.split(".")):
                raise ConfigError(f"{source}: settings must be a dotted module name, got {value!r}")
            options["settings"] = value
        elif key == "django-version":
            if not isinstance(value, str) or parse_version(value) is None:
                raise ConfigError(f'{source}: django-version must be a version string such as "6.1", got {value!r}')
            options["django_version"] = value
        elif key in ("exit-zero", "cache"):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: {key} must be true or false, got {value!r}")
            options[key.replace("-", "_")] = value
        elif key in ("jobs", "max-file-size"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{source}: {key} must be a positive integer, got {value!r}")
            options[key.replace("-", "_")] = value
        else:
            raise ConfigError(f"{source}: unknown key {key!r}")
    return options
