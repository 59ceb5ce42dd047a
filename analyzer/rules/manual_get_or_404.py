"""ORM406 manual-get-or-404: a view's ``try: Model.objects.get() except DoesNotExist: 404`` written by hand."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext, call_keyword, nodes_of
from analyzer.findings import Finding, Fix, RelatedLocation, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import (
    callee_name,
    class_chain,
    in_migrations,
    model_label,
    queryset_expr,
    resolve,
    short_text,
)

BAD_EXAMPLE = """\
from django.db import models
from django.http import Http404
from django.shortcuts import render


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


def book_detail(request, pk):
    try:
        book = Book.objects.get(pk=pk)
    except Book.DoesNotExist:
        raise Http404("no such book")
    return render(request, "book_detail.html", {"book": book})
"""

GOOD_EXAMPLE = """\
from django.db import models
from django.shortcuts import get_object_or_404, render


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


def book_detail(request, pk):
    book = get_object_or_404(Book, pk=pk)
    return render(request, "book_detail.html", {"book": book})
"""

DOCS = f"""\
## What it does
Finds a view that calls `.get()` on a model's manager or queryset inside `try`, catches `Model.DoesNotExist`
(or `ObjectDoesNotExist`) and answers 404 by hand: `raise Http404`, `return HttpResponseNotFound(...)` or a
response with `status=404`.

## Why is this bad?
`get_object_or_404(Model, ...)` (or `get_object_or_404(queryset, ...)`) says the same in one line, cannot catch
the wrong exception, and keeps views uniform. It runs the same single query.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
A view is a function with a `request` parameter or a method of a class-based view. A handler that does more than
answer 404 (logging, a redirect, a fallback object) is not reported, since `get_object_or_404` cannot express it, and
neither is one that answers a `JsonResponse(..., status=404)`: `get_object_or_404` would send Django's HTML 404 page
to a client that expects JSON.
"""

_DOES_NOT_EXIST = frozenset({"django.core.exceptions.ObjectDoesNotExist", "django.core.exceptions.DoesNotExist"})
_NOT_FOUND_RESPONSES = frozenset({"HttpResponseNotFound"})
# A JsonResponse answers an API client with a JSON body: get_object_or_404 would answer Django's HTML 404 page
# instead, so it cannot replace it. DRF's Response stays: DRF answers Http404 with JSON of its own.
_RESPONSES_WITH_STATUS = frozenset({"HttpResponse", "Response", "TemplateResponse", "render"})


def _is_view(context: FileContext, function: nodes.FunctionDef) -> bool:
    arguments = [argument.name for argument in function.args.args or []]
    if "request" in arguments:
        return True
    classdef = function.parent
    if not isinstance(classdef, nodes.ClassDef):
        return False
    chain = class_chain(context, context.source.modname, classdef)
    bases = {qualname.rpartition(".")[2] for qualname in chain.external_bases}
    return any(qualname.startswith(("django.views", "rest_framework.")) for qualname in chain.external_bases) or any(
        base.endswith(("View", "ViewSet", "APIView")) for base in bases
    )


def _caught_model(context: FileContext, handler: nodes.ExceptHandler) -> tuple[bool, str | None]:
    """Whether the handler catches DoesNotExist, and the model label when it names ``Model.DoesNotExist``."""
    if handler.type is None:
        return False, None
    caught = handler.type.elts if isinstance(handler.type, nodes.Tuple) else [handler.type]
    for item in caught:
        if isinstance(item, nodes.Attribute) and item.attrname == "DoesNotExist":
            return True, model_label(context, item.expr)
        qualname = resolve(context, item)
        if qualname in _DOES_NOT_EXIST or (
            qualname is None and isinstance(item, nodes.Name) and item.name == "ObjectDoesNotExist"
        ):
            return True, None
    return False, None


def _is_404(context: FileContext, statement: nodes.NodeNG) -> bool:
    if isinstance(statement, nodes.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, nodes.Call) else statement.exc
        qualname = resolve(context, raised)
        name = qualname.rpartition(".")[2] if qualname else getattr(raised, "name", getattr(raised, "attrname", ""))
        return name in ("Http404", "NotFound")
    if isinstance(statement, nodes.Return) and isinstance(statement.value, nodes.Call):
        response = statement.value
        name = callee_name(response)
        if name in _NOT_FOUND_RESPONSES:
            return True
        status = call_keyword(response, "status")
        if name in _RESPONSES_WITH_STATUS and isinstance(status, nodes.Const) and status.value == 404:
            return True
        if isinstance(status, nodes.Attribute) and status.attrname == "HTTP_404_NOT_FOUND":
            return True
    return False


def _handler_only_404(context: FileContext, handler: nodes.ExceptHandler) -> bool:
    body = [statement for statement in handler.body if not isinstance(statement, nodes.Pass)]
    return len(body) == 1 and _is_404(context, body[0])


def _get_calls(try_node: nodes.Try) -> Iterator[nodes.Call]:
    for statement in try_node.body:
        for call in statement.nodes_of_class(nodes.Call, skip_klass=(nodes.FunctionDef, nodes.Lambda)):
            if isinstance(call.func, nodes.Attribute) and call.func.attrname in ("get", "aget"):
                yield call


def check(context: FileContext) -> Iterator[Finding]:
    if in_migrations(context):
        return
    for try_node in nodes_of(context.module, nodes.Try):
        function = try_node.scope()
        if not isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)) or not _is_view(context, function):
            continue
        handlers = [(handler, *_caught_model(context, handler)) for handler in try_node.handlers]
        matching = [
            (handler, label) for handler, catches, label in handlers if catches and _handler_only_404(context, handler)
        ]
        if not matching:
            continue
        handler, caught_label = matching[0]
        for call in _get_calls(try_node):
            assert isinstance(call.func, nodes.Attribute)
            queryset = queryset_expr(context, call.func.expr)
            if queryset is None and not (caught_label is not None and call.keywords):
                continue  # dict.get(key) and friends; a model's get() is known by its receiver or its lookups
            label = queryset.model if queryset is not None else caught_label
            if queryset is not None and caught_label is not None and caught_label != label:
                continue
            model = context.project.graph.get(label) if label else None
            name = model.name if model else "Model"
            # get_object_or_404 takes the model or the queryset the get() ran on.
            first = name if queryset is not None and queryset.methods == () else short_text(call.func.expr)
            message = (
                f"{short_text(call)} with a hand-written 404 on {name}.DoesNotExist; "
                f"use get_object_or_404({first}, ...)"
            )
            fix = Fix(message=f"use get_object_or_404({first}, ...)", path=context.path, line=call.lineno or 1)
            related = (RelatedLocation(context.path, handler.lineno or 1, "404 answered here"),)
            yield context.finding(RULE, call, message, model=label, fix=fix, related=related)
            break


RULE = Rule(
    code="ORM406",
    name="manual-get-or-404",
    summary="A view catches DoesNotExist around .get() to answer 404 by hand; use get_object_or_404().",
    severity=Severity.INFO,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
