"""ORM104 partial-select-related: a nested relation read past the end of a select_related() path."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit
from analyzer.rules._flow import built_here, eager_fix, finding_for, origin_fix, related_access_groups, where

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


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    rating = models.IntegerField()

    def __str__(self):
        return f"Review #{self.pk}"


def reviewed_authors():
    return [review.book.author.name for review in Review.objects.select_related("book")]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace('select_related("book")', 'select_related("book__author")')

DOCS = f"""\
## What it does
Finds a relation read one step beyond what `select_related()` loaded: `select_related("book")` followed by
`review.book.author`.

## Why is this bad?
The join stops at `book`; every row then runs one more query for its author. The code looks optimised, which makes
this N+1 easy to miss in review.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for group in related_access_groups(context):
        event = group.event
        if not event.prefix_selected or event.origin is None:
            continue
        selected, _, _ = event.relation_path.rpartition("__")
        fix = eager_fix(event, group.fix_path)
        message = (
            f"{event.text} is loaded once per row of {event.origin.text} ({where(event, event.origin)}): "
            f'select_related("{selected}") stops before "{event.field}"; {fix} there'
        )
        fix_location = origin_fix(fix, event.origin, event, event_edit(event, group.fix_path))
        yield finding_for(context, RULE, event, message, fix_location, built_here(event.origin))


RULE = Rule(
    code="ORM104",
    name="partial-select-related",
    summary="A nested relation is read past the end of a select_related() path.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
