"""Progress on stderr (files done / total) while the rules run, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, TextIO

# No type stubs are installed for tqdm; the bar is used through three calls.
from tqdm import tqdm


class Progress:
    """A counter of checked files; silent unless ``enabled``, so pipes, CI logs and library calls stay clean."""

    def __init__(self, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._bar: Any = None

    def start(self, total: int, description: str) -> None:
        self.close()
        if self.enabled and total:
            self._bar = tqdm(total=total, desc=description, unit="file", file=self.stream, leave=False)

    def advance(self, count: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def for_terminal(stream: TextIO | None = None) -> Progress:
    """Progress that shows when the stream is a terminal."""
    target = stream or sys.stderr
    return Progress(enabled=target.isatty(), stream=target)
