"""Analysis settings: defaults, merged from ``[tool.django-orm-analyzer]`` in pyproject.toml and the command line.

The table's keys are the long command-line flags in kebab-case (``select``, ``ignore``, ``extend-select``,
``format``, ``show-fix``, ``baseline``, ``runtime-report``, ``exit-zero``, ``jobs``, ``max-file-size``) plus
``exclude``, ``per-file-ignores``, ``extend-per-file-ignores``, ``settings`` and ``cache`` (``cache = false`` is
``--no-cache``), and the fix switches ``fix``, ``unsafe-fixes``, ``fixable`` and ``unfixable``. Paths and glob
patterns in the file are relative to the file's folder. Command-line flags replace the file's values.

Tests and management commands get a default ``per-file-ignores`` (``DEFAULT_PER_FILE_IGNORES``): a
``per-file-ignores`` table replaces it, ``extend-per-file-ignores`` adds to it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.errors import ConfigError, UsageError
from analyzer.rules import Rule

TABLE_NAME = "django-orm-analyzer"
OUTPUT_FORMATS = ("text", "full", "json", "sarif", "github")
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
# A selector this short ("ORM") names the whole catalogue: it turns on the default rules, not the opt-in ones.
CATALOGUE_PREFIX = "ORM"
# Test code builds its fixtures row by row on purpose and runs on a handful of rows: its N+1s are not the app's
# (the pytest plugin finds the app's N+1s that tests run into). A management command's loop is usually the job
# itself, run offline, so its queries and writes per item are left out too; its relation reads per row (ORM1) and
# queryset misuse (ORM4) stay, as select_related() and friends fix them at no cost.
DEFAULT_PER_FILE_IGNORES: dict[str, tuple[str, ...]] = {
    "tests/": (CATALOGUE_PREFIX,),
    "test_*.py": (CATALOGUE_PREFIX,),
    "*_test.py": (CATALOGUE_PREFIX,),
    "tests.py": (CATALOGUE_PREFIX,),
    "conftest.py": (CATALOGUE_PREFIX,),
    "**/management/commands/": ("ORM2", "ORM3"),
}


@dataclass(frozen=True)
class Config:
    """Everything that changes what the analysis reports. Codes and prefixes are matched case-insensitively."""

    select: tuple[str, ...] = ()  # empty: every rule that is on by default
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_PER_FILE_IGNORES))
    settings: str | None = None  # dotted settings module to read statically, e.g. "bookshop.settings"
    output_format: str = "text"
    # The text format prints one short line per finding; show_fix (or the "full" format) prints whole messages.
    show_fix: bool = False
    baseline: str | None = None
    runtime_report: str | None = None
    exit_zero: bool = False
    jobs: int | None = None
    cache: bool = True
    # The folder that ``exclude`` and ``per-file-ignores`` patterns are relative to: the configuration file's
    # folder, or the current directory when there is none.
    root: Path | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    fix: bool = False  # apply the safe fixes (``--fix``)
    unsafe_fixes: bool = False  # and the unsafe ones too
    fixable: tuple[str, ...] = ()  # codes or prefixes whose fixes may be applied; empty: every code
    unfixable: tuple[str, ...] = ()  # codes or prefixes whose fixes are never applied


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


def configured_per_file_ignores(config: Config) -> dict[str, tuple[str, ...]]:
    """The ``per-file-ignores`` entries the user wrote: the defaults name whole code bands and need no check."""
    return {
        pattern: codes
        for pattern, codes in config.per_file_ignores.items()
        if DEFAULT_PER_FILE_IGNORES.get(pattern) != codes
    }


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
    extensions: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        if key in ("select", "ignore", "extend-select", "fixable", "unfixable"):
            options[key.replace("-", "_")] = _codes(value, key, source)
        elif key == "exclude":
            options["exclude"] = _string_list(value, key, source)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: per-file-ignores must be a table of glob = [codes], got {value!r}")
            options["per_file_ignores"] = {
                pattern: _codes(codes, f'per-file-ignores."{pattern}"', source) for pattern, codes in value.items()
            }
        elif key == "extend-per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: {key} must be a table of glob = [codes], got {value!r}")
            extensions = {pattern: _codes(codes, f'{key}."{pattern}"', source) for pattern, codes in value.items()}
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
        elif key in ("exit-zero", "cache", "show-fix", "fix", "unsafe-fixes"):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: {key} must be true or false, got {value!r}")
            options[key.replace("-", "_")] = value
        elif key in ("jobs", "max-file-size"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{source}: {key} must be a positive integer, got {value!r}")
            options[key.replace("-", "_")] = value
        else:
            raise ConfigError(f"{source}: unknown key {key!r}")
    if extensions:
        options["per_file_ignores"] = {**options.get("per_file_ignores", DEFAULT_PER_FILE_IGNORES), **extensions}
    return options
