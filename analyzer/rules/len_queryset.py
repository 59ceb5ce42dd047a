"""ORM401 len-queryset: len(queryset) whose rows are not used afterwards."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.fix.targets import count_edit
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import built_here, events_of, finding_for, model_name

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


def book_total():
    return len(Book.objects.all())
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("len(Book.objects.all())", "Book.objects.count()")

DOCS = f"""\
## What it does
Finds `len(queryset)` where the rows are not used afterwards.

## Why is this bad?
`len()` fetches every row and builds every instance only to count them. `.count()` runs `SELECT COUNT(*)`.
(When the rows are used anyway, `len()` is right: it reuses the fetched rows; that case is not reported.)

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in events_of(context, EventKind.LEN_QUERYSET):
        message = (
            f"len({event.text}) loads every {model_name(event.model)} row only to count them; use {event.text}.count()"
        )
        fix = Fix(message="use .count()", path=event.path, line=event.line, edit=count_edit(event.node))
        related = built_here(event.origin) if event.origin is not None and event.origin.line != event.line else ()
        yield finding_for(context, RULE, event, message, fix, related)


RULE = Rule(
    code="ORM401",
    name="len-queryset",
    summary="len(queryset) loads every row to count them; use .count().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
