"""ORM111 serializer-related-access: a DRF serializer field reads a relation on each row of a list view's queryset."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext, ProjectContext
from analyzer.findings import Edit, Finding, Fix, RelatedLocation, Severity
from analyzer.flow.evaluator import flow_for
from analyzer.flow.events import EventKind
from analyzer.integrations.drf import SerializerRead, project_serializer_reads
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
from django.db import models
from rest_framework import serializers, viewsets


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name")

    class Meta:
        model = Book
        fields = ["id", "title", "author_name"]


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.select_related("author")')

DOCS = f"""\
## What it does
Follows a list view's queryset (`ModelViewSet`, `ReadOnlyModelViewSet`, `ListAPIView`, ... with `queryset` or
`get_queryset()`) into its serializer (`serializer_class` or `get_serializer_class()`) and finds fields that read a
relation on each row: `source="author.name"`, nested serializers (with or without `many=True`),
`SerializerMethodField` methods, `StringRelatedField`, `Meta.depth`, and primary-key or hyperlinked fields on
to-many relations (including the default fields of `Meta.fields = "__all__"`).

## Why is this bad?
A list endpoint serializes every row: each such field runs one query per row, so a page of 100 objects runs a
hundred queries or more.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Custom fields and `to_representation()` overrides are not followed. A primary-key field on a foreign key is free
(`author_id`) and is not reported.
"""


def _findings(project: ProjectContext) -> list[Finding]:
    flow = flow_for(project)
    reads = project_serializer_reads(project)

    def position(read: SerializerRead) -> tuple[str, int, int, int]:
        node = read.node
        return (flow.path_of(node), node.lineno or 0, node.col_offset or 0, len(read.event.relation_path))

    ordered = sorted(reads, key=position)
    by_event = {id(read.event): read for read in ordered}
    groups = group_reads(
        ((read.view, read.origin_path, read.origin_line, read.serializer, read.field_name), read.event)
        for read in ordered
    )
    findings: list[Finding] = []
    seen: set[tuple[object, ...]] = set()
    for group in groups:
        read = by_event[id(group.event)]
        event = group.event
        node = read.node
        path = flow.path_of(node)
        identity = (path, node.lineno, node.col_offset, event.kind, group.fix_path, read.origin_path, read.origin_line)
        if identity in seen:
            continue
        seen.add(identity)
        fix = fix_text(event, group.fix_path)
        message = (
            f"{read.serializer}.{read.field_name}: {_read_text(read, group.fix_path)} {problem_text(event)} "
            "once per row "
            f"of {read.origin_text} listed by {read.view}; {placed_fix(fix, read.origin_path, read.origin_line)}"
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


def _read_text(read: SerializerRead, path: str) -> str:
    """The code's own text for a method's reads; ``book.author`` for what a field reads by itself."""
    event = read.event
    if read.in_method:
        return read_text(event)
    row = _row_name(event.origin.text if event.origin else "") or _row_name(read.origin_text) or "obj"
    if event.kind is EventKind.PROPERTY:
        return f"{row}.{read.field_name}"
    return f"{row}.{path.replace('__', '.')}"


def _row_name(queryset_text: str) -> str:
    """``book`` for rows of ``Book.objects.filter(...)``; empty when the text does not start with a model name."""
    head = queryset_text.partition(".")[0]
    return head.lower() if head.isidentifier() and head[:1].isupper() else ""


def check(context: FileContext) -> Iterator[Finding]:
    findings = context.project.shared("rules.ORM111", lambda: _findings(context.project))
    for finding in findings:
        if finding.path == context.path:
            yield finding


def _edit(read: SerializerRead, path: str) -> Edit | None:
    origin = read.event.origin
    # The edit goes on the queryset the view lists, which is the rows' origin when both name the same line.
    if origin is None or (origin.path, origin.line) != (read.origin_path, read.origin_line):
        return None
    return event_edit(read.event, path)


RULE = Rule(
    code="ORM111",
    name="serializer-related-access",
    summary="A DRF serializer field reads a relation on each row of a list view's queryset.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
