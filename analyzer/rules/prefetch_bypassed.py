"""ORM105 prefetch-bypassed: a prefetched relation queried again with filter()/order_by()/first() per row."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.fix.targets import prefetch_filtered_edit
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import built_here, events_of, finding_for, first_per_site, model_name, origin_fix, where

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    rating = models.IntegerField()

    def __str__(self):
        return f"Review #{self.pk}"


def good_reviews():
    books = Book.objects.prefetch_related("reviews")
    return {book.title: list(book.reviews.filter(rating__gte=4)) for book in books}
"""

GOOD_EXAMPLE = """\
from django.db import models
from django.db.models import Prefetch


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    rating = models.IntegerField()

    def __str__(self):
        return f"Review #{self.pk}"


def good_reviews():
    good = Review.objects.filter(rating__gte=4)
    books = Book.objects.prefetch_related(Prefetch("reviews", queryset=good, to_attr="good_reviews"))
    return {book.title: book.good_reviews for book in books}
"""

DOCS = f"""\
## What it does
Finds `filter()`, `exclude()`, `order_by()`, `first()`, `last()`, `get()` or `values()` called per row on a
relation that the queryset prefetched.

## Why is this bad?
The prefetch cache only serves `.all()`. Any other queryset method builds a new query, so the prefetch is wasted
and every row still runs a query. `Prefetch(lookup, queryset=..., to_attr=...)` prefetches exactly the subset.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.PREFETCH_BYPASS)):
        if event.origin is None:
            continue
        subset = "filter" if event.method in ("get", "first", "last", "latest", "earliest") else event.method
        fix = (
            f'use Prefetch("{event.relation_path}", queryset={model_name(event.target)}.objects.{subset}(...), '
            f'to_attr="{event.field}_{subset}")'
        )
        message = (
            f'{event.text} ignores the prefetched "{event.relation_path}" and runs one query per row of '
            f"{event.origin.text} ({where(event, event.origin)}); {fix} there"
        )
        edit = prefetch_filtered_edit(
            event.origin.node,
            event.node,
            event.relation_path,
            f"{event.field}_{subset}",
            model_name(event.target),
            event.method or "",
        )
        yield finding_for(
            context, RULE, event, message, origin_fix(fix, event.origin, event, edit), built_here(event.origin)
        )


RULE = Rule(
    code="ORM105",
    name="prefetch-bypassed",
    summary="A prefetched relation is queried again per row with filter(), order_by(), first() or similar.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
