"""ORM403 count-for-existence: ``qs.count() > 0`` (and the like) where ``qs.exists()`` is meant."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import built_here, events_of, finding_for, model_name
from analyzer.rules._review import in_migrations, short_text

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    stock = models.IntegerField()

    def __str__(self):
        return self.title


def has_sold_out_books():
    return Book.objects.filter(stock=0).count() > 0
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(".count() > 0", ".exists()")

DOCS = f"""\
## What it does
Finds a queryset's `count()` used only to see whether there is a row: `qs.count() > 0`, `qs.count() != 0`,
`qs.count() >= 1`, `qs.count() == 0`, `if qs.count():`, `not qs.count()`, `bool(qs.count())`, and the same with
`len(qs)` (when the rows are not used afterwards; ORM401 then stays quiet on the same site).

## Why is this bad?
`COUNT(*)` has to visit every matching row; `EXISTS` (what `.exists()` runs) stops at the first one. On a large
table the difference is the whole scan. `len(qs)` is worse still: it fetches every row.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
`qs.count() == 0` becomes `not qs.exists()`.

## Known problems
A count that is also shown or used as a number (`n = qs.count()` then `if n:`) is not reported: there the count is
needed anyway.
"""


def check(context: FileContext) -> Iterator[Finding]:
    if in_migrations(context):
        return
    for event in events_of(context, EventKind.COUNT_FOR_EXISTENCE):
        replacement = f"{event.text}.exists()" if event.detail == "positive" else f"not {event.text}.exists()"
        message = (
            f"{short_text(event.node)} counts every {model_name(event.model)} row only to see if there is one; "
            f"use {replacement}"
        )
        fix = Fix(message=f"use {replacement}", path=event.path, line=event.line)
        related = built_here(event.origin) if event.origin is not None and event.origin.line != event.line else ()
        yield finding_for(context, RULE, event, message, fix, related)


RULE = Rule(
    code="ORM403",
    name="count-for-existence",
    summary="A queryset is counted only to see whether it has a row; use .exists().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
