"""ORM101 related-access-in-loop: a forward FK/O2O or reverse O2O loaded once per row of a queryset."""

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


def author_names():
    return [book.author.name for book in Book.objects.all()]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.select_related("author")')

DOCS = f"""\
## What it does
Finds a foreign key, one-to-one field or reverse one-to-one accessor read on each row of a queryset that did not
load it with `select_related()`.

## Why is this bad?
Django loads the related object lazily: one extra query per row (the N+1 problem). A page of 100 books runs 101
queries instead of one.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Rows that reach the loop through code the analysis cannot follow are not checked (no false alarms, some misses).
"""


def check(context: FileContext) -> Iterator[Finding]:
    for group in related_access_groups(context):
        event = group.event
        if event.prefix_selected or event.origin is None:
            continue
        fix = eager_fix(event, group.fix_path)
        message = (
            f"{event.text} is loaded once per row of {event.origin.text} ({where(event, event.origin)}); {fix} there"
        )
        fix_location = origin_fix(fix, event.origin, event, event_edit(event, group.fix_path))
        yield finding_for(context, RULE, event, message, fix_location, built_here(event.origin))


RULE = Rule(
    code="ORM101",
    name="related-access-in-loop",
    summary="A foreign key or one-to-one relation is loaded once per row; use select_related().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
