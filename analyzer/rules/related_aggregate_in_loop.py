"""ORM202 related-aggregate-in-loop: count()/exists()/aggregate() on a related manager once per row."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Edit, Finding, Severity
from analyzer.fix.targets import annotate_count_edit
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.rules._base import Rule
from analyzer.rules._flow import built_here, events_of, finding_for, first_per_site, model_name, origin_fix, where

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


def book_counts():
    return {author.name: author.books.count() for author in Author.objects.all()}
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    "from django.db import models", "from django.db import models\nfrom django.db.models import Count"
).replace(
    "{author.name: author.books.count() for author in Author.objects.all()}",
    '{author.name: author.book_count for author in Author.objects.annotate(book_count=Count("books"))}',
)

DOCS = f"""\
## What it does
Finds `count()`, `exists()` or `aggregate()` called on a related manager (`author.books.count()`) once per row.

## Why is this bad?
Each row runs its own aggregate query. `annotate(Count("books"))` (or `Exists(...)`) computes the value for every
row in the same query.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def _edit(event: FlowEvent) -> Edit | None:
    # Only a count of a relation of the rows themselves: the annotation goes on those rows.
    if event.method != "count" or event.origin is None or event.relation_path != event.field or not event.field:
        return None
    return annotate_count_edit(event.origin.node, event.node, event.relation_path, f"{event.field}_count")


def _fix(event: FlowEvent) -> str:
    if event.method == "exists" and event.remote_field:
        subquery = f'{model_name(event.target)}.objects.filter({event.remote_field}=OuterRef("pk"))'
        return f"add .annotate(has_{event.field}=Exists({subquery}))"
    return f'add .annotate(Count("{event.relation_path}"))'


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.RELATED_AGGREGATE), key="text"):
        if event.origin is None:
            continue
        fix = _fix(event)
        message = (
            f"{event.text} runs one query per row of {event.origin.text} ({where(event, event.origin)}); {fix} there"
        )
        fix_location = origin_fix(fix, event.origin, event, _edit(event))
        yield finding_for(context, RULE, event, message, fix_location, built_here(event.origin))


RULE = Rule(
    code="ORM202",
    name="related-aggregate-in-loop",
    summary="A related manager's count()/exists() runs once per row; annotate the queryset instead.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
