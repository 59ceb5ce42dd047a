"""ORM503 foreign-key-without-related-name: a ForeignKey or OneToOneField declared without ``related_name``."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.context import FileContext, call_keyword
from analyzer.findings import Finding, Fix, Severity
from analyzer.modelgraph import FieldKind
from analyzer.rules._base import Rule
from analyzer.rules._review import declared_models, field_statements

BAD_EXAMPLE = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)

    def __str__(self):
        return self.title
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("on_delete=models.CASCADE)", 'on_delete=models.CASCADE, related_name="books")')

DOCS = f"""\
## What it does
Finds a `ForeignKey` or `OneToOneField` declared without `related_name`.

## Why is this bad?
Django then names the reverse accessor after the model: `author.book_set`, `user.profile`. The name is easy to
misread, changes when the model is renamed, and is what every `prefetch_related("book_set")` and
`annotate(Count("book"))` has to spell. An explicit `related_name="books"` documents the relation where it is
declared, and `related_name="+"` says on purpose that no reverse accessor is wanted.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
A field declared on an abstract model is reported once, on the abstract model (use `"%(class)s"` in its
`related_name`). `ManyToManyField` is not checked. The `parent_link` one-to-one of multi-table inheritance is
not reported.
"""


def check(context: FileContext) -> Iterator[Finding]:
    for declared in declared_models(context):
        model = declared.info
        for target, call in field_statements(declared.node):
            field = model.fields.get(target.name)
            if field is None or field.kind not in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE):
                continue
            if field.declared_in != model.qualname or call_keyword(call, "related_name") is not None:
                continue
            parent_link = call_keyword(call, "parent_link")
            if isinstance(parent_link, nodes.Const) and parent_link.value is True:
                continue
            target_model = context.project.graph.get(field.target) if field.target else None
            target_name = target_model.name if target_model else (field.target or "the target").rpartition(".")[2]
            owner = "<model>" if model.abstract else model.name.lower()
            default = owner if field.kind is FieldKind.ONE_TO_ONE else f"{owner}_set"
            gets = "gets an accessor per subclass" if model.abstract else "gets the accessor"
            message = (
                f"{model.name}.{field.name} has no related_name, so {target_name} {gets} "
                f'"{default}"; name it (related_name="...", or "+" for none)'
            )
            fix = Fix(message="add related_name=...", path=context.path, line=target.lineno or 1)
            yield context.finding(RULE, target, message, model=model.label, field=field.name, fix=fix)


RULE = Rule(
    code="ORM503",
    name="foreign-key-without-related-name",
    summary="A ForeignKey or OneToOneField has no related_name, so the reverse accessor is named model_set.",
    severity=Severity.INFO,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
