"""ORM410 unbounded-queryset-rendered: a function view renders a whole queryset into a template context."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext, call_keyword, nodes_of
from analyzer.findings import Finding, Fix, RelatedLocation, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import (
    QuerySetExpr,
    callee_is,
    in_migrations,
    queryset_expr,
    single_local_value,
)

BAD_EXAMPLE = """\
from django.db import models
from django.shortcuts import render


class Book(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


def book_list(request):
    return render(request, "books.html", {"books": Book.objects.all()})
"""

GOOD_EXAMPLE = """\
from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import render


class Book(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


def book_list(request):
    page = Paginator(Book.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "books.html", {"page_obj": page})
"""

DOCS = f"""\
## What it does
Finds a function view that puts a whole queryset (`Model.objects.all()`, `.filter(...)`, ... without slicing or
a `Paginator`) into the context of `render()`, `TemplateResponse()` or `render_to_string()`.

## Why is this bad?
The template renders every row of the table: the query, the instances and the HTML all grow with the data, and a
page that is fast today times out next year.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
Or slice the queryset (`[:50]`), or use a `ListView` with `paginate_by`.

## Known problems
Only querysets built in place from a model's manager (or a local variable assigned once from one) are checked.
A small lookup table rendered whole (the categories of a menu) is reported too; add `# noqa: ORM410` there.
"""

_RENDERERS = frozenset(
    {
        "django.shortcuts.render",
        "django.template.response.TemplateResponse",
        "django.template.loader.render_to_string",
        "render",
        "TemplateResponse",
        "render_to_string",
    }
)
_BOUNDED_METHODS = frozenset({"none", "dates", "datetimes"})


def _context_argument(call: nodes.Call) -> nodes.NodeNG | None:
    by_keyword = call_keyword(call, "context")
    if by_keyword is not None:
        return by_keyword
    is_render_to_string = isinstance(call.func, (nodes.Name, nodes.Attribute)) and (
        (call.func.name if isinstance(call.func, nodes.Name) else call.func.attrname) == "render_to_string"
    )
    position = 1 if is_render_to_string else 2
    return call.args[position] if len(call.args) > position else None


def _context_values(node: nodes.NodeNG) -> Iterator[tuple[str, nodes.NodeNG]]:
    """The (key, value) pairs of a context dict literal, ``dict(...)`` call or local name bound once to one."""
    if isinstance(node, nodes.Name):
        assigned = single_local_value(node)
        if assigned is not None:
            yield from _context_values(assigned)
            # Keys added later: ``context["books"] = Book.objects.all()``.
            for subscript in nodes_of(node.scope(), nodes.Subscript):
                if (
                    isinstance(subscript.value, nodes.Name)
                    and subscript.value.name == node.name
                    and isinstance(subscript.parent, nodes.Assign)
                    and subscript in subscript.parent.targets
                    and isinstance(subscript.slice, nodes.Const)
                ):
                    yield str(subscript.slice.value), subscript.parent.value
        return
    if isinstance(node, nodes.Dict):
        for key, value in node.items:
            if isinstance(key, nodes.Const):
                yield str(key.value), value
    elif isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name) and node.func.name == "dict":
        for item in node.keywords or ():
            if item.arg:
                yield item.arg, item.value


def _is_function_view(function: nodes.NodeNG) -> bool:
    if not isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
        return False
    arguments = function.args.args or []
    return bool(arguments) and arguments[0].name == "request" and not isinstance(function.parent, nodes.ClassDef)


def _unbounded(context: FileContext, value: nodes.NodeNG) -> QuerySetExpr | None:
    queryset = queryset_expr(context, value)
    if queryset is None or set(queryset.methods) & _BOUNDED_METHODS:
        return None
    return queryset


def check(context: FileContext) -> Iterator[Finding]:
    if in_migrations(context):
        return
    for call in nodes_of(context.module, nodes.Call):
        if not _is_function_view(call.scope()) or not callee_is(context, call, _RENDERERS):
            continue
        context_node = _context_argument(call)
        if context_node is None:
            continue
        for key, value in _context_values(context_node):
            queryset = _unbounded(context, value)
            if queryset is None:
                continue
            model = queryset.model.rpartition(".")[2]
            message = (
                f'context["{key}"] renders every {model} row of {queryset.text}; paginate it '
                f"(Paginator(..., 25).get_page(...)) or slice it"
            )
            related: tuple[RelatedLocation, ...] = ()
            if value.lineno != call.lineno:
                related = (RelatedLocation(context.path, call.lineno or 1, "rendered here"),)
            fix = Fix(message="paginate the queryset", path=context.path, line=value.lineno or 1)
            yield context.finding(RULE, value, message, model=queryset.model, fix=fix, related=related)


RULE = Rule(
    code="ORM410",
    name="unbounded-queryset-rendered",
    summary="A view renders a whole queryset into a template; paginate or slice it.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
