"""ORM505 unordered-paginated-model: a queryset paginated without any ordering (UnorderedObjectListWarning)."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext, nodes_of
from analyzer.findings import Finding, Fix, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import (
    QuerySetExpr,
    callee_is,
    class_body_names,
    in_migrations,
    list_views,
    model_label,
    queryset_expr,
    queryset_is_ordered,
)

BAD_EXAMPLE = """\
from django.db import models
from django.views.generic import ListView


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


class BookListView(ListView):
    model = Book
    paginate_by = 25
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    "        return self.title\n", '        return self.title\n\n    class Meta:\n        ordering = ["title"]\n'
)

DOCS = f"""\
## What it does
Finds a queryset that is paginated while it has no ordering: a `ListView` with `paginate_by` whose `model` has no
`Meta.ordering` (nor `ordering` on the view, nor an `order_by()` on its `queryset`), or `Paginator(qs, n)` over
such a queryset. A model inherits `Meta.ordering` from an abstract base. `annotate()` with an aggregate drops
`Meta.ordering` (a GROUP BY query), as Django does.

## Why is this bad?
Without `ORDER BY` the database may return rows in any order, and in a different one for each page's query: rows
show up on two pages or on none. Django warns about it at runtime (`UnorderedObjectListWarning`).

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
Or order the paginated queryset: `queryset = Book.objects.order_by("title")`.

## Known problems
Only querysets built in place from a model's manager (or a local variable assigned once from one) are checked;
a `get_queryset()` override or a queryset from another function is not followed.
"""

_PAGINATORS = frozenset({"django.core.paginator.Paginator", "Paginator"})


def _message(model: str, where: str) -> str:
    return (
        f"{where} paginates {model} rows without an ordering: pages can repeat or skip rows "
        f"(UnorderedObjectListWarning); add .order_by(...) or {model}.Meta.ordering"
    )


def _view_findings(context: FileContext) -> Iterator[Finding]:
    graph = context.project.graph
    for view in list_views(context):
        own = class_body_names(view.node)
        if not any(name in own for name in ("model", "queryset", "paginate_by")):
            continue  # inherited unchanged from a base view: reported there
        paginate_by = view.chain.attribute("paginate_by")
        if paginate_by is None or (isinstance(paginate_by, nodes.Const) and paginate_by.value is None):
            continue
        ordering = view.chain.attribute("ordering")
        if view.chain.defines("get_ordering") or (
            ordering is not None and not (isinstance(ordering, nodes.Const) and ordering.value is None)
        ):
            continue
        queryset_node = view.chain.attribute("queryset")
        if queryset_node is not None:
            queryset = queryset_expr(context, queryset_node)
            if queryset is None or queryset_is_ordered(context, queryset):
                continue
            label = queryset.model
            anchor = queryset_node
        elif view.chain.defines("get_queryset"):
            continue
        else:
            model_node = view.chain.attribute("model")
            model = model_label(context, model_node) if model_node is not None else None
            if model_node is None or model is None or queryset_is_ordered(context, QuerySetExpr(model, ())):
                continue
            label, anchor = model, model_node
        info = graph.get(label)
        name = info.name if info else label
        node = anchor if anchor.root() is context.module and anchor.parent.parent is view.node else view.node
        fix = Fix(message="add .order_by(...) or Meta.ordering", path=context.path, line=node.lineno or 1)
        yield context.finding(RULE, node, _message(name, view.node.name), model=label, fix=fix)


def _paginator_findings(context: FileContext) -> Iterator[Finding]:
    graph = context.project.graph
    for call in nodes_of(context.module, nodes.Call):
        if not call.args or not callee_is(context, call, _PAGINATORS):
            continue
        queryset = queryset_expr(context, call.args[0])
        if queryset is None or queryset_is_ordered(context, queryset):
            continue
        info = graph.get(queryset.model)
        name = info.name if info else queryset.model
        fix = Fix(message="add .order_by(...)", path=context.path, line=call.lineno or 1)
        yield context.finding(
            RULE, call, _message(name, f"Paginator({queryset.text}, ...)"), model=queryset.model, fix=fix
        )


def check(context: FileContext) -> Iterator[Finding]:
    if in_migrations(context):
        return
    yield from _view_findings(context)
    yield from _paginator_findings(context)


RULE = Rule(
    code="ORM505",
    name="unordered-paginated-model",
    summary="A queryset without ordering is paginated, so pages can repeat or skip rows.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
