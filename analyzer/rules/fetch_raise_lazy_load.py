"""ORM108 fetch-raise-lazy-load: a relation or deferred field read per row of a FETCH_RAISE queryset, unloaded."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import built_here, events_of, finding_for, first_per_site, origin_fix, where

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


def author_names():
    return [book.author.name for book in Book.objects.fetch_mode(models.FETCH_RAISE)]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    "Book.objects.fetch_mode(models.FETCH_RAISE)",
    'Book.objects.select_related("author").fetch_mode(models.FETCH_RAISE)',
)

DOCS = f"""\
## What it does
Finds a foreign key, one-to-one relation, generic foreign key or deferred field read on each row of a queryset
whose fetch mode is `models.FETCH_RAISE` (Django 6.1) and that did not load it with `select_related()`,
`prefetch_related()` or `only()`.

## Why is this bad?
`FETCH_RAISE` turns every lazy load into a `FieldFetchBlocked` error: the loop fails at its first row instead of
running one query per row. The mode is there to catch exactly this; the fix is to load the data with the queryset.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
The fetch mode is followed through querysets, managers whose `get_queryset()` sets it, `Prefetch` querysets and the
objects loaded from such rows; a mode chosen from a variable the analysis cannot read is not checked.
"""


def _fix(event_kind: EventKind, field: str | None, path: str, method: str | None) -> str:
    if event_kind is EventKind.DEFERRED_FIELD:
        return f'remove "{field}" from .defer(...)' if method == "defer" else f'add "{field}" to .only(...)'
    if event_kind is EventKind.GENERIC_RELATION:
        return f'add .prefetch_related("{path}")'
    return f'add .select_related("{path}")'


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.FETCH_RAISE_LOAD)):
        if event.origin is None or event.inner_kind is None:
            continue
        fix = _fix(event.inner_kind, event.field, event.relation_path, event.method)
        message = (
            f"{event.text} is not loaded by {event.origin.text} ({where(event, event.origin)}), whose FETCH_RAISE "
            f"makes reading it per row raise FieldFetchBlocked; {fix} there"
        )
        yield finding_for(context, RULE, event, message, origin_fix(fix, event.origin, event), built_here(event.origin))


RULE = Rule(
    code="ORM108",
    name="fetch-raise-lazy-load",
    summary="A relation or deferred field is read per row of a FETCH_RAISE queryset that does not load it.",
    severity=Severity.ERROR,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
