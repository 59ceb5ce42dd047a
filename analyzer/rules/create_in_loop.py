"""ORM302 create-in-loop: objects.create() or a new instance's save() run once per loop item."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.fix.signals import save_receivers
from analyzer.fix.write_targets import bulk_create_edit
from analyzer.flow.events import EventKind
from analyzer.rules._base import Rule
from analyzer.rules._flow import events_of, file_events, finding_for, first_per_site

BAD_EXAMPLE = """\
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


def add_tags(names):
    for name in names:
        Tag.objects.create(name=name)
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    """    for name in names:
        Tag.objects.create(name=name)
""",
    """    Tag.objects.bulk_create([Tag(name=name) for name in names])
""",
)

DOCS = f"""\
## What it does
Finds `Model.objects.create(...)`, a related manager's `create(...)`, or `save()` of a newly built instance,
called once per loop item.

## Why is this bad?
Each iteration runs its own INSERT. `bulk_create()` inserts all of them in one query (or a few, in batches).

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
`bulk_create()` does not call `save()` or send `pre_save`/`post_save`; keep the loop (and `# noqa`) if you need them.
"""


def check(context: FileContext) -> Iterator[Finding]:
    for event in first_per_site(events_of(context, EventKind.CREATE_IN_LOOP), key="text"):
        model = event.target or "Model"
        fix_message = f"build the objects in the loop and call {model}.objects.bulk_create(objs) after it"
        written = event.text if event.text.endswith(")") or event.method == "call" else f"{event.text}.save()"
        message = f"{written} inserts one row per iteration of the loop at line {event.loop_line}; {fix_message}"
        events = [(other.node, other.loop) for other in file_events(context)]
        model_info = context.project.graph.get(event.model or "")
        edit = bulk_create_edit(event.node, event.loop, model_info, events, save_receivers(context))
        fix = Fix(message=fix_message, path=event.path, line=event.loop_line or event.line, edit=edit)
        yield finding_for(context, RULE, event, message, fix)


RULE = Rule(
    code="ORM302",
    name="create-in-loop",
    summary="A row is inserted once per loop item; use bulk_create().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
