"""ORM303 delete-in-loop: delete() run once per loop item."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.fix.write_targets import queryset_delete_edit
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import events_of, file_events, finding_for, first_per_site

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    stock = models.IntegerField()

    def __str__(self):
        return self.title


def remove_sold_out():
    for book in Book.objects.filter(stock=0):
        book.delete()
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    """    for book in Book.objects.filter(stock=0):
        book.delete()
""",
    """    Book.objects.filter(stock=0).delete()
""",
)

DOCS = f"""\
## What it does
Finds `delete()` called on a model instance once per loop item, and queryset `delete()` calls whose filter changes
with each item.

## Why is this bad?
Each iteration runs its own DELETE (plus the collector's queries for cascades). One
`filter(pk__in=...).delete()` deletes them all at once.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.DELETE_IN_LOOP), key="text"):
        model = event.target or "Model"
        fix_message = f"delete them at once with {model}.objects.filter(pk__in=...).delete()"
        written = event.text if event.method in ("delete", "call") else f"{event.text}.delete()"
        message = f"{written} runs one DELETE per iteration of the loop at line {event.loop_line}; {fix_message}"
        events = [(other.node, other.loop) for other in file_events(context)]
        origin = event.origin.node if event.origin is not None else None
        info = context.project.graph.get(event.model or "")
        edit = queryset_delete_edit(event.node, event.loop, info, origin, events)
        fix = Fix(message=fix_message, path=event.path, line=event.loop_line or event.line, edit=edit)
        yield finding_for(context, RULE, event, message, fix)


RULE = Rule(
    code="ORM303",
    name="delete-in-loop",
    summary="delete() runs once per loop item; delete the rows at once with filter(...).delete().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
