"""The edits behind the N+1 rules' fixes: what ``--fix`` changes for a flow event, in the words of ``fix_text``.

Only the fixes that name one queryset expression and exactly what to add to it get an edit (a join, a prefetch, a
field for ``.only()``); Prefetch objects, annotations and the like stay advice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from analyzer.findings import Edit
from analyzer.fix.targets import (
    EAGER_METHODS,
    eager_loading_edit,
    only_edit,
    view_model_assignment,
    view_queryset_edit,
)
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.integrations.reporting import eager_method
from analyzer.modelgraph import ModelGraph

# Per-row work that no added join or prefetch removes.
_NOT_EAGER = (EventKind.RELATED_AGGREGATE, EventKind.PREFETCH_BYPASS, EventKind.QUERY_IN_LOOP)


def event_edit(event: FlowEvent, path: str | None = None, graph: ModelGraph | None = None) -> Edit | None:
    """The edit for the fix ``fix_text(event, path)`` describes, or None when that fix is not a plain addition.

    With the model graph, a generic view that only names its ``model`` gets a ``queryset`` attribute.
    """
    origin = event.origin
    if origin is None:
        return None
    kind = event.inner_kind or event.kind
    if kind in _NOT_EAGER:
        return None
    if kind is EventKind.DEFERRED_FIELD:
        return only_edit(origin.node, event.field) if event.method != "defer" else None
    if kind is EventKind.RELATED_MANAGER and event.method not in (None, "all", "iterator"):
        return None
    lookup = path or event.relation_path
    if graph is not None and view_model_assignment(origin.node):
        return _view_edit(event, lookup, graph)
    return eager_loading_edit(origin.node, eager_method(event), (lookup,))


def _view_edit(event: FlowEvent, lookup: str, graph: ModelGraph) -> Edit | None:
    # The rows' model is the model of the field read only when the lookup is one step long.
    info = graph.get(event.model or "") if "__" not in lookup else None
    if info is None or event.origin is None:
        return None
    # Django lists ``model._default_manager``; spelled ``objects`` when that is the model's only manager.
    manager = "objects" if info.managers == ("objects",) else "_default_manager"
    return view_queryset_edit(event.origin.node, manager, eager_method(event), (lookup,))


def merged_edit(edits: Sequence[Edit | None]) -> Edit | None:
    """One edit adding every lookup of ``edits``, when they all add to the same method of the same expression."""
    first = edits[0] if edits else None
    if first is None or first.kind not in EAGER_METHODS:
        return None
    arguments: list[str] = []
    for edit in edits:
        if edit is None or replace(edit, arguments=()) != replace(first, arguments=()):
            return None
        arguments.extend(edit.arguments)
    return replace(first, arguments=tuple(dict.fromkeys(arguments)))
