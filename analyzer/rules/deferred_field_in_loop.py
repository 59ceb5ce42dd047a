"""ORM106 deferred-field-in-loop: a field left out by only()/defer() read once per row."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit
from analyzer.rules._flow import built_here, events_of, finding_for, first_per_site, origin_fix, where

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self):
        return self.title


def price_list():
    return [(book.title, book.price) for book in Book.objects.only("title")]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace('only("title")', 'only("title", "price")')

DOCS = f"""\
## What it does
Finds a field that `only()` left out or `defer()` deferred, read on each row of that queryset.

## Why is this bad?
Django loads a deferred field with one query per instance the first time it is read: the optimisation turns into
an N+1.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.DEFERRED_FIELD)):
        if event.origin is None:
            continue
        if event.method == "defer":
            fix = f'remove "{event.field}" from .defer(...)'
        else:
            fix = f'add "{event.field}" to .only(...)'
        message = (
            f"{event.text} is deferred by {event.origin.text} ({where(event, event.origin)}) and loaded once "
            f"per row; {fix} there"
        )
        fix_location = origin_fix(fix, event.origin, event, event_edit(event))
        yield finding_for(context, RULE, event, message, fix_location, built_here(event.origin))


RULE = Rule(
    code="ORM106",
    name="deferred-field-in-loop",
    summary="A field deferred by only()/defer() is read once per row.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
