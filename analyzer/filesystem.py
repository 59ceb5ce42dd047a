"""Reading files the analysis did not write: only regular files, never more than a size limit, never blocking.

A stray named pipe called ``x.py`` blocks a plain read forever and a symlink to ``/dev/zero`` reads until memory
runs out, so the size in ``stat`` is not enough. A file is checked with ``stat`` before it is opened (opening some
devices has effects of its own), opened without blocking and without becoming a controlling terminal, checked
again with ``fstat`` on the open descriptor (a file swapped for a pipe in between is still caught), and read at
most ``limit + 1`` bytes whatever its size claims.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 20


class NotRegularFileError(OSError):
    """The path names a folder, a named pipe, a device or a socket, not a regular file."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"not a regular file ({kind})")
        self.path = path
        self.kind = kind


class FileTooLargeError(OSError):
    """The file holds more than the limit; ``size`` is what ``stat`` said or what was read before stopping."""

    def __init__(self, path: Path, size: int, limit: int, *, while_reading: bool = False) -> None:
        super().__init__(f"file is over the {limit} byte limit")
        self.path = path
        self.size = size
        self.limit = limit
        self.while_reading = while_reading  # the size in stat was within the limit; the content was not


def file_kind(mode: int) -> str:
    """What a ``stat`` mode names, in words for a message."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def is_regular_file(path: Path) -> bool:
    """Whether the path (symlinks followed) is a regular file; False when it cannot be read or does not exist."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises ``NotRegularFileError``, ``FileTooLargeError`` or the ``OSError`` of the failed call.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, file_kind(mode))
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(path, file_kind(info.st_mode))
        if info.st_size > limit:
            raise FileTooLargeError(path, info.st_size, limit)
        chunks: list[bytes] = []
        total = 0
        while True:
            # One byte past the limit tells a file that grew since fstat from one that is exactly at it.
            chunk = os.read(descriptor, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileTooLargeError(path, total, limit, while_reading=True)
        return b"".join(chunks)
    finally:
        os.close(descriptor)
