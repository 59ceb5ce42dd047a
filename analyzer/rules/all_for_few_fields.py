"""ORM901 all-for-few-fields (opt-in): a loop over whole model rows that reads only one or two of their fields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from astroid import nodes

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.modelgraph import FieldKind, ModelInfo
from analyzer.rules._base import Rule
from analyzer.rules._review import QuerySetExpr, in_migrations, queryset_expr

MIN_FIELDS = 6
MAX_READ_FIELDS = 2

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    isbn = models.CharField(max_length=13)
    summary = models.TextField()
    price = models.DecimalField(max_digits=8, decimal_places=2)
    pages = models.IntegerField()
    published_on = models.DateField()

    def __str__(self):
        return self.title


def all_titles():
    return [book.title for book in Book.objects.all()]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(
    "[book.title for book in Book.objects.all()]", 'list(Book.objects.values_list("title", flat=True))'
)

DOCS = f"""\
## What it does
Finds a loop (a `for` statement or a comprehension) over `Model.objects.all()` / `.filter(...)` whose body only
reads one or two concrete fields of each row, for a model with at least {MIN_FIELDS} columns, and does nothing
else with the rows (no relations, methods, saves, or passing the instance on).

## Why is this bad?
Every column of every row is fetched and a model instance built for each, only to read one or two values.
`values_list()` fetches just those columns and builds tuples; `only()` keeps instances but loads only the named
columns.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Options
Off by default (it is a trade-off, not a bug): turn it on with `--extend-select ORM901`.

## Known problems
Only querysets built in place from a model's manager (or a local variable assigned once from one) are checked.
"""

# Chains that already narrow the columns or load more than the rows' own fields.
_SHAPING_METHODS = frozenset(
    {"only", "defer", "values", "values_list", "select_related", "prefetch_related", "annotate"}
)


@dataclass(frozen=True)
class RowLoop:
    node: nodes.NodeNG  # the iterable, where the fix goes
    target: str
    body: tuple[nodes.NodeNG, ...]


def _loops(module: nodes.Module) -> Iterator[RowLoop]:
    for loop in module.nodes_of_class((nodes.For, nodes.AsyncFor)):
        if isinstance(loop.target, nodes.AssignName):
            yield RowLoop(loop.iter, loop.target.name, (*loop.body, *loop.orelse))
    for comprehension in module.nodes_of_class((nodes.ListComp, nodes.SetComp, nodes.GeneratorExp, nodes.DictComp)):
        generators = comprehension.generators
        for index, generator in enumerate(generators):
            if not isinstance(generator.target, nodes.AssignName):
                continue
            elements = (
                (comprehension.key, comprehension.value)
                if isinstance(comprehension, nodes.DictComp)
                else (comprehension.elt,)
            )
            later = [part for other in generators[index + 1 :] for part in (other.iter, *other.ifs)]
            yield RowLoop(generator.iter, generator.target.name, (*generator.ifs, *later, *elements))


def _column_names(model: ModelInfo) -> set[str]:
    columns: set[str] = set()
    for field in model.fields.values():
        if field.model != model.label:
            continue
        if field.kind is FieldKind.FIELD:
            columns.add(field.name)
        elif field.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE) and field.attname:
            columns.add(field.attname)
    return columns


def _fields_read(loop: RowLoop, columns: set[str]) -> list[str] | None:
    """The columns the loop reads from its rows, in first-read order, or None if it uses the rows otherwise."""
    read: list[str] = []
    for part in loop.body:
        for name in part.nodes_of_class(nodes.Name):
            if name.name != loop.target:
                continue
            parent = name.parent
            if not isinstance(parent, nodes.Attribute) or parent.expr is not name:
                return None  # the instance itself is used: passed on, stored, compared
            if isinstance(parent.parent, nodes.Call) and parent.parent.func is parent:
                return None  # a method call
            attribute = "id" if parent.attrname == "pk" else parent.attrname
            if attribute not in columns:
                return None  # a relation, property or annotation
            if attribute not in read:
                read.append(attribute)
        for assigned in part.nodes_of_class(nodes.AssignName):
            if assigned.name == loop.target:
                return None  # rebound inside the loop
        if any(
            isinstance(item.expr, nodes.Name) and item.expr.name == loop.target
            for item in part.nodes_of_class(nodes.AssignAttr)
        ):
            return None  # written to: the row is being modified
    return read


def _suggestion(queryset: QuerySetExpr, fields: list[str]) -> str:
    quoted = ", ".join(f'"{name}"' for name in fields)
    flat = ", flat=True" if len(fields) == 1 else ""
    return f"{queryset.text}.values_list({quoted}{flat}) (or .only({quoted}))"


def check(context: FileContext) -> Iterator[Finding]:
    if in_migrations(context):
        return
    graph = context.project.graph
    for loop in _loops(context.module):
        queryset = queryset_expr(context, loop.node)
        if queryset is None or set(queryset.methods) & _SHAPING_METHODS:
            continue
        model = graph.get(queryset.model)
        if model is None:
            continue
        columns = _column_names(model)
        if len(columns) < MIN_FIELDS:
            continue
        fields = _fields_read(loop, columns)
        if not fields or len(fields) > MAX_READ_FIELDS:
            continue
        read = " and ".join(f"{model.name}.{name}" for name in fields)
        message = (
            f"the loop reads only {read} of {queryset.text}, which loads all {len(columns)} columns of each row; "
            f"use {_suggestion(queryset, fields)}"
        )
        fix = Fix(message=f"use {_suggestion(queryset, fields)}", path=context.path, line=loop.node.lineno or 1)
        yield context.finding(RULE, loop.node, message, model=model.label, fix=fix)


RULE = Rule(
    code="ORM901",
    name="all-for-few-fields",
    summary="A loop loads whole rows but reads one or two fields; use values_list() or only().",
    severity=Severity.INFO,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
    default_enabled=False,
)
