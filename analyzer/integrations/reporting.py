"""Wording shared by the template, serializer and admin rules: what a per-row read does and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from astroid import nodes

from analyzer.findings import Finding, Fix, RelatedLocation
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.rules._base import Rule


def read_text(event: FlowEvent, fix_path: str | None = None) -> str:
    """The read as the user wrote it (template lookups have no call parentheses), extended to the longest path
    read in the same place (``book.author`` and ``book.author.publisher`` give ``book.author.publisher``)."""
    text = event.text.replace("()", "")
    if fix_path and event.relation_path and fix_path.startswith(f"{event.relation_path}__"):
        text += "." + fix_path.removeprefix(f"{event.relation_path}__").replace("__", ".")
    return text


def eager_method(event: FlowEvent) -> str:
    kind = event.inner_kind or event.kind
    if kind in (EventKind.RELATED_MANAGER, EventKind.GENERIC_RELATION) or event.through_prefetch:
        return "prefetch_related"
    return "select_related"


ANNOTATION_READ = " and read that annotation"


def placed_fix(fix: str, path: str, line: int) -> str:
    """The fix put at the queryset built at ``path:line``; what to read after an annotation comes after the place."""
    if fix.endswith(ANNOTATION_READ):
        return f"{fix.removesuffix(ANNOTATION_READ)} to the queryset at {path}:{line}{ANNOTATION_READ}"
    return f"{fix} to the queryset at {path}:{line}"


def fix_text(event: FlowEvent, path: str | None = None) -> str:
    """What to add to the queryset so that the read needs no query per row."""
    kind = event.inner_kind or event.kind
    path = path or event.relation_path
    if kind is EventKind.RELATED_AGGREGATE:
        return f'add .annotate({path.replace("__", "_")}_count=Count("{path}")){ANNOTATION_READ}'
    if kind is EventKind.DEFERRED_FIELD:
        return f'add "{event.field}" to .only(...)'
    if kind is EventKind.PREFETCH_BYPASS:
        return f'use Prefetch("{path}", queryset=..., to_attr=...)'
    if kind is EventKind.RELATED_MANAGER and event.method not in (None, "all", "iterator"):
        # .filter()/.values_list()/... on a related manager query even when the relation is prefetched.
        return f'use Prefetch("{path}", queryset=..., to_attr=...) in place of .{event.method}() and add it'
    return f'add .{eager_method(event)}("{path}")'


def problem_text(event: FlowEvent) -> str:
    """What happens per row, as a verb phrase: 'is loaded', 'runs one query', ..."""
    if event.kind is EventKind.PROPERTY:
        owner, _, rest = event.detail.partition("|")
        what, _, inner = rest.partition("|")
        described = f"the property {owner}" if what == "property" else f"{owner}()"
        return f"runs {described}, which reads {inner}"
    if event.kind is EventKind.RELATED_ACCESS:
        return "is loaded"
    if event.kind is EventKind.DEFERRED_FIELD:
        return "is deferred and loaded"
    if event.kind is EventKind.PREFETCH_BYPASS:
        return f'ignores the prefetched "{event.relation_path}" and runs a query'
    return "runs a query"


@dataclass(frozen=True)
class ReadGroup:
    """Reads of one relation chain in one loop: reported once, with the fix for the longest path read."""

    event: FlowEvent
    fix_path: str
    key: tuple[object, ...]


def group_reads(items: Iterable[tuple[tuple[object, ...], FlowEvent]]) -> list[ReadGroup]:
    """Merge ``book.author`` and ``book.author.publisher`` read in one loop into one group fixed by the longer path.

    ``items`` pairs each event with the key of its site (loop, queryset, view); the events must be sorted by position.
    """
    groups: list[ReadGroup] = []
    for key, event in items:
        merged = False
        for index, group in enumerate(groups):
            if group.key != key or group.event.kind is not event.kind:
                continue
            if event.kind is EventKind.PROPERTY:
                if group.event.detail.partition("|")[0] == event.detail.partition("|")[0]:
                    merged = True
                    break
                continue
            if event.relation_path == group.fix_path or group.fix_path.startswith(f"{event.relation_path}__"):
                merged = True
                break
            if event.relation_path.startswith(f"{group.fix_path}__"):
                groups[index] = ReadGroup(group.event, event.relation_path, key)
                merged = True
                break
        if not merged:
            groups.append(ReadGroup(event, event.relation_path, key))
    return groups


def node_span(node: nodes.NodeNG) -> tuple[int, int, int]:
    """A node's 1-based line, column and end column, with the end clipped to the line where the node starts."""
    line = node.lineno or 1
    column = (node.col_offset or 0) + 1
    end_column = (node.end_col_offset or column - 1) + 1 if node.end_lineno == line else column
    return line, column, end_column


def make_finding(
    rule: Rule,
    event: FlowEvent,
    *,
    path: str,
    line: int,
    column: int,
    end_column: int,
    message: str,
    fix: Fix | None,
    related: tuple[RelatedLocation, ...],
) -> Finding:
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=message,
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=end_column,
        model=event.model,
        field=event.field,
        fix=fix,
        related=tuple(dict.fromkeys((*related, *event.via))),
    )
