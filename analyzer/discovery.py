"""Finding the Python files to analyse: walking the given paths, skipping tool and virtualenv folders, migrations
and ``exclude`` patterns, surviving broken symlinks and symlink loops, and naming each file's module. Only regular
files are taken: a named pipe or a device called ``x.py`` is reported and skipped, and so is a file named on the
command line that is not Python (a README.md).

A module's name is dotted relative to its import root, the first parent folder that is not a package, so
``example_project/catalog/models.py`` becomes ``catalog.models``. Two roots can hold the same module name
(two projects side by side, or ``conftest.py`` in several test folders); ``partition_by_module_name`` splits the
files into groups without clashing names so that each group can be parsed on its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from analyzer.context import SourceFile
from analyzer.errors import UsageError
from analyzer.filesystem import file_kind, is_regular_file
from analyzer.findings import FileError

# Folders that never hold the project's own code. "migrations" is here because migrations are never analysed.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".venv",
        "__pycache__",
        "build",
        "dist",
        "migrations",
        "node_modules",
        "site-packages",
        "venv",
    }
)


@dataclass(frozen=True)
class GlobPattern:
    """One gitignore-like pattern: without a slash it matches a name at any depth, with one it is anchored to
    the base folder; ``**`` spans folders and a trailing slash restricts it to folders."""

    text: str

    @cached_property
    def _parts(self) -> tuple[re.Pattern[str], bool, bool]:
        pattern = self.text.strip()
        directory_only = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        anchored = "/" in pattern
        pattern = pattern.removeprefix("/")
        return re.compile(_glob_to_regex(pattern)), anchored, directory_only

    def matches(self, relative: str, *, is_dir: bool) -> bool:
        """Whether a path (posix, relative to the base folder) matches; parents are checked by the caller."""
        regex, anchored, directory_only = self._parts
        if directory_only and not is_dir:
            return False
        if anchored:
            return regex.fullmatch(relative) is not None
        return regex.fullmatch(relative.rsplit("/", 1)[-1]) is not None


def _glob_to_regex(pattern: str) -> str:
    regex = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            regex.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            regex.append(".*")
            index += 2
            continue
        if char == "*":
            regex.append("[^/]*")
        elif char == "?":
            regex.append("[^/]")
        elif char == "[":
            closing = pattern.find("]", index + 1)
            if closing == -1:
                regex.append(re.escape(char))
            else:
                body = pattern[index + 1 : closing]
                if body.startswith("!"):
                    body = "^" + body[1:]
                regex.append(f"[{body}]")
                index = closing
        else:
            regex.append(re.escape(char))
        index += 1
    return "".join(regex)


@dataclass(frozen=True)
class PathMatcher:
    """A set of glob patterns applied relative to ``base`` (the folder of the configuration file)."""

    patterns: tuple[GlobPattern, ...]
    base: Path

    @classmethod
    def from_strings(cls, patterns: Iterable[str], base: Path) -> PathMatcher:
        return cls(tuple(GlobPattern(pattern) for pattern in patterns if pattern.strip()), base)

    def matches(self, path: Path, *, is_dir: bool = False) -> bool:
        """Whether the path, or one of its parent folders below ``base``, matches a pattern."""
        if not self.patterns:
            return False
        try:
            relative_parts = path.relative_to(self.base).parts
        except ValueError:
            # Outside the base folder only the unanchored (name) patterns can apply.
            relative_parts = (path.name,)
        for depth in range(1, len(relative_parts) + 1):
            relative = "/".join(relative_parts[:depth])
            checking_dir = is_dir or depth < len(relative_parts)
            if any(pattern.matches(relative, is_dir=checking_dir) for pattern in self.patterns):
                return True
        return False


@dataclass
class Discovery:
    """The files found and the ones that could not be followed (broken symlinks, symlink loops)."""

    files: list[SourceFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def display_path(path: Path, cwd: Path) -> str:
    """A path as the user sees it: relative to the current directory when below it, with forward slashes."""
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def import_root(path: Path) -> Path:
    """The folder a module is imported from: the first parent that is not a package."""
    root = path.parent
    while (root / "__init__.py").is_file() and root.parent != root:
        root = root.parent
    return root


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or path.stem


def _is_virtualenv(folder: Path) -> bool:
    # A virtualenv may have any name; pyvenv.cfg is what marks one.
    return (folder / "pyvenv.cfg").is_file()


def _skipped_dir(folder: Path, excluded: PathMatcher) -> bool:
    return folder.name in SKIPPED_DIRS or _is_virtualenv(folder) or excluded.matches(folder, is_dir=True)


def discover(paths: Sequence[Path], cwd: Path, *, exclude: PathMatcher | None = None) -> Discovery:
    """Every Python file under the given paths, in display-path order. A missing path is a usage error."""
    excluded = exclude or PathMatcher((), cwd)
    result = Discovery()
    seen_files: set[Path] = set()
    for given in paths:
        absolute = Path(os.path.abspath(cwd / given))
        if not absolute.exists():
            if absolute.is_symlink():
                raise UsageError(f"path is a broken symlink: {given}")
            raise UsageError(f"path does not exist: {given}")
        if absolute.is_dir():
            _walk(absolute, cwd, excluded, seen_files, result)
            continue
        if "migrations" in absolute.parts:
            continue
        # A file named on the command line is analysed even if it sits in a skipped folder (the user asked for
        # it), but only when it is Python: a .py file, or a script whose first line runs Python.
        skipped = _not_analysable(absolute)
        if skipped is not None:
            result.errors.append(FileError(display_path(absolute, cwd), skipped))
        else:
            _add_file(absolute, cwd, seen_files, result)
    result.files.sort(key=lambda source: source.display_path)
    result.errors.sort(key=lambda error: error.path)
    return result


def _walk(top: Path, cwd: Path, excluded: PathMatcher, seen_files: set[Path], result: Discovery) -> None:
    # Real paths of the folders on the current walk: a symlink back to one of them is a loop.
    active: list[Path] = []

    def visit(folder: Path) -> None:
        real = Path(os.path.realpath(folder))
        if real in active:
            result.errors.append(
                FileError(display_path(folder, cwd), f"symlink loop: {folder.name} points back to {real}")
            )
            return
        active.append(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            result.errors.append(FileError(display_path(folder, cwd), f"cannot list folder: {error.strerror}"))
            active.pop()
            return
        for entry in entries:
            path = folder / entry.name
            if entry.is_symlink() and not path.exists():
                if entry.name.endswith(".py"):
                    target = os.readlink(path)
                    result.errors.append(FileError(display_path(path, cwd), f"broken symlink: {target} does not exist"))
                continue
            if entry.is_dir():
                if not _skipped_dir(path, excluded):
                    visit(path)
            elif entry.name.endswith(".py") and not excluded.matches(path):
                if entry.is_file():
                    _add_file(path, cwd, seen_files, result)
                else:
                    # A named pipe would block the read forever, a device could read without end.
                    kind = _kind(path)
                    result.errors.append(FileError(display_path(path, cwd), f"skipped: not a regular file ({kind})"))
        active.pop()

    # A folder named on the command line is walked even if its own name would be skipped.
    visit(top)


PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
# The first line of a script that runs Python: "#!/usr/bin/env python3", "#!/usr/bin/python3.11 -u".
_PYTHON_SHEBANG = re.compile(rb"#![^\n]*\bpython[\d.]*\b")


def _kind(path: Path) -> str:
    try:
        return file_kind(os.stat(path).st_mode)
    except OSError as error:
        return f"cannot stat: {error.strerror or error}"


def _not_analysable(path: Path) -> str | None:
    """Why a file named on the command line is not analysed, or None when it is a Python file."""
    if not is_regular_file(path):
        return f"skipped: not a regular file ({_kind(path)})"
    if path.suffix in PYTHON_SUFFIXES:
        return None
    try:
        with path.open("rb") as stream:
            first_line = stream.readline(256)
    except OSError as error:
        return f"cannot read file: {error.strerror or error}"
    if _PYTHON_SHEBANG.match(first_line):
        return None
    return "skipped: not a Python file (neither a .py name nor a python #! line)"


def _add_file(path: Path, cwd: Path, seen_files: set[Path], result: Discovery) -> None:
    real = Path(os.path.realpath(path))
    if real in seen_files:
        return
    seen_files.add(real)
    root = import_root(path)
    result.files.append(SourceFile(path, display_path(path, cwd), module_name(path, root), root))


def partition_by_module_name(sources: Sequence[SourceFile]) -> list[list[SourceFile]]:
    """Split files into groups in which every module name is unique, keeping each import root together.

    Usually there is one group. Roots that clash with an earlier group (another project with its own
    ``app/models.py``) start or join a later group, so both are analysed and neither replaces the other.
    """
    by_root: dict[Path, list[SourceFile]] = {}
    for source in sources:
        by_root.setdefault(source.root, []).append(source)
    groups: list[tuple[set[str], list[SourceFile]]] = []
    for root_sources in by_root.values():
        pending = root_sources
        while pending:
            unique: list[SourceFile] = []
            clashing: list[SourceFile] = []
            taken: set[str] = set()
            for source in pending:
                # Within one root "pkg.py" and "pkg/__init__.py" share a name: the later one moves on.
                (clashing if source.modname in taken else unique).append(source)
                taken.add(source.modname)
            names = {source.modname for source in unique}
            target = next((group for group in groups if not group[0] & names), None)
            if target is None:
                target = (set(), [])
                groups.append(target)
            target[0].update(names)
            target[1].extend(unique)
            pending = clashing
    return [sorted(group_sources, key=lambda source: source.display_path) for _, group_sources in groups]
