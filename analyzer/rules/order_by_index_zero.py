"""ORM405 order-by-index-zero: ``qs.order_by(...)[0]`` where ``.first()``, ``.latest()`` or ``.earliest()`` is meant."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import index_zero_sites, last_order_by, short_text

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    published_on = models.DateField()

    def __str__(self):
        return self.title


def newest_book():
    return Book.objects.order_by("-published_on")[0]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace('.order_by("-published_on")[0]', '.order_by("-published_on").first()')

DOCS = f"""\
## What it does
Finds `qs.order_by(...)[0]` (outside a `try` that catches `IndexError`).

## Why is this bad?
It raises `IndexError` when the queryset is empty. `.order_by(...).first()` returns `None` instead, and for a
single date field `.latest("field")` / `.earliest("field")` say what is meant (they raise the model's
`DoesNotExist`, which views and `get_object_or_404`-style code already handle).

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
or `Book.objects.latest("published_on")`.
"""

_DATE_FIELDS = frozenset({"DateField", "DateTimeField"})


def _date_shortcut(context: FileContext, model: str, order_by: nodes.Call) -> str | None:
    """``latest("f")`` / ``earliest("f")`` when the order is one date field."""
    if len(order_by.args) != 1 or order_by.keywords:
        return None
    argument = order_by.args[0]
    if not isinstance(argument, nodes.Const) or not isinstance(argument.value, str):
        return None
    descending = argument.value.startswith("-")
    name = argument.value.lstrip("-")
    field = context.project.graph.field(model, name)
    if field is None or field.field_class not in _DATE_FIELDS:
        return None
    return f'{model.rpartition(".")[2]}.objects.{"latest" if descending else "earliest"}("{name}")'


def check(context: FileContext) -> Iterator[Finding]:
    for site in index_zero_sites(context):
        order_by = last_order_by(site.queryset)
        if order_by is None:
            continue  # ORM404 reports unordered querysets
        text = short_text(site.node.value)
        shortcut = _date_shortcut(context, site.queryset.model, order_by)
        if shortcut is not None and site.queryset.methods == ("order_by",):
            advice = f"use {shortcut} (or {text}.first())"
        else:
            advice = f"use {text}.first()"
        message = f"{text}[0] raises IndexError when the queryset is empty; {advice}"
        fix = Fix(message=advice, path=context.path, line=site.node.lineno or 1)
        yield context.finding(RULE, site.node, message, model=site.queryset.model, fix=fix)


RULE = Rule(
    code="ORM405",
    name="order-by-index-zero",
    summary="qs.order_by(...)[0] raises IndexError when empty; use .first(), .latest() or .earliest().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
