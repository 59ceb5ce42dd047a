"""Reading and parsing one file: its bytes (within the size limit), its decoded text, its syntax-only astroid tree,
or the ``FileError`` that says why it cannot be analysed. ``read_sources`` is the pipeline's read stage.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

import astroid
from astroid import nodes

from analyzer.cache.store import digest
from analyzer.context import SourceFile
from analyzer.findings import FileError


def read_bytes(source: SourceFile, max_file_size: int) -> bytes | FileError:
    """The raw content of a file, or the reason it cannot be read."""
    try:
        size = source.path.stat().st_size
        if size > max_file_size:
            return FileError(
                source.display_path,
                f"skipped: file is {size / 1_048_576:.1f} MB, over the {max_file_size / 1_048_576:.1f} MB limit",
            )
        return source.path.read_bytes()
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


def _syntax_error(source: SourceFile, cause: BaseException) -> FileError:
    if isinstance(cause, SyntaxError) and cause.lineno:
        return FileError(source.display_path, f"syntax error at line {cause.lineno}: {cause.msg}")
    return FileError(source.display_path, f"syntax error: {cause}")


def parse_source(builder: astroid.builder.AstroidBuilder, source: SourceFile, text: str) -> nodes.Module | FileError:
    """A syntax-only astroid tree: the rebuilder's output without astroid's post-build steps.

    Those steps (transforms, ``self.x = ...`` inference, star-import locals) infer through imports and so parse
    Django's own source; the analysis never asks astroid to infer, so they would cost most of the run for nothing.
    """
    try:
        module, _ = builder._data_build(text, source.modname, str(source.path))
    except astroid.AstroidSyntaxError as error:
        return _syntax_error(source, error.error)
    except astroid.AstroidBuildingError as error:
        return FileError(source.display_path, f"cannot parse file: {error}")
    except RecursionError:
        return FileError(source.display_path, "cannot parse file: it is nested too deeply")
    module.file_bytes = text.encode("utf-8", "surrogatepass")
    module.file_encoding = "utf-8"
    parsed: nodes.Module = module
    return parsed


def check_syntax(source: SourceFile, text: str) -> FileError | None:
    """The error astroid would report for a file the prefilter skips, so skipping never hides a broken file."""
    try:
        # astroid's own parse step, so the message is the one a parsed file would get.
        astroid.builder._parse_string(text, type_comments=True, modname=source.modname)
    except (SyntaxError, ValueError, TypeError, MemoryError) as error:
        return _syntax_error(source, error)
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
