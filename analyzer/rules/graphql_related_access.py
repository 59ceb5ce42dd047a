"""ORM114 graphql-related-access: a graphene-django type's field reads a relation on each row of a list field."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext, ProjectContext
from analyzer.findings import Edit, Finding, Fix, RelatedLocation, Severity
from analyzer.flow.evaluator import flow_for
from analyzer.integrations.graphql import GraphQLRead, project_graphql_reads
from analyzer.integrations.reporting import (
    fix_text,
    group_reads,
    make_finding,
    node_span,
    placed_fix,
    problem_text,
    read_text,
)
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit

BAD_EXAMPLE = """\
import graphene
from django.db import models
from graphene_django import DjangoObjectType


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class BookType(DjangoObjectType):
    class Meta:
        model = Book
        fields = ("id", "title")

    byline = graphene.String()

    def resolve_byline(self, info):
        return f"{self.title} by {self.author.name}"


class Query(graphene.ObjectType):
    books = graphene.List(BookType)

    def resolve_books(root, info):
        return Book.objects.all()
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.select_related("author")')

DOCS = f"""\
## What it does
Follows the rows a graphene-django list field resolves (`graphene.List(BookType)` with its `resolve_books()`,
`DjangoListField(BookType)`, `DjangoConnectionField(BookType)`) into the `DjangoObjectType` of their model, and finds
the relations its fields read once per row: its `resolve_<name>(self, info)` methods (run with `self` bound to the
row), the forward relations its `Meta.fields` exposes (all fields when `Meta.fields` is `"__all__"` or absent) to
models that have a type of their own, and the reverse and many-to-many relations `Meta.fields` names.

## Why is this bad?
GraphQL resolves each field of each row on its own: a query for 100 books with their author runs 101 queries
unless the list resolver's queryset loads the authors with them.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
The analysis does not know which fields a client asks for: a relation a type exposes is reported for every list of
its rows, as any query that asks for it loads it once per row. Strawberry types are not followed yet.
"""


def _findings(project: ProjectContext) -> list[Finding]:
    flow = flow_for(project)
    reads = project_graphql_reads(project)

    def position(read: GraphQLRead) -> tuple[str, int, int, int]:
        node = read.node
        return (flow.path_of(node), node.lineno or 0, node.col_offset or 0, len(read.event.relation_path))

    ordered = sorted(reads, key=position)
    by_event = {id(read.event): read for read in ordered}
    groups = group_reads(
        ((read.listed_by, read.origin_path, read.origin_line, read.type_name, read.field_name), read.event)
        for read in ordered
    )
    findings: list[Finding] = []
    seen: set[tuple[object, ...]] = set()
    for group in groups:
        read = by_event[id(group.event)]
        event = group.event
        node = read.node
        path = flow.path_of(node)
        identity = (path, node.lineno, node.col_offset, event.kind, group.fix_path, read.listed_by, read.field_name)
        if identity in seen:
            continue
        seen.add(identity)
        fix = fix_text(event, group.fix_path)
        row_name = (event.model or "row").rpartition(".")[2].lower()
        text = (
            read_text(event, group.fix_path) if read.in_resolver else f"{row_name}.{group.fix_path.replace('__', '.')}"
        )
        message = (
            f"{read.type_name}.{read.field_name}: {text} {problem_text(event)} once per row of {read.origin_text} "
            f"listed by {read.listed_by}; {placed_fix(fix, read.origin_path, read.origin_line)}"
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
                fix=Fix(fix, read.origin_path, read.origin_line, _edit(read, group.fix_path)),
                related=(RelatedLocation(read.origin_path, read.origin_line, "queryset built here"),),
            )
        )
    return findings


def _edit(read: GraphQLRead, path: str) -> Edit | None:
    origin = read.event.origin
    # The edit goes on the queryset that lists the rows, which is the rows' origin when both name the same line.
    if origin is None or (origin.path, origin.line) != (read.origin_path, read.origin_line):
        return None
    return event_edit(read.event, path)


def check(context: FileContext) -> Iterator[Finding]:
    findings = context.project.shared("rules.ORM114", lambda: _findings(context.project))
    for finding in findings:
        if finding.path == context.path:
            yield finding


RULE = Rule(
    code="ORM114",
    name="graphql-related-access",
    summary="A graphene-django type's field reads a relation on each row of a list field's queryset.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
