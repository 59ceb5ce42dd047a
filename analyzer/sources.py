"""Reading and parsing one file: its bytes (within the size limit), its decoded text, its syntax-only astroid tree,
or the ``FileError`` that says why it cannot be analysed. ``read_sources`` is the pipeline's read stage.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

import astroid
from astroid import nodes

from analyzer.cache.store import digest
from analyzer.context import SourceFile
from analyzer.filesystem import FileTooLargeError, NotRegularFileError, read_regular_file
from analyzer.findings import FileError
from analyzer.syntax_version import needed_python

# Enough for astroid and the rules to walk the deepest nesting that Python's parser accepts at its default limit
# (about 1,500 chained calls or 3,000 terms of one expression), with room to spare; trees that deep stay far from
# the C stack's end, as the tests check in the parent and in forked workers.
DEEP_RECURSION_LIMIT = 20_000


def read_bytes(source: SourceFile, max_file_size: int) -> bytes | FileError:
    """The raw content of a regular file of at most ``max_file_size`` bytes, or the reason it cannot be read.

    The limit is applied while reading (``analyzer.filesystem``), and a named pipe or a device is never read.
    """
    limit = f"{max_file_size / 1_048_576:.1f} MB limit"
    try:
        return read_regular_file(source.path, max_file_size)
    except FileTooLargeError as error:
        if error.while_reading:
            return FileError(source.display_path, f"skipped: file is over the {limit}")
        return FileError(source.display_path, f"skipped: file is {error.size / 1_048_576:.1f} MB, over the {limit}")
    except NotRegularFileError as error:
        return FileError(source.display_path, f"skipped: {error}")
    except PermissionError:
        return FileError(source.display_path, "cannot read file: permission denied")
    except OSError as error:
        return FileError(source.display_path, f"cannot read file: {error.strerror or error}")


def decode_source(source: SourceFile, data: bytes) -> str | FileError:
    """The decoded text of a file's content, or the reason it cannot be analysed."""
    if b"\0" in data:
        return FileError(source.display_path, "cannot parse file: it contains NUL bytes")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if str(error).startswith("unknown encoding"):
            return FileError(source.display_path, f"cannot decode file: {error}")
        # Invalid UTF-8 in the first two lines: decoding below reports where.
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"cannot decode file as {encoding}: invalid byte 0x{data[error.start]:02x} at line {line}"
        return FileError(source.display_path, message)
    except LookupError:
        return FileError(source.display_path, f"cannot decode file: unknown encoding {encoding}")


def read_source(source: SourceFile, max_file_size: int) -> str | FileError:
    """The decoded text of a file, or the reason it cannot be analysed."""
    data = read_bytes(source, max_file_size)
    return data if isinstance(data, FileError) else decode_source(source, data)


def _syntax_error(source: SourceFile, cause: BaseException, text: str) -> FileError:
    if isinstance(cause, SyntaxError) and cause.lineno:
        error = f"syntax error at line {cause.lineno}: {cause.msg}"
        needed = needed_python(text, cause.lineno)
        if needed is not None:
            python = f"Python {needed[0]}.{needed[1]}"
            error = f"needs {python} to parse ({error}); run the analyzer with that Python"
        return FileError(source.display_path, error)
    return FileError(source.display_path, f"syntax error: {cause}")


def parse_source(builder: astroid.builder.AstroidBuilder, source: SourceFile, text: str) -> nodes.Module | FileError:
    """A syntax-only astroid tree: the rebuilder's output without astroid's post-build steps.

    Those steps (transforms, ``self.x = ...`` inference, star-import locals) infer through imports and so parse
    Django's own source; the analysis never asks astroid to infer, so they would cost most of the run for nothing.

    astroid needs several Python frames per level of nesting where Python's own parser needs one, so a call chain of
    300 ``.filter()`` calls that Python accepts exhausts the default recursion limit. Such a file is built again
    with ``deep_recursion`` when Python's own ``ast.parse`` accepts it, and marked so that the rules run on it with
    the same headroom (``recursion_for``); nesting that Python itself rejects stays an error.
    """
    try:
        module = _build(builder, source, text)
    except RecursionError:
        if not _python_accepts(text):
            return FileError(source.display_path, "cannot parse file: it is nested too deeply")
        try:
            with deep_recursion():
                module = _build(builder, source, text)
        except RecursionError:
            return FileError(source.display_path, "cannot parse file: it is nested too deeply")
        if isinstance(module, nodes.Module):
            _DEEPLY_NESTED.add(module)
    if isinstance(module, FileError):
        return module
    module.file_bytes = text.encode("utf-8", "surrogatepass")
    module.file_encoding = "utf-8"
    return module


def _build(builder: astroid.builder.AstroidBuilder, source: SourceFile, text: str) -> nodes.Module | FileError:
    try:
        module, _ = builder._data_build(text, source.modname, str(source.path))
    except astroid.AstroidSyntaxError as error:
        return _syntax_error(source, error.error, text)
    except astroid.AstroidBuildingError as error:
        return FileError(source.display_path, f"cannot parse file: {error}")
    parsed: nodes.Module = module
    return parsed


def _python_accepts(text: str) -> bool:
    """Whether Python's own parser, at the current recursion limit, takes the text (syntax errors aside)."""
    try:
        ast.parse(text)
    except RecursionError:
        return False
    except (SyntaxError, ValueError, MemoryError):
        return True
    return True


# The trees built with ``deep_recursion``; forked workers inherit the set with the trees.
_DEEPLY_NESTED: weakref.WeakSet[nodes.Module] = weakref.WeakSet()


def any_deeply_nested(modules: Iterable[nodes.Module]) -> bool:
    return any(module in _DEEPLY_NESTED for module in modules)


def recursion_for(modules: Iterable[nodes.Module]) -> AbstractContextManager[None]:
    """``deep_recursion`` when one of the trees needed it, else nothing: walks over them get the same headroom."""
    return deep_recursion() if any_deeply_nested(modules) else nullcontext()


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Raise the recursion limit to ``DEEP_RECURSION_LIMIT`` (never lower it) and restore it afterwards."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, DEEP_RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def check_syntax(source: SourceFile, text: str) -> FileError | None:
    """The error astroid would report for a file the prefilter skips, so skipping never hides a broken file."""
    try:
        # astroid's own parse step, so the message is the one a parsed file would get.
        astroid.builder._parse_string(text, type_comments=True, modname=source.modname)
    except (SyntaxError, ValueError, TypeError, MemoryError) as error:
        return _syntax_error(source, error, text)
    except RecursionError:
        return FileError(source.display_path, "cannot parse file: it is nested too deeply")
    return None


@dataclass(frozen=True)
class SourceText:
    """A discovered file as read once per run: its text (None when it cannot be read) and its content hash."""

    source: SourceFile
    text: str | None
    error: FileError | None
    digest: str  # of the raw bytes; empty when the file cannot be read

    @property
    def fingerprint(self) -> str:
        return f"{self.source.display_path}:{self.source.modname}:{self.digest or self.error}"


def read_sources(sources: Sequence[SourceFile], max_file_size: int) -> list[SourceText]:
    """Every discovered file read once, in discovery order."""
    texts: list[SourceText] = []
    for source in sources:
        data = read_bytes(source, max_file_size)
        if isinstance(data, FileError):
            texts.append(SourceText(source, None, data, ""))
            continue
        text = decode_source(source, data)
        if isinstance(text, FileError):
            texts.append(SourceText(source, None, text, digest(data)))
        else:
            texts.append(SourceText(source, text, None, digest(data)))
    return texts
