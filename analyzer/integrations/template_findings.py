"""Findings for the per-row reads of rendered templates, shared by the template rules: Django templates (ORM110)
and Jinja2 templates (ORM113) report the same reads in the same words, each for its own engine."""

from __future__ import annotations

from analyzer.context import ProjectContext
from analyzer.findings import Finding, Fix, RelatedLocation
from analyzer.flow.events import EventKind
from analyzer.integrations.reporting import fix_text, group_reads, make_finding, placed_fix, problem_text, read_text
from analyzer.integrations.views import RenderedRead, rendered_reads
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit


def template_findings(project: ProjectContext, rule: Rule, engine: str) -> list[tuple[str, Finding]]:
    """Every finding of ``rule`` on templates of ``engine`` ("django", "jinja2") with the view file that reports
    it; a template read shared by two views that render the same queryset is reported once, by the first view."""
    reads = sorted(
        (item for item in rendered_reads(project) if item.read.location.engine == engine),
        key=lambda item: (
            item.read.location.path,
            item.read.location.line,
            item.read.location.column,
            len(item.read.event.relation_path),
        ),
    )

    def site(item: RenderedRead) -> tuple[object, ...]:
        loop = item.read.loop
        origin = item.read.event.origin
        loop_key = (loop.path, loop.line, loop.column) if loop is not None else None
        return (loop_key, origin, item.render.view, item.read.location.path)

    by_event = {id(item.read.event): item for item in reads}
    groups = group_reads((site(item), item.read.event) for item in reads)
    found: list[tuple[str, Finding]] = []
    seen: set[tuple[object, ...]] = set()
    # A property that reads relations and also builds a query is reported once, as the property.
    explained = {
        (read.location.path, read.location.line, read.location.column)
        for read in (by_event[id(group.event)].read for group in groups)
        if read.event.kind is not EventKind.QUERY_IN_LOOP
    }
    for group in groups:
        item = by_event[id(group.event)]
        event = group.event
        origin = event.origin
        if origin is None:
            continue
        location = item.read.location
        if event.kind is EventKind.QUERY_IN_LOOP and (location.path, location.line, location.column) in explained:
            continue
        identity = (location.path, location.line, location.column, event.kind, group.fix_path, origin)
        if identity in seen:
            continue
        seen.add(identity)
        render = item.render
        loop_text = item.read.loop.text if item.read.loop is not None else "the rows"
        related = (
            RelatedLocation(origin.path, origin.line, "queryset built here"),
            RelatedLocation(render.path, render.line, f"{location.template} rendered here"),
        )
        if event.kind is EventKind.QUERY_IN_LOOP:
            # A query the row's own code builds (a property returning a queryset): no eager load on the view's
            # queryset covers it, so the fix is to load it for all rows at once in the view.
            fix = (
                f"load {location.text} for all rows at once in {render.view} (Prefetch(..., to_attr=...) or annotate())"
            )
            message = (
                f"{location.text} runs a query ({origin.text}, {origin.path}:{origin.line}) once per row of "
                f"{loop_text} in {location.template}, rendered by {render.view}; {fix}"
            )
            fix_location = Fix(fix, render.path, render.line)
        else:
            fix = fix_text(event, group.fix_path)
            message = (
                f"{read_text(event, group.fix_path)} {problem_text(event)} once per row of {loop_text} "
                f"in {location.template}, "
                f"rendered by {render.view}; {placed_fix(fix, origin.path, origin.line)}"
            )
            fix_location = Fix(fix, origin.path, origin.line, event_edit(event, group.fix_path, project.graph))
        finding = make_finding(
            rule,
            event,
            path=location.path,
            line=location.line,
            column=location.column,
            end_column=location.column + len(location.text),
            message=message,
            fix=fix_location,
            related=related,
        )
        found.append((render.path, finding))
    return found
