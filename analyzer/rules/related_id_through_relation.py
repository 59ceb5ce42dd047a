"""ORM407 related-id-through-relation: ``obj.fk.id`` loads the related row only to read the key ``obj.fk_id`` holds."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext, call_keyword
from analyzer.findings import Finding, Fix, Severity
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import events_of, finding_for, model_name
from analyzer.rules._review import field_statements, in_migrations, resolver

BAD_EXAMPLE = """\
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

    def author_key(self):
        return self.author.id
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("return self.author.id", "return self.author_id")

DOCS = f"""\
## What it does
Finds `obj.<fk>.id` or `obj.<fk>.pk` for a `ForeignKey` or `OneToOneField` of a model instance: the instance
already holds that key in `obj.<fk>_id`.

## Why is this bad?
Reading `obj.author` loads the whole author row (one query, once per row in a loop) only to read the key that
`obj.author_id` already has in memory.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
When the queryset loaded the relation with `select_related()` (or `prefetch_related()`), the read costs no query
and is not reported: `obj.<fk>_id` is still the simpler spelling. In a loop this rule reports the read instead of
ORM101, since the fix needs no eager loading at all. When the same function also reads the related object for
something else (`obj.author.name`), it is loaded anyway and the key read is not reported. A
`ForeignKey(to_field=...)` holds that field, not the primary key, in `_id`: it is not reported.
"""


def check(context: FileContext) -> Iterator[Finding]:
    if in_migrations(context):
        return
    graph = context.project.graph
    for event in events_of(context, EventKind.RELATED_ID):
        field = graph.field(event.model, event.field) if event.model and event.field else None
        if field is None or field.attname is None:
            continue
        target = graph.get(event.target) if event.target else None
        if event.method == "id" and target is not None and "id" not in target.fields:
            continue  # the target's primary key has another name: .id is an attribute of its own
        if _has_to_field(context, field.declared_in, field.name) or _loaded_anyway(event.node):
            continue
        replacement = f"{event.detail}.{field.attname}" if event.detail else field.attname
        target_name = target.name if target else model_name(event.target)
        # One message whether or not the read runs per row: the flow can see the same read from several callers.
        message = f"{event.text} loads the {target_name} row only to read its key; use {replacement}"
        fix = Fix(message=f"use {replacement}", path=event.path, line=event.line)
        yield finding_for(context, RULE, event, message, fix)


def _loaded_anyway(key: nodes.NodeNG) -> bool:
    """The same function reads the related object for more than its key: it is loaded anyway, nothing to save."""
    relation = key.expr if isinstance(key, nodes.Attribute) else None
    if not isinstance(relation, nodes.Attribute):
        return False
    text = relation.as_string()
    for other in key.scope().nodes_of_class(nodes.Attribute):
        if other is relation or other.as_string() != text:
            continue
        parent = other.parent
        if not (isinstance(parent, nodes.Attribute) and parent.attrname in ("id", "pk")):
            return True
    return False


def _has_to_field(context: FileContext, declared_in: str | None, name: str) -> bool:
    """A ForeignKey(to_field=...) keeps that field, not the primary key, in ``<name>_id``."""
    if declared_in is None:
        return False
    classdef = resolver(context).definition(declared_in)
    if not isinstance(classdef, nodes.ClassDef):
        return False
    return any(
        target.name == name and call_keyword(call, "to_field") is not None
        for target, call in field_statements(classdef)
    )


RULE = Rule(
    code="ORM407",
    name="related-id-through-relation",
    summary="obj.fk.id loads the related row only to read its key; use obj.fk_id.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
