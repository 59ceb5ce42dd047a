"""ORM402 queryset-truthiness: ``if queryset:`` whose rows are not used afterwards."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.fix.targets import exists_edit
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import built_here, events_of, finding_for, model_name

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    stock = models.IntegerField()

    def __str__(self):
        return self.title


def has_sold_out_books():
    if Book.objects.filter(stock=0):
        return True
    return False
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("if Book.objects.filter(stock=0):", "if Book.objects.filter(stock=0).exists():")

DOCS = f"""\
## What it does
Finds a queryset used as a condition (`if qs:`, `not qs`, `bool(qs)`) when its rows are not used afterwards.

## Why is this bad?
Testing a queryset's truth fetches every row. `.exists()` runs a query that stops at the first row.
(When the rows are used afterwards, the test reuses them; that case is not reported.)

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in events_of(context, EventKind.QUERYSET_TRUTHINESS):
        message = (
            f"testing {event.text} loads every {model_name(event.model)} row only to see if there is one; "
            f"use {event.text}.exists()"
        )
        fix = Fix(message="use .exists()", path=event.path, line=event.line, edit=exists_edit(event.node))
        related = built_here(event.origin) if event.origin is not None and event.origin.line != event.line else ()
        yield finding_for(context, RULE, event, message, fix, related)


RULE = Rule(
    code="ORM402",
    name="queryset-truthiness",
    summary="A queryset is tested for truth, loading every row; use .exists().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
