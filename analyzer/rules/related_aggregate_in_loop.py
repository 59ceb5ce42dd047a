"""ORM202 related-aggregate-in-loop: count()/exists()/aggregate() on a related manager once per row."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

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
Each row runs its own aggregate query. `annotate(book_count=Count("books"))` (or `Exists(...)`) computes the value
for every row in the same query. When the rows are filtered on the same relation (`filter(books__in=...)`), the
annotation goes before that filter and needs `distinct=True`: after it, `Count()` reuses the filter's join and
counts only the matching rows.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def _filters_on(event: FlowEvent, relation: str) -> bool:
    """The rows come from a ``filter()``/``exclude()`` on the counted relation (``filter(authors__in=...)``)."""
    places = [event.origin.node] if event.origin is not None else []
    if isinstance(event.loop, (nodes.For, nodes.Comprehension)):
        places.append(event.loop.iter)
    for place in places:
        for call in place.nodes_of_class(nodes.Call):
            if not (isinstance(call.func, nodes.Attribute) and call.func.attrname in ("filter", "exclude")):
                continue
            if any((keyword.arg or "").split("__")[0] == relation for keyword in call.keywords or ()):
                return True
    return False


def _edit(event: FlowEvent) -> Edit | None:
    # Only a count of a relation of the rows themselves: the annotation goes on those rows. After a filter() on the
    # same relation the annotation must go before that filter, which is more than appending a call.
    if event.method != "count" or event.origin is None or event.relation_path != event.field or not event.field:
        return None
    if _filters_on(event, event.field):
        return None
    return annotate_count_edit(event.origin.node, event.node, event.relation_path, f"{event.field}_count")


def _fix(event: FlowEvent) -> str:
    if event.method == "exists" and event.remote_field:
        subquery = f'{model_name(event.target)}.objects.filter({event.remote_field}=OuterRef("pk"))'
        return f"add .annotate(has_{event.field}=Exists({subquery}))"
    alias = f"{event.relation_path.replace('__', '_')}_count"
    row = event.text.partition(".")[0]
    relation = event.relation_path.split("__")[-1]
    if _filters_on(event, relation):
        # After a filter() on the same relation, Count() reuses the filter's join and counts only the rows that
        # matched it; placed before the filter, it needs distinct=True against the second join.
        return (
            f'add .annotate({alias}=Count("{event.relation_path}", distinct=True)) before the .filter() on '
            f'"{relation}" (after it, Count() counts only the matching rows) and read {row}.{alias}'
        )
    return f'add .annotate({alias}=Count("{event.relation_path}")) and read {row}.{alias}'


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
