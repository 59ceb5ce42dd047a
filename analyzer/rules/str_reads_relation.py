"""ORM504 str-reads-relation: a model's ``__str__`` reads a related object, a query wherever rows are listed."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, RelatedLocation, Severity
from analyzer.modelgraph import SINGLE_RELATIONS, FieldKind
from analyzer.rules._base import Rule
from analyzer.rules._review import declared_models

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
        return f"{self.title} by {self.author.name}"
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace('return f"{self.title} by {self.author.name}"', "return self.title")

DOCS = f"""\
## What it does
Finds a model's `__str__` that reads a foreign key, one-to-one or generic foreign key of `self` (anything beyond
the `<field>_id` column).

## Why is this bad?
`__str__` runs wherever a row is shown: admin change lists and filters, form choices, autocomplete, log lines and
templates. Each call loads the related object with its own query unless every one of those querysets remembers
to `select_related()` it: a hidden N+1 on every list of the model.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
Or keep the relation in `__str__` and give the querysets that list the model `select_related()` (for the admin,
`list_select_related`); ORM107 then reports the loops that miss it.

## Known problems
Only direct reads of `self.<relation>` in `__str__` are found, not those made through other methods or properties.
Reading `self.<relation>_id` is fine and not reported; `self.<relation>.id` is ORM407's.
"""


def _self_name(function: nodes.FunctionDef) -> str | None:
    arguments = function.args.posonlyargs or function.args.args or []
    return arguments[0].name if arguments else None


def check(context: FileContext) -> Iterator[Finding]:
    graph = context.project.graph
    for declared in declared_models(context):
        model = declared.info
        str_method = next(
            (
                statement
                for statement in declared.node.body
                if isinstance(statement, nodes.FunctionDef) and statement.name == "__str__"
            ),
            None,
        )
        if str_method is None:
            continue
        self_name = _self_name(str_method)
        reads: dict[str, nodes.Attribute] = {}
        for attribute in str_method.nodes_of_class(nodes.Attribute):
            expr = attribute.expr
            if not isinstance(expr, nodes.Name) or expr.name != self_name or attribute.attrname in reads:
                continue
            field = model.fields.get(attribute.attrname)
            if field is None or field.kind not in SINGLE_RELATIONS:
                continue
            key_read = isinstance(attribute.parent, nodes.Attribute) and attribute.parent.attrname in ("id", "pk")
            if key_read and field.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE):
                continue  # self.author.id: ORM407 reports it, with the fix self.author_id
            reads[attribute.attrname] = attribute
        if not reads:
            continue
        # One finding per __str__, at its first relation read: the fix is one select_related() for all of them.
        first = min(reads.values(), key=lambda node: (node.lineno or 0, node.col_offset or 0))
        names = list(reads)
        targets = [graph.get(model.fields[name].target or "") for name in names]
        queries = ", ".join(f"one {target.name if target else 'related object'} query" for target in targets)
        read_text = " and ".join(f"self.{name}" for name in names)
        paths = ", ".join(f'"{name}"' for name in names)
        message = (
            f"{model.name}.__str__ reads {read_text}: {queries} for every {model.name} shown "
            f"unless each queryset uses select_related({paths}); show own fields only"
        )
        fix = Fix(message=f"drop {read_text} from __str__", path=context.path, line=first.lineno or 1)
        related = (RelatedLocation(context.path, str_method.lineno or 1, f"{model.name}.__str__ defined here"),)
        yield context.finding(RULE, first, message, model=model.label, field=names[0], fix=fix, related=related)


RULE = Rule(
    code="ORM504",
    name="str-reads-relation",
    summary="A model's __str__ reads a related object: a query for every row shown.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
    runtime_match="relation",
)
