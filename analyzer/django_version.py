"""The Django version a project targets, read from its files without importing anything.

A fix may only use an API that every Django the project supports has, so the version is the oldest release its
requirements allow. It comes from the first of these that names Django:

1. the `django-version` key of `[tool.django-orm-analyzer]` (`django-version = "6.1"`);
2. pyproject.toml's `[project] dependencies`, then `[tool.poetry.dependencies]`;
3. the requirements files of the project folder: requirements*.txt, requirements*.in and requirements/*.txt|in
   (the oldest lower bound over all of them).

The project folder is the nearest folder, from the analysed paths upward, that holds a pyproject.toml, a
requirements file or folder, setup.py or setup.cfg. `Django>=6.1,<7`, `Django==6.1.3`, `Django~=6.1` and poetry's
`^6.1` give 6.1; a requirement without a lower bound (`Django`, `Django<7`) gives nothing, and neither does a
project that names no Django.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from analyzer.filesystem import read_regular_file

logger = logging.getLogger(__name__)
Version = tuple[int, int]

_NAME = re.compile(r"^\s*django(?![\w.-])\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;#]*)", re.IGNORECASE)
_CLAUSE = re.compile(r"^\s*(?P<operator>===|==|>=|~=|>|\^|~)?\s*v?(?P<major>\d+)(?:\.(?P<minor>\d+))?")
_LOWER_BOUNDS = frozenset({"===", "==", ">=", "~=", ">", "^", "~"})
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "requirements")
# A requirements or pyproject file is small; anything larger is not one to read for a version.
_MAX_FILE_SIZE = 1024 * 1024


def _read_text(path: Path) -> str | None:
    """A project file's text, or None (with a warning) when it is no regular file, too large or not UTF-8."""
    try:
        return read_regular_file(path, _MAX_FILE_SIZE).decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        logger.warning("cannot read %s for the project's Django version: %s", path, error)
        return None


def parse_version(text: str) -> Version | None:
    """ "6.1" or "6.1.3" as (6, 1); None for anything else."""
    match = re.fullmatch(r"\s*(\d+)\.(\d+)(?:\.\d+)?\s*", text)
    return (int(match[1]), int(match[2])) if match else None


def lower_bound(spec: str, poetry: bool = False) -> Version | None:
    """The oldest version a requirement's specifier allows ("<7,>=6.1" -> (6, 1)); a bare poetry version is ^."""
    bounds: list[Version] = []
    for clause in spec.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            continue
        operator = match["operator"] or ("^" if poetry else "")
        if operator in _LOWER_BOUNDS:
            bounds.append((int(match["major"]), int(match["minor"] or 0)))
    return max(bounds) if bounds else None


def _requirement_bound(line: str) -> Version | None:
    match = _NAME.match(line)
    return lower_bound(match["spec"]) if match else None


def _read_toml(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        logger.warning("cannot read %s for the project's Django version: %s", path, error)
        return {}


def _from_pyproject(path: Path) -> Version | None:
    document = _read_toml(path)
    project = document.get("project", {})
    dependencies = project.get("dependencies", []) if isinstance(project, dict) else []
    bounds = [bound for line in dependencies if isinstance(line, str) and (bound := _requirement_bound(line))]
    if bounds:
        return min(bounds)
    tool = document.get("tool", {})
    poetry = tool.get("poetry", {}).get("dependencies", {}) if isinstance(tool, dict) else {}
    for name, value in poetry.items() if isinstance(poetry, dict) else ():
        if name.lower() == "django":
            spec = value.get("version", "") if isinstance(value, dict) else value
            return lower_bound(spec, poetry=True) if isinstance(spec, str) else None
    return None


def _requirement_files(folder: Path) -> Iterator[Path]:
    for pattern in ("requirements*.txt", "requirements*.in", "requirements/*.txt", "requirements/*.in"):
        yield from sorted(path for path in folder.glob(pattern) if path.is_file())


def _from_requirements(folder: Path) -> Version | None:
    bounds: list[Version] = []
    for path in _requirement_files(folder):
        text = _read_text(path)
        if text is None:
            continue
        bounds.extend(bound for line in text.splitlines() if (bound := _requirement_bound(line)))
    return min(bounds) if bounds else None


def project_folder(paths: Iterable[Path]) -> Path | None:
    """The nearest folder, from the first analysed path upward, that looks like a project's root."""
    for path in paths:
        start = path.resolve()
        for folder in (start, *start.parents) if start.is_dir() else start.parents:
            if any((folder / marker).exists() for marker in _PROJECT_MARKERS):
                return folder
    return None


def target_django_version(configured: str | None, paths: Iterable[Path]) -> Version | None:
    """The Django version the project targets, in the order of this module's docstring."""
    if configured is not None:
        return parse_version(configured)
    folder = project_folder(paths)
    if folder is None:
        return None
    pyproject = folder / "pyproject.toml"
    from_pyproject = _from_pyproject(pyproject) if pyproject.is_file() else None
    return from_pyproject or _from_requirements(folder)
