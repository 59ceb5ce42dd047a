"""Which newer Python a file that does not parse here needs, if a newer grammar is why it does not parse.

The analyzer parses with the interpreter it runs on, so a project written for a newer Python has files this one
cannot read: PEP 695 type parameters and `type X = ...` (3.12), PEP 701 f-strings that reuse their quote or hold a
backslash or a comment (3.12), type parameter defaults (3.13), `except A, B:` without parentheses and t-strings
(3.14). For a syntax error, each construct the running Python lacks is rewritten away on the error line into
something every version reads; when the file then parses, or fails only further down, that construct was the cause
and its Python is named. A plain mistake matches none of them and stays a plain syntax error.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable

Version = tuple[int, int]
_RUNNING: Version = (sys.version_info.major, sys.version_info.minor)
# Rewrites per construct: the line with the construct gone, or None when the line does not have it.
Rewrite = Callable[[str], str | None]

_TYPE_ALIAS = re.compile(r"^(\s*)type\s+([A-Za-z_]\w*)\s*(?=[\[=])")
_GENERIC_DEFINITION = re.compile(r"^(\s*(?:async\s+def|def|class)\s+[A-Za-z_]\w*)\s*\[")
_EXCEPT_WITHOUT_PARENTHESES = re.compile(r"^(\s*except\*?\s+)([^():]+,[^():]+?)\s*:")
_STRING_START = re.compile(r"(?<![\w.])([rRbBuUfFtT]{0,2})('''|\"\"\"|'|\")")


def _bracket_end(line: str, start: int) -> int | None:
    """The index just past the bracket that closes the one at `start`."""
    depth = 0
    for index in range(start, len(line)):
        if line[index] in "([{":
            depth += 1
        elif line[index] in ")]}":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _type_parameters(line: str) -> tuple[int, int] | None:
    """The span of the `[...]` type parameters of a `type`, `def` or `class` statement on the line."""
    match = _TYPE_ALIAS.match(line) or _GENERIC_DEFINITION.match(line)
    if match is None:
        return None
    start = line.find("[", match.end(1))
    if start < 0 or line[match.end(1) : start].strip():
        return None
    end = _bracket_end(line, start)
    # `class Box[]:` is a mistake in every version.
    return None if end is None or not line[start + 1 : end - 1].strip() else (start, end)


def _without_type_parameters(line: str) -> str | None:
    alias = _TYPE_ALIAS.match(line)
    span = _type_parameters(line)
    if span is not None:
        line = line[: span[0]] + line[span[1] :]
    if alias is not None:
        # `type X = ...` becomes `X = ...`.
        return f"{alias.group(1)}{alias.group(2)} " + line[alias.end() :].lstrip()
    return line if span is not None else None


def _type_parameters_without_defaults(line: str) -> str | None:
    span = _type_parameters(line)
    if span is None or "=" not in line[span[0] : span[1]]:
        return None
    return _without_type_parameters(line)


def _string_end(line: str, start: int, quote: str, formatted: bool) -> tuple[int, bool, bool] | None:
    """Read as Python 3.12 reads f-strings, the string whose body starts at `start`: the index past its end, whether
    a field of it reuses its quote or holds a backslash or "#" (what 3.12 first allowed), and whether its own text
    holds a backslash or "#" (which 3.11 refuses in a string nested in a field)."""
    index = start
    depth = 0
    new_syntax = False
    marks = False
    while index < len(line):
        char = line[index]
        if depth == 0:
            if line.startswith(quote, index):
                return index + len(quote), new_syntax, marks
            if char in "\\#":
                marks = True
                index += 2 if char == "\\" else 1
                continue
            if formatted and char == "{":
                if line.startswith("{{", index):
                    index += 2
                    continue
                depth = 1
        else:
            nested = _STRING_START.match(line, index)
            if nested is not None:
                inner = _string_end(line, nested.end(), nested.group(2), "f" in nested.group(1).lower())
                if inner is None:
                    return None
                new_syntax = new_syntax or inner[1] or inner[2] or quote[0] in nested.group(2)
                index = inner[0]
                continue
            if char == "\\":
                new_syntax = True
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
        index += 1
    return None


def _formatted_strings(line: str, prefix_letter: str) -> list[tuple[int, int, bool]]:
    """(start, end, uses 3.12 field syntax) of each string on the line whose prefix has `prefix_letter`."""
    found: list[tuple[int, int, bool]] = []
    index = 0
    while (match := _STRING_START.search(line, index)) is not None:
        prefix, quote = match.groups()
        formatted = any(letter in prefix.lower() for letter in "ft")
        scanned = _string_end(line, match.end(), quote, formatted)
        if scanned is None:
            return found
        if prefix_letter in prefix.lower():
            found.append((match.start(), scanned[0], scanned[1]))
        index = scanned[0]
    return found


def _without_new_fstrings(line: str) -> str | None:
    changed = line
    for start, end, new_syntax in reversed(_formatted_strings(line, "f")):
        if new_syntax:
            changed = changed[:start] + "None" + changed[end:]
    return changed if changed != line else None


def _without_template_strings(line: str) -> str | None:
    changed = line
    for start, end, _ in reversed(_formatted_strings(line, "t")):
        changed = changed[:start] + "None" + changed[end:]
    return changed if changed != line else None


def _except_in_parentheses(line: str) -> str | None:
    match = _EXCEPT_WITHOUT_PARENTHESES.match(line)
    if match is None or " as " in match.group(2):
        return None
    return f"{match.group(1)}({match.group(2)}):{line[match.end() :]}"


# Newest first, so that a line with constructs of two versions names the newer one it needs.
_CONSTRUCTS: tuple[tuple[Version, Rewrite], ...] = (
    ((3, 14), _except_in_parentheses),
    ((3, 14), _without_template_strings),
    ((3, 13), _type_parameters_without_defaults),
    ((3, 12), _without_type_parameters),
    ((3, 12), _without_new_fstrings),
)
# A file with more errors than this is not a newer Python's file.
_MAX_REWRITES = 50


def _error_line(text: str) -> int | None:
    try:
        ast.parse(text)
    except SyntaxError as error:
        return error.lineno or 0
    except (ValueError, MemoryError, RecursionError):
        return 0
    return None


def needed_python(text: str, error_line: int, running: Version = _RUNNING) -> Version | None:
    """The newest Python whose syntax the file uses and the running one lacks, if that is why it fails to parse."""
    needed: Version | None = None
    lines = text.splitlines(keepends=True)
    for _ in range(_MAX_REWRITES):
        if not 1 <= error_line <= len(lines):
            return None
        line = lines[error_line - 1]
        for version, rewrite in _CONSTRUCTS:
            if version <= running:
                continue
            rewritten = rewrite(line)
            if rewritten is None:
                continue
            candidate = [*lines[: error_line - 1], rewritten, *lines[error_line:]]
            next_error = _error_line("".join(candidate))
            if next_error is None or next_error > error_line:
                lines = candidate
                needed = version if needed is None else max(needed, version)
                break
        else:
            # A plain mistake further down is the newer Python's to report.
            return needed
        if next_error is None:
            return needed
        error_line = next_error
    return None
