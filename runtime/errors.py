"""Exceptions and warnings raised by the runtime detector; `RuntimeDetectorError` is the root of them all."""

from __future__ import annotations


class RuntimeDetectorError(Exception):
    """Root of every error the runtime detector raises."""


class NPlusOneError(RuntimeDetectorError):
    """An N+1 was detected and the configured action is "raise"."""


class ConfigurationError(RuntimeDetectorError):
    """The ORM_ANALYZER setting or a pytest option holds a value the detector cannot use."""


class NPlusOneWarning(UserWarning):
    """Category of the warnings emitted when the configured action is "warn"."""
