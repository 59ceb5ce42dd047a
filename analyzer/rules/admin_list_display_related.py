"""ORM112 admin-list-display-related: a ModelAdmin's list_display reads a relation on each changelist row."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext, ProjectContext
from analyzer.findings import Applicability, Edit, Finding, Fix, RelatedLocation, Severity
from analyzer.fix.targets import list_select_related_edit
from analyzer.flow.evaluator import flow_for
from analyzer.flow.events import EventKind
from analyzer.integrations.admin import AdminRead, project_admin_reads
from analyzer.integrations.reporting import (
    eager_method,
    fix_text,
    group_reads,
    make_finding,
    node_span,
    problem_text,
    read_text,
)
from analyzer.rules._base import Rule

BAD_EXAMPLE = """\
from django.contrib import admin
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "author_name")

    @admin.display(description="author")
    def author_name(self, obj):
        return obj.author.name
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    '    list_display = ("title", "author_name")\n',
    '    list_display = ("title", "author_name")\n    list_select_related = ("author",)\n',
)

DOCS = f"""\
## What it does
Finds `list_display` entries of a registered ModelAdmin that read a relation on each changelist row: ModelAdmin
methods (`@admin.display`), callables, model properties and methods, and foreign keys whose related model's
`__str__` reads a further relation. It applies Django's own rule: without `list_select_related`, a foreign key in
`list_display` makes the changelist call `select_related()`, which follows non-null foreign keys only; a
`list_select_related` tuple selects exactly what it lists; `get_queryset()` overrides are followed.

## Why is this bad?
The changelist shows 100 rows per page by default: each such column runs up to 100 queries.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def _list_select_related(read: AdminRead, path: str, event_kind: EventKind) -> list[str] | None:
    """The paths list_select_related should list, when setting it is the fix."""
    if event_kind in (EventKind.RELATED_ACCESS, EventKind.PROPERTY) and read.event.through_prefetch is False:
        method = eager_method(read.event)
        if method == "select_related" and read.select_related is not True:
            listed = list(read.select_related) if isinstance(read.select_related, tuple) else []
            return list(dict.fromkeys([*listed, path]))
    return None


def _fix(read: AdminRead, path: str, event_kind: EventKind) -> str:
    paths = _list_select_related(read, path, event_kind)
    if paths is not None:
        listed = ", ".join(f'"{item}"' for item in paths)
        return f"set list_select_related = ({listed},) on {read.admin}"
    return f"override {read.admin}.get_queryset() to {fix_text(read.event, path).removeprefix('add ')}"


def _edit(read: AdminRead, path: str, event_kind: EventKind) -> Edit | None:
    paths = _list_select_related(read, path, event_kind)
    # The edit goes into the admin class itself; list_display set in a base class elsewhere is not its line.
    if paths is None or read.classdef is None or read.classdef.root().file != read.origin.node.root().file:
        return None
    # Setting the tuple replaces the select_related() Django made for a foreign key in list_display (every non-null
    # key, recursively) by exactly the listed paths: a person should list what else the page reads.
    applicability = Applicability.UNSAFE if read.automatic_select_related else Applicability.SAFE
    return list_select_related_edit(read.classdef, paths, applicability)


def _findings(project: ProjectContext) -> list[Finding]:
    flow = flow_for(project)
    reads = sorted(
        project_admin_reads(project),
        key=lambda read: (flow.path_of(read.node), read.node.lineno or 0, read.node.col_offset or 0),
    )
    by_event = {id(read.event): read for read in reads}
    groups = group_reads(((read.admin, read.model, read.entry), read.event) for read in reads)
    findings: list[Finding] = []
    seen: set[tuple[object, ...]] = set()
    for group in groups:
        read = by_event[id(group.event)]
        event = group.event
        node = read.node
        path = flow.path_of(node)
        identity = (path, node.lineno, node.col_offset, event.kind, group.fix_path, read.admin, read.model)
        if identity in seen:
            continue
        seen.add(identity)
        fix = _fix(read, group.fix_path, event.inner_kind or event.kind)
        model = read.model.rpartition(".")[2]
        text = read_text(event, group.fix_path)
        if isinstance(node, nodes.Const):  # a field named in list_display: Django reads it from the row
            text = f"{model.lower()}.{group.fix_path.replace('__', '.')}"
        message = (
            f"{read.admin}.{read.entry} in list_display: {text} {problem_text(event)} once per row of "
            f"the {model} changelist; {fix} ({read.fix_path}:{read.fix_line})"
        )
        line, column, end_column = node_span(node)
        findings.append(
            make_finding(
                RULE,
                event,
                path=path,
                line=line,
                column=column,
                end_column=end_column,
                message=message,
                fix=Fix(fix, read.fix_path, read.fix_line, _edit(read, group.fix_path, event.inner_kind or event.kind)),
                related=(RelatedLocation(read.fix_path, read.fix_line, "list_display set here"),),
            )
        )
    return findings


def check(context: FileContext) -> Iterator[Finding]:
    findings = context.project.shared("rules.ORM112", lambda: _findings(context.project))
    for finding in findings:
        if finding.path == context.path:
            yield finding


RULE = Rule(
    code="ORM112",
    name="admin-list-display-related",
    summary="A ModelAdmin's list_display reads a relation on each changelist row.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
