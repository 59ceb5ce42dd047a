"""Shared plumbing for the flow-based rules: the file's events (computed once), grouping and message parts."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

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


def _proper_prefixes(relation_path: str) -> list[str]:
    """``a``, ``a__b`` for ``a__b__c``: the relation paths that ``relation_path`` extends."""
    steps = relation_path.split("__")
    return ["__".join(steps[:depth]) for depth in range(1, len(steps))]


@dataclass
class _SiteGroups:
    """The groups of one loop site, indexed by their fix paths so that placing an event costs its path's depth.

    A fix path only ever grows (it is replaced by a longer path that extends it), so a path that is a proper prefix
    of a group's fix path stays one: ``by_prefix`` only gains entries, and keeps the first group for each.
    """

    by_fix: dict[str, list[int]] = field(default_factory=dict)  # fix path -> groups with it, in order
    by_prefix: dict[str, int] = field(default_factory=dict)  # proper prefix of a fix path -> its first group

    def add(self, index: int, fix_path: str) -> None:
        bisect.insort(self.by_fix.setdefault(fix_path, []), index)
        for prefix in _proper_prefixes(fix_path):
            if self.by_prefix.get(prefix, index) >= index:
                self.by_prefix[prefix] = index

    def move(self, index: int, old_fix_path: str, new_fix_path: str) -> None:
        self.by_fix[old_fix_path].remove(index)
        self.add(index, new_fix_path)


def group_accesses(events: Iterable[FlowEvent]) -> list[AccessGroup]:
    """Group related-access events, in order: an event joins the first group of its site (same loop, origin and
    file) whose fix path it equals or is a prefix of, or whose fix path it extends (then the group's fix becomes the
    longer path, unless the event's prefix is already selected); else it starts a group.

    The cost is linear in the events (times the depth of a relation path): each site keeps its own index, so
    a file with thousands of loops never compares an event with the groups of other loops.
    """
    groups: list[AccessGroup] = []
    sites: dict[tuple[int | None, Origin | None, str], _SiteGroups] = {}
    ordered = sorted(
        events, key=lambda item: (item.path, item.line, item.node.col_offset or 0, len(item.relation_path))
    )
    for event in ordered:
        site_key = (id(event.loop) if event.loop is not None else None, event.origin, event.path)
        site = sites.setdefault(site_key, _SiteGroups())
        relation_path = event.relation_path
        # Groups this event joins as it is: the same fix path, or a longer one that extends this path.
        keeping = [*site.by_fix.get(relation_path, ())[:1]]
        if relation_path in site.by_prefix:
            keeping.append(site.by_prefix[relation_path])
        # Groups whose fix path this event extends.
        extending = (
            []
            if event.prefix_selected
            else [site.by_fix[prefix][0] for prefix in _proper_prefixes(relation_path) if site.by_fix.get(prefix)]
        )
        first = min([*keeping, *extending], default=None)
        if first is None:
            site.add(len(groups), relation_path)
            groups.append(AccessGroup(event, relation_path))
        elif first not in keeping:
            group = groups[first]
            site.move(first, group.fix_path, relation_path)
            groups[first] = replace(group, fix_path=relation_path)
    return groups


def related_access_groups(context: FileContext) -> list[AccessGroup]:
    return context.shared(
        "flow.related_access_groups", lambda: group_accesses(events_of(context, EventKind.RELATED_ACCESS))
    )


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
