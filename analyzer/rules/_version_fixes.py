"""Fixes that depend on the Django version the project targets (``SettingsInfo.django_version``).

From Django 6.1 on, ``QuerySet.fetch_mode(models.FETCH_PEERS)`` loads a forward FK/O2O, a reverse O2O, a generic
foreign key or a deferred field for every row at its first read; where that applies it is offered beside the
eager-loading fix. Related managers are batched by no fetch mode, and rows reached through a prefetched relation
take their mode from the ``Prefetch`` queryset, so neither is offered it.
"""

from __future__ import annotations

from analyzer.context import FileContext
from analyzer.flow.events import EventKind, FlowEvent

FETCH_MODES_SINCE = (6, 1)
FETCH_PEERS_FIX = ".fetch_mode(models.FETCH_PEERS)"
# The per-row loads FETCH_PEERS batches; a GENERIC_RELATION event with a method is a GenericRelation manager.
_BATCHED = frozenset({EventKind.RELATED_ACCESS, EventKind.DEFERRED_FIELD, EventKind.GENERIC_RELATION})


def has_fetch_modes(context: FileContext) -> bool:
    version = context.project.settings.django_version
    return version is not None and version >= FETCH_MODES_SINCE


def batched_by_fetch_peers(event: FlowEvent, kind: EventKind | None = None) -> bool:
    kind = kind or event.kind
    return kind in _BATCHED and not event.through_prefetch and not (kind is EventKind.GENERIC_RELATION and event.method)


def with_fetch_peers(fix: str, context: FileContext, *events: FlowEvent) -> str:
    """``fix``, or ``fix`` with FETCH_PEERS as the alternative when the project's Django has it and it applies."""
    if not events or not has_fetch_modes(context):
        return fix
    if not all(batched_by_fetch_peers(event, event.inner_kind or event.kind) for event in events):
        return fix
    return f"{fix} or {FETCH_PEERS_FIX}"
