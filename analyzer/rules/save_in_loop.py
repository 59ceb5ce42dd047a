"""ORM301 save-in-loop: save() (or a queryset update()) run once per loop item."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.fix.signals import save_receivers
from analyzer.fix.write_targets import bulk_update_edit
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import events_of, file_events, finding_for, first_per_site

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self):
        return self.title


def apply_discount(rate):
    for book in Book.objects.all():
        book.price = book.price * rate
        book.save()
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    "from django.db import models", "from django.db import models\nfrom django.db.models import F"
).replace(
    """    for book in Book.objects.all():
        book.price = book.price * rate
        book.save()
""",
    """    Book.objects.update(price=F("price") * rate)
""",
)

DOCS = f"""\
## What it does
Finds `save()` called on a model instance once per loop item, and queryset `update()` calls whose arguments change
with each item.

## Why is this bad?
Every iteration runs its own UPDATE (and, with signals, more). `bulk_update(objs, ["field"])` writes all rows in a
few queries, and `update()` with `F()` expressions writes them in one.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Saves that must run signals or custom `save()` logic per row cannot use `bulk_update()`; suppress with `# noqa`.
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.SAVE_IN_LOOP), key="text"):
        model = event.target or "Model"
        if event.method == "update":
            fix_message = (
                f"update the rows at once with {model}.objects.filter(pk__in=...).update(...) when every item gets "
                f"the same values, or collect the objects and call {model}.objects.bulk_update(objs, [...]) after "
                "the loop"
            )
            message = f"{event.text} runs one UPDATE per item of the loop at line {event.loop_line}; {fix_message}"
        else:
            fields = ", ".join(f'"{name}"' for name in event.detail.split(",") if name) or "..."
            fix_message = (
                f"collect the objects and call {model}.objects.bulk_update(objs, [{fields}]) after the loop, "
                "or use .update()"
            )
            written = event.text if event.method == "call" else f"{event.text}.save()"
            message = f"{written} writes one row per iteration of the loop at line {event.loop_line}; {fix_message}"
        events = [(other.node, other.loop) for other in file_events(context)]
        model_info = context.project.graph.get(event.model or "")
        edit = bulk_update_edit(event.node, event.loop, model_info, events, save_receivers(context))
        fix = Fix(message=fix_message, path=event.path, line=event.loop_line or event.line, edit=edit)
        yield finding_for(context, RULE, event, message, fix)


RULE = Rule(
    code="ORM301",
    name="save-in-loop",
    summary="save() runs once per loop item; use bulk_update() or update().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
