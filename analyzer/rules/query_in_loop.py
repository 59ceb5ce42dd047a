"""ORM201 query-in-loop: a manager or queryset query (get, filter, count, ...) run once per loop item."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import built_here, events_of, finding_for, first_per_site, model_name

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


def titles(book_ids):
    return [Book.objects.get(pk=book_id).title for book_id in book_ids]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    "[Book.objects.get(pk=book_id).title for book_id in book_ids]",
    "[book.title for book in Book.objects.in_bulk(book_ids).values()]",
)

DOCS = f"""\
## What it does
Finds a query (`get()`, `filter()` then iteration, `count()`, `exists()`, `first()`, `get_object_or_404()`, ...)
whose arguments change with each item of a loop.

## Why is this bad?
One query per item: a loop over 500 ids runs 500 queries. `in_bulk()` or `filter(pk__in=...)` fetches them all in
one query before the loop.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Queries that do not depend on the loop (loop-invariant queries) are not reported yet.
"""


def _fix_message(method: str | None, model: str) -> str:
    """What replaces the query per item: one read before the loop, or one write after it for the methods that
    write when the row is missing or different."""
    if method == "update_or_create":
        return (
            f"write every row at once after the loop with {model}.objects.bulk_create(objs, update_conflicts=True, "
            "unique_fields=[...], update_fields=[...])"
        )
    if method == "get_or_create":
        return (
            f"fetch the existing rows once before the loop with {model}.objects.filter(...__in=...) and create the "
            f"missing ones with {model}.objects.bulk_create(objs) after it"
        )
    return f"fetch the rows once before the loop with {model}.objects.in_bulk(...) or .filter(pk__in=...)"


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.QUERY_IN_LOOP), key="text"):
        model = model_name(event.model)
        fix_message = _fix_message(event.method, model)
        message = f"{event.text} runs one query per item of the loop at line {event.loop_line}; {fix_message}"
        fix = Fix(message=fix_message, path=event.path, line=event.loop_line or event.line)
        related = built_here(event.origin) if event.origin is not None and event.origin.line != event.line else ()
        yield finding_for(context, RULE, event, message, fix, related)


RULE = Rule(
    code="ORM201",
    name="query-in-loop",
    summary="A query runs once per loop item; fetch the rows at once with in_bulk() or filter(pk__in=...).",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
