"""ORM107 relation-in-property-in-loop: a property, method or __str__ that reads a relation, used per row."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit, merged_edit
from analyzer.rules._flow import built_here, events_of, finding_for, origin_fix, where

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

    @property
    def byline(self):
        return f"{self.title} by {self.author.name}"


def bylines():
    return [book.byline for book in Book.objects.all()]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.select_related("author")')

DOCS = f"""\
## What it does
Finds a model property, method, `__str__` or `__repr__` (also through `str()`, f-strings, `%` and `format()`)
that reads a relation, used on each row of a queryset that does not load that relation.

## Why is this bad?
The relation access is hidden in the model, so the loop looks harmless, but every row runs one more query.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
"""


def _fix(event: FlowEvent) -> str:
    if event.inner_kind in (EventKind.RELATED_MANAGER, EventKind.GENERIC_RELATION):
        return f'add .prefetch_related("{event.relation_path}")'
    if event.inner_kind is EventKind.RELATED_AGGREGATE:
        return f'add .annotate(Count("{event.relation_path}")) and read the annotation'
    if event.inner_kind is EventKind.DEFERRED_FIELD:
        return f'add "{event.field}" to .only(...)'
    if event.inner_kind is EventKind.PREFETCH_BYPASS:
        return f'use Prefetch("{event.relation_path}", queryset=..., to_attr=...)'
    method = "prefetch_related" if event.through_prefetch else "select_related"
    return f'add .{method}("{event.relation_path}")'


def check(context: FileContext) -> Iterator[Finding]:
    # One finding per use site: a __str__ that reads two relations gives one finding whose fix loads both.
    sites: dict[tuple[object, ...], list[FlowEvent]] = {}
    for event in events_of(context, EventKind.PROPERTY):
        owner, _, rest = event.detail.partition("|")
        what = rest.partition("|")[0]
        key = (event.path, id(event.loop) if event.loop is not None else event.line, event.origin, owner, what)
        sites.setdefault(key, []).append(event)
    for events in sites.values():
        events.sort(key=lambda item: (item.line, item.node.col_offset or 0))
        event = events[0]
        if event.origin is None:
            continue
        owner, _, rest = event.detail.partition("|")
        what = rest.partition("|")[0]
        described = f"the property {owner}" if what == "property" else f"{owner}()"
        inner_texts: list[str] = []
        fixes: list[str] = []
        for item in events:
            inner_text = item.detail.split("|", 2)[-1]
            if inner_text not in inner_texts:
                inner_texts.append(inner_text)
            fix_text = _fix(item)
            if fix_text not in fixes:
                fixes.append(fix_text)
        fix = _merge_fixes(fixes)
        edit = merged_edit([event_edit(item) for item in events])
        message = (
            f"{event.text} runs {described}, which reads {' and '.join(inner_texts)} once per row of "
            f"{event.origin.text} ({where(event, event.origin)}); {fix} there"
        )
        fix_location = origin_fix(fix, event.origin, event, edit)
        yield finding_for(context, RULE, event, message, fix_location, built_here(event.origin))


def _merge_fixes(fixes: list[str]) -> str:
    """'add .select_related("a")' and 'add .select_related("b")' become 'add .select_related("a", "b")'."""
    merged: dict[str, list[str]] = {}
    others: list[str] = []
    for fix in fixes:
        head, separator, tail = fix.partition("(")
        if separator and head in ("add .select_related", "add .prefetch_related") and tail.endswith(")"):
            merged.setdefault(head, []).append(tail[:-1])
        else:
            others.append(fix)
    combined = [f"{head}({', '.join(arguments)})" for head, arguments in merged.items()]
    return " and ".join(combined + others)


RULE = Rule(
    code="ORM107",
    name="relation-in-property-in-loop",
    summary="A property, method or __str__ that reads a relation is used once per row.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
