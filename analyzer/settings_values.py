"""The values the settings reader computes with: ``UNKNOWN`` for what it cannot work out, references to what the
settings import, and the standard-library functions (``os.path``, ``pathlib``, ``os.environ.get``) it evaluates as
Python would."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any


class Unknown:
    """A value the reader cannot work out statically."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = Unknown()


@dataclass(frozen=True)
class Reference:
    """A module, function or class the settings imported, named by its qualified name (``os.path.join``)."""

    qualname: str


# Functions of the standard library the settings commonly use to build paths and read the environment.
def _path_call(*args: Any) -> Any:
    if all(isinstance(arg, str | PurePath) for arg in args):
        return Path(*args)
    return UNKNOWN


def _os_path(function: Callable[..., str]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        if args and all(isinstance(arg, str | PurePath) for arg in args):
            return function(*(str(arg) for arg in args))
        return UNKNOWN

    return call


def _environ_get(name: Any = UNKNOWN, default: Any = None, *_: Any) -> Any:
    # The value at runtime is unknown; the default is what a fresh checkout runs with.
    return default


def _str_call(value: Any = "") -> Any:
    return str(value) if isinstance(value, str | int | float | bool | PurePath) else UNKNOWN


def _sequence_call(kind: type[list[Any]] | type[tuple[Any, ...]]) -> Callable[..., Any]:
    def call(value: Any = ()) -> Any:
        return kind(value) if isinstance(value, list | tuple | str) else UNKNOWN

    return call


KNOWN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "pathlib.Path": _path_call,
    "pathlib.PurePath": _path_call,
    "pathlib.PosixPath": _path_call,
    "os.path.join": _os_path(os.path.join),
    "os.path.dirname": _os_path(os.path.dirname),
    "os.path.abspath": _os_path(os.path.abspath),
    "os.path.realpath": _os_path(os.path.abspath),
    "os.path.normpath": _os_path(os.path.normpath),
    "os.path.basename": _os_path(os.path.basename),
    "os.path.expanduser": _os_path(os.path.expanduser),
    "os.environ.get": _environ_get,
    "os.getenv": _environ_get,
    "builtins.str": _str_call,
    "builtins.list": _sequence_call(list),
    "builtins.tuple": _sequence_call(tuple),
}
PATH_METHODS = {"resolve", "absolute", "expanduser"}
BUILTINS = {"str", "list", "tuple"}
