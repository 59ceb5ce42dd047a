"""ORM103 generic-relation-in-loop: a GenericForeignKey or GenericRelation loaded once per row."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit
from analyzer.rules._flow import built_here, events_of, finding_for, first_per_site, origin_fix, where

BAD_EXAMPLE = """\
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Comment(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    body = models.TextField()

    def __str__(self):
        return self.body


def commented_objects():
    return [comment.content_object for comment in Comment.objects.all()]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Comment.objects.all()", 'Comment.objects.prefetch_related("content_object")')

DOCS = f"""\
## What it does
Finds a `GenericForeignKey` read, or a `GenericRelation` manager queried, once per row of a queryset that did not
prefetch it.

## Why is this bad?
A generic relation cannot be joined: each row runs one query for its target (and possibly one for its content
type). `prefetch_related()` groups the targets by type and loads each type in one query.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.GENERIC_RELATION)):
        if event.origin is None:
            continue
        fix = f'add .prefetch_related("{event.relation_path}")'
        message = (
            f"{event.text} loads a generic relation once per row of {event.origin.text} "
            f"({where(event, event.origin)}); {fix} there"
        )
        fix_location = origin_fix(fix, event.origin, event, event_edit(event))
        yield finding_for(context, RULE, event, message, fix_location, built_here(event.origin))


RULE = Rule(
    code="ORM103",
    name="generic-relation-in-loop",
    summary="A generic foreign key or generic relation is loaded once per row; use prefetch_related().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
