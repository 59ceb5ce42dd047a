"""ORM409 list-view-without-pagination: a ListView that renders its whole queryset on one page."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import (
    at_class_name,
    extended_classes,
    is_bounded_slice,
    list_views,
    model_label,
    queryset_expr,
    returns_bounded_rows,
    returns_no_queryset,
)

BAD_EXAMPLE = """\
from django.db import models
from django.views.generic import ListView


class Book(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class BookListView(ListView):
    model = Book
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("    model = Book\n", "    model = Book\n    paginate_by = 25\n")

DOCS = f"""\
## What it does
Finds a class-based `ListView` (or a subclass of one, through any number of project base classes) that lists a
model's rows (`model`, `queryset` or `get_queryset()`, its own or inherited) but sets neither `paginate_by` nor
`get_paginate_by()`.

## Why is this bad?
The view renders every row of the table on one page: one query that grows with the table, every instance built
in memory and every row rendered. Today's 40 books are next year's 40,000.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
An explicit `paginate_by = None` is taken as a deliberate choice and not reported. A view that other views in the
project extend is a base and is not reported; the views that extend it are. A `get_queryset()` that returns
`None` or a literal list lists no model rows and is not reported, and one that returns a slice with an upper bound
(`Topic.objects.order_by("-pubdate")[:20]`) lists at most that many rows and is not reported either. Django REST
framework views are not checked (their pagination comes from `pagination_class` and `DEFAULT_PAGINATION_CLASS`).
"""


def check(context: FileContext) -> Iterator[Finding]:
    extended = extended_classes(context)
    for view in list_views(context):
        if f"{context.source.modname}.{view.node.name}" in extended:
            continue  # a base view: the views that extend it are reported
        model = view.chain.attribute("model")
        lists_model = model is not None and not (isinstance(model, nodes.Const) and model.value is None)
        get_queryset = view.chain.attribute("get_queryset")
        lists_queryset = view.chain.defines("queryset") or (
            get_queryset is not None and not returns_no_queryset(get_queryset)
        )
        if not (lists_model or lists_queryset):
            continue  # lists no model rows
        if is_bounded_slice(view.chain.attribute("queryset")) or (
            get_queryset is not None and returns_bounded_rows(get_queryset)
        ):
            continue  # a bounded slice of rows, such as the latest 20
        if view.chain.defines("paginate_by") or view.chain.defines("get_paginate_by"):
            continue
        label = model_label(context, model) if model is not None else None
        queryset_node = view.chain.attribute("queryset")
        if label is None and queryset_node is not None:
            queryset = queryset_expr(context, queryset_node)
            label = queryset.model if queryset is not None else None
        listed = label.rpartition(".")[2] if label else "its queryset"
        message = f"{view.node.name} lists every row of {listed} on one page; set paginate_by (say paginate_by = 25)"
        fix = Fix(message="set paginate_by", path=context.path, line=view.node.lineno or 1)
        yield at_class_name(context.finding(RULE, view.node, message, model=label, fix=fix), view.node)


RULE = Rule(
    code="ORM409",
    name="list-view-without-pagination",
    summary="A ListView renders its whole queryset on one page; set paginate_by.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
