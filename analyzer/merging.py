"""One finding per problem: findings that share a loop and a cause are merged into the first of them.

Two findings are one problem when

- they are queries or writes (ORM2xx, ORM3xx) with the same code, the same expression and the same fix location:
  one call in a loop that runs several queries in the function it calls (each query was a finding of its own at
  the call);
- they are queries and writes per loop item (ORM2xx, ORM3xx) at the same expression in the same loop: one call per
  item that both reads and writes (``subscription.send_notification(...)``) is one place to fix;
- for the per-row loads (ORM1xx), they have the same code and the same fix: one missing ``select_related`` /
  ``prefetch_related`` read at several lines of the loop, or at several lines of the templates one view renders.

The merged finding keeps the first one's message and fix and lists the others as ``related`` locations, so that a
reader still sees every line involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from analyzer.findings import Finding, RelatedLocation

ALSO_HERE = "the same problem here: {code} {message}"

_MergeKey = tuple[object, ...]


def _keys(finding: Finding) -> list[_MergeKey]:
    fix_place = (finding.fix.path, finding.fix.line) if finding.fix is not None else None
    place = (finding.path, finding.line, finding.column, finding.end_line, finding.end_column)
    # Per-row loads at one place are one problem only when they share their fix (the "fix" key below): two
    # relations read through one node (a serializer's or a GraphQL type's field list) need two fixes.
    keys: list[_MergeKey] = [] if finding.code.startswith("ORM1") else [("call", finding.code, place, fix_place)]
    if finding.code.startswith(("ORM2", "ORM3")) and fix_place is not None:
        keys.append(("loop work", place, fix_place))
    if finding.code.startswith("ORM1") and finding.fix is not None:
        keys.append(("fix", finding.code, finding.model, finding.fix.path, finding.fix.line, finding.fix.message))
    return keys


def _order(finding: Finding) -> tuple[object, ...]:
    # Merged findings differ only in their related locations; ordering by them keeps the merged result stable.
    return (*finding.sort_key(), tuple((item.path, item.line, item.message) for item in finding.related))


def merge_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The findings in their order with each group of one problem merged into its first member."""
    group_of: dict[_MergeKey, int] = {}
    groups: list[list[Finding]] = []
    for finding in sorted(findings, key=_order):
        keys = _keys(finding)
        found = next((group_of[key] for key in keys if key in group_of), None)
        if found is None:
            found = len(groups)
            groups.append([])
        groups[found].append(finding)
        for key in keys:
            group_of.setdefault(key, found)
    return [_merged(group) for group in groups]


def _merged(group: list[Finding]) -> Finding:
    first = group[0]
    if len(group) == 1:
        return first
    related = list(first.related)
    for other in group[1:]:
        if (other.path, other.line) != (first.path, first.line) or other.code != first.code:
            also = ALSO_HERE.format(code=other.code, message=other.message)
            related.append(RelatedLocation(other.path, other.line, also))
        related += other.related
    return replace(first, related=tuple(dict.fromkeys(related)), confirmed=any(item.confirmed for item in group))
