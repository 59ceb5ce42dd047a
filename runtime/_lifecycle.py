"""Opening and closing detection scopes: `setup()` / `teardown(token)`, `detect()`, and pausing a scope.

`setup()` returns the token that `teardown()` takes back; the patches of Django's descriptors are installed while
at least one scope is open and restored when the last one closes. This module imports nothing from Django at
import time: the instrumentation is imported when the first scope opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Token
from dataclasses import dataclass, field, replace

from runtime._scope import Scope, _current
from runtime.config import DetectorConfig
from runtime.findings import RuntimeFinding


def setup(config: DetectorConfig | None = None, origin: str = "") -> Token[Scope | None]:
    """Open a detection scope in the current context and return the token for `teardown()`."""
    from runtime import _patches

    parent = _current.get()
    scope = Scope(config=config or DetectorConfig(), origin=origin, parent=parent)
    _patches.activate(scope.config.unused_eager)
    try:
        _patches.wrap_current_connections()
    except Exception:
        _patches.deactivate(scope.config.unused_eager)
        raise
    return _current.set(scope)


def teardown(token: Token[Scope | None]) -> list[RuntimeFinding]:
    """Close the scope opened by `setup()`; return its findings (also handed to the enclosing scope, if any)."""
    from runtime import _patches

    scope = _current.get()
    _current.reset(token)
    if scope is None:
        return []
    _patches.deactivate(scope.config.unused_eager)
    found = scope.findings()
    if scope.parent is not None:
        scope.parent.children.extend(found)
    return found


@contextmanager
def paused() -> Iterator[None]:
    """Leave the block out of the current scope (unittest's setUp and tearDown are not the test)."""
    scope = _current.get()
    if scope is None:
        yield
        return
    scope.paused += 1
    try:
        yield
    finally:
        scope.paused -= 1


@dataclass
class Detection:
    """What `detect()` yields; `findings` is filled in when the block exits."""

    findings: list[RuntimeFinding] = field(default_factory=list)


@contextmanager
def detect(
    *,
    threshold: int | None = None,
    allow: tuple[str, ...] | list[str] = (),
    unused_eager: bool = False,
    root: str | None = None,
    origin: str = "",
    test_code: bool = True,
) -> Iterator[Detection]:
    """Detect N+1s in the block: `with runtime.detect() as detection: ...`, then read `detection.findings`."""
    config = DetectorConfig(allow=tuple(allow), unused_eager=unused_eager, test_code=test_code)
    if threshold is not None:
        config = replace(config, threshold=threshold)
    if root is not None:
        config = replace(config, root=root)
    detection = Detection()
    token = setup(config, origin)
    try:
        yield detection
    finally:
        detection.findings = teardown(token)
