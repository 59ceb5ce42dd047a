"""ORM102 related-manager-in-loop: a reverse foreign key or many-to-many manager queried once per row."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit
from analyzer.rules._flow import built_here, events_of, finding_for, first_per_site, model_name, origin_fix, where

BAD_EXAMPLE = """\
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    tags = models.ManyToManyField(Tag, related_name="books")

    def __str__(self):
        return self.title


def tag_names():
    return {book.title: [tag.name for tag in book.tags.all()] for book in Book.objects.all()}
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.prefetch_related("tags")')

DOCS = f"""\
## What it does
Finds a reverse foreign key or many-to-many manager (`book.tags.all()`, `author.books.filter(...)`) queried once per
row of a queryset that did not prefetch it.

## Why is this bad?
Each row runs its own query for its related objects: N+1 queries. `prefetch_related()` loads them all in one more
query, and `Prefetch(..., queryset=...)` does the same for a filtered or ordered subset.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.RELATED_MANAGER)):
        if event.origin is None:
            continue
        if event.method in (None, "all", "iterator"):
            fix = f'add .prefetch_related("{event.relation_path}")'
        else:
            subset = "filter" if event.method in ("get", "first", "last", "latest", "earliest") else event.method
            fix = (
                f'add .prefetch_related(Prefetch("{event.relation_path}", '
                f'queryset={model_name(event.target)}.objects.{subset}(...), to_attr="{event.field}_{subset}"))'
            )
        message = (
            f"{event.text} runs one query per row of {event.origin.text} ({where(event, event.origin)}); {fix} there"
        )
        fix_location = origin_fix(fix, event.origin, event, event_edit(event))
        yield finding_for(context, RULE, event, message, fix_location, built_here(event.origin))


RULE = Rule(
    code="ORM102",
    name="related-manager-in-loop",
    summary="A reverse foreign key or many-to-many manager is queried once per row; use prefetch_related().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
