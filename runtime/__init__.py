"""Runtime N+1 detection for Django: middleware, pytest plugin and report.

The public surface: `detect()` opens a detection scope and yields its findings, `allow_nplusone(*patterns)`
allows known N+1s inside a block, `setup()` / `teardown(token)` do the same as `detect()` for code that cannot use
a `with` block. Importing this package does not import Django.
"""

from __future__ import annotations

from runtime._lifecycle import Detection, detect, setup, teardown
from runtime._scope import allow_nplusone
from runtime.errors import NPlusOneError, NPlusOneWarning, RuntimeDetectorError
from runtime.findings import RuntimeFinding

__all__ = [
    "Detection",
    "NPlusOneError",
    "NPlusOneWarning",
    "RuntimeDetectorError",
    "RuntimeFinding",
    "allow_nplusone",
    "detect",
    "setup",
    "teardown",
]
