"""Django 6.1's fetch modes, as the lazy-load hooks see them.

`QuerySet.fetch_mode(models.FETCH_PEERS)` makes the first lazy load of a forward FK/O2O, a reverse O2O, a generic
FK or a deferred field on one instance load it for every instance fetched together with it (its peers) in one
query, and `models.FETCH_RAISE` makes such a load raise `FieldFetchBlocked` before any query runs. Neither is a load
per row, so the hooks ask here before they record one. Related managers (`book.tags.all()`) are not batched by any
mode and are not asked about. On Django before 6.1 instances have no fetch mode and every answer is "one at a time".

The mode is read from the instance state's own `__dict__`: Django's `ModelState.fetch_mode` descriptor writes a
default on first read, and the detector changes nothing on the instances it looks at.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any


@functools.cache
def _raise_mode_class() -> type | None:
    try:
        fetch_modes = importlib.import_module("django.db.models.fetch_modes")
    except ImportError:  # Django before 6.1: no fetch modes.
        return None
    mode_class: type = fetch_modes.FetchRaise
    return mode_class


def _fetch_mode(instance: Any) -> Any:
    state = getattr(instance, "_state", None)
    return getattr(state, "__dict__", {}).get("fetch_mode")


def _live_peers(instance: Any) -> int:
    peers = instance._state.__dict__.get("peers", ())
    return sum(1 for peer in peers if peer() is not None)


def loads_one_at_a_time(instance: Any) -> bool:
    """False when a lazy load on `instance` is batched over its peers (FETCH_PEERS) or blocked (FETCH_RAISE)."""
    mode = _fetch_mode(instance)
    if mode is None:
        return True
    raise_mode = _raise_mode_class()
    if raise_mode is not None and isinstance(mode, raise_mode):
        return False
    # FETCH_PEERS fetches one instance alone when it is its only live peer (a get(), or the rest were dropped).
    return not (getattr(mode, "track_peers", False) and _live_peers(instance) > 1)
