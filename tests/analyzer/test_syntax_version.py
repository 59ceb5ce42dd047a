"""A file written for a newer Python than the one the analyzer runs on is listed with an error naming that Python;
a plain syntax error stays a plain one. Each case runs where the running Python cannot parse it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.syntax_version import needed_python

RUNNING = sys.version_info[:2]
HINT = "run the analyzer with that Python"


def _errors(tmp_path: Path, source: str) -> list[tuple[str, str]]:
    (tmp_path / "newer.py").write_text(source, encoding="utf-8")
    result = analyze([tmp_path], Config(), cwd=tmp_path)
    return [(error.path, error.message) for error in result.errors]


NEWER_SYNTAX = [
    pytest.param("type Point = tuple[float, float]\n", (3, 12), 1, "invalid syntax", id="type-alias"),
    pytest.param("type Pair[T] = tuple[T, T]\n", (3, 12), 1, "invalid syntax", id="generic-type-alias"),
    pytest.param("def first[T](items: list[T]) -> T:\n    return items[0]\n", (3, 12), 1, "expected '('", id="def"),
    pytest.param("class Box[T: int]:\n    pass\n", (3, 12), 1, "invalid syntax", id="generic-class"),
    pytest.param(
        'prices = {"a": 1}\nline = f"{prices["a"]}"\n', (3, 12), 2, "f-string: unmatched '['", id="fstring-quote"
    ),
    pytest.param(
        "line = f\"{'\\n'.join(['a', 'b'])}\"\n",
        (3, 12),
        1,
        "f-string expression part cannot include a backslash",
        id="fstring-backslash",
    ),
    pytest.param(
        "def pick[T = int](value: T) -> T:\n    return value\n", (3, 13), 1, "expected '('", id="type-parameter-default"
    ),
    pytest.param(
        "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
        (3, 14),
        3,
        "multiple exception types must be parenthesized",
        id="except-without-parentheses",
    ),
    pytest.param('name = "x"\ngreeting = t"hello {name}"\n', (3, 14), 2, "invalid syntax", id="template-string"),
]


@pytest.mark.parametrize(("source", "needed", "line", "message"), NEWER_SYNTAX)
def test_file_of_a_newer_python_names_that_python(
    tmp_path: Path, source: str, needed: tuple[int, int], line: int, message: str
) -> None:
    if needed <= RUNNING:
        pytest.skip(f"Python {RUNNING[0]}.{RUNNING[1]} parses this file")
    python = f"Python {needed[0]}.{needed[1]}"

    assert _errors(tmp_path, source) == [
        ("newer.py", f"needs {python} to parse (syntax error at line {line}: {message}); {HINT}")
    ]


@pytest.mark.skipif(RUNNING >= (3, 13), reason="Python 3.13 parses type parameter defaults")
def test_newest_construct_of_the_file_is_the_python_named() -> None:
    source = "type Count = int\n\n\ndef pick[T = int](value: T) -> T:\n    return value\n"

    assert needed_python(source, 1) == (3, 13)


@pytest.mark.skipif(RUNNING >= (3, 12), reason="Python 3.12 parses type aliases")
def test_mistake_below_a_newer_construct_still_names_the_newer_python(tmp_path: Path) -> None:
    source = "type Count = int\n\n\ndef broken(:\n    pass\n"

    assert _errors(tmp_path, source) == [
        ("newer.py", f"needs Python 3.12 to parse (syntax error at line 1: invalid syntax); {HINT}")
    ]


EMPTY_FIELD = (
    "f-string: empty expression not allowed" if RUNNING < (3, 12) else "f-string: valid expression required before '}'"
)
EMPTY_PARAMETERS = "Type parameter list cannot be empty" if RUNNING >= (3, 13) else "invalid syntax"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("def broken(:\n    pass\n", "syntax error at line 1: invalid syntax", id="plain"),
        pytest.param('line = f"{}"\n', f"syntax error at line 1: {EMPTY_FIELD}", id="empty-fstring-field"),
        pytest.param('line = f"a\\n{}"\n', f"syntax error at line 1: {EMPTY_FIELD}", id="backslash-outside-the-field"),
        pytest.param("type = 1\ntype(:\n", "syntax error at line 2: invalid syntax", id="type-as-a-name"),
        pytest.param("class Box[]:\n    pass\n", f"syntax error at line 1: {EMPTY_PARAMETERS}", id="empty-parameters"),
    ],
)
def test_plain_mistake_is_a_plain_syntax_error(tmp_path: Path, source: str, message: str) -> None:
    assert _errors(tmp_path, source) == [("newer.py", message)]
