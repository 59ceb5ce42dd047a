"""Shared plumbing for the flow-based rules: the file's events (computed once), grouping and message parts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from analyzer.context import FileContext
from analyzer.findings import Edit, Finding, Fix, RelatedLocation
from analyzer.flow.evaluator import flow_for
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.values import Origin
from analyzer.rules._base import Rule


def file_events(context: FileContext) -> list[FlowEvent]:
    """Every flow event of this file, computed once for all rules."""
    return context.shared("flow.events", lambda: flow_for(context.project).file_events(context.module))


def events_of(context: FileContext, kind: EventKind) -> list[FlowEvent]:
    return [event for event in file_events(context) if event.kind is kind]


def first_per_site(events: Iterable[FlowEvent], key: str = "path") -> list[FlowEvent]:
    """One event per loop site: repeated reads of the same thing in the same loop are reported once."""
    chosen: dict[tuple[object, ...], FlowEvent] = {}
    for event in sorted(events, key=lambda item: (item.path, item.line, item.node.col_offset or 0)):
        detail = event.relation_path if key == "path" else (event.detail if key == "detail" else event.text)
        identity = (event.path, id(event.loop) if event.loop is not None else event.line, event.origin, detail)
        chosen.setdefault(identity, event)
    return list(chosen.values())


@dataclass(frozen=True)
class AccessGroup:
    """Reads of one relation chain in one loop: reported once, with the fix for the longest path read."""

    event: FlowEvent
    fix_path: str


def related_access_groups(context: FileContext) -> list[AccessGroup]:
    def compute() -> list[AccessGroup]:
        groups: list[AccessGroup] = []
        events = sorted(
            events_of(context, EventKind.RELATED_ACCESS),
            key=lambda item: (item.path, item.line, item.node.col_offset or 0, len(item.relation_path)),
        )
        for event in events:
            merged = False
            for index, group in enumerate(groups):
                same_site = group.event.loop is event.loop and group.event.origin == event.origin
                if not same_site or group.event.path != event.path:
                    continue
                if event.relation_path == group.fix_path or group.fix_path.startswith(f"{event.relation_path}__"):
                    merged = True
                    break
                if event.relation_path.startswith(f"{group.fix_path}__") and not event.prefix_selected:
                    groups[index] = replace(group, fix_path=event.relation_path)
                    merged = True
                    break
            if not merged:
                groups.append(AccessGroup(event, event.relation_path))
        return groups

    return context.shared("flow.related_access_groups", compute)


def where(event: FlowEvent, origin: Origin) -> str:
    """Where the queryset was built, as seen from the finding's own file."""
    return f"line {origin.line}" if origin.path == event.path else f"{origin.path}:{origin.line}"


def built_here(origin: Origin | None) -> tuple[RelatedLocation, ...]:
    return (RelatedLocation(origin.path, origin.line, "queryset built here"),) if origin is not None else ()


def origin_fix(message: str, origin: Origin | None, event: FlowEvent, edit: Edit | None = None) -> Fix:
    """The fix at the line the queryset is built; ``edit`` (for ``--fix``) only applies there."""
    if origin is not None:
        return Fix(message=message, path=origin.path, line=origin.line, edit=edit)
    return Fix(message=message, path=event.path, line=event.loop_line or event.line)


def eager_fix(event: FlowEvent, path: str) -> str:
    method = "prefetch_related" if event.through_prefetch else "select_related"
    return f'add .{method}("{path}")'


def model_name(label: str | None) -> str:
    return label.rpartition(".")[2] if label else "Model"


def finding_for(
    context: FileContext,
    rule: Rule,
    event: FlowEvent,
    message: str,
    fix: Fix | None,
    related: tuple[RelatedLocation, ...] = (),
) -> Finding:
    return context.finding(
        rule,
        event.node,
        message,
        model=event.model,
        field=event.field,
        fix=fix,
        related=(*event.via, *related),
        path=event.path if event.path != context.path else None,
    )
