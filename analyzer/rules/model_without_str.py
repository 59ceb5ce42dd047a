"""ORM502 model-without-str: a concrete model that neither defines nor inherits ``__str__``."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import MODEL_ROOTS, at_class_name, class_chain, declared_models

BAD_EXAMPLE = """\
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50)
"""

GOOD_EXAMPLE = """\
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name
"""

DOCS = f"""\
## What it does
Finds a concrete model that neither defines `__str__` nor inherits one from a base class (abstract models,
mixins and concrete parents in other files count).

## Why is this bad?
Without `__str__` the admin, the shell, logs, error pages and form choices show `Tag object (17)`, which tells
nobody anything.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Abstract models are not reported (their concrete subclasses are). Proxy models are not reported: they inherit
`__str__` from the model they stand for, which is reported if it lacks one. A model with a base class from
outside the analysed paths (a third-party mixin) is not reported, because that base may define `__str__`.
"""


def check(context: FileContext) -> Iterator[Finding]:
    for declared in declared_models(context):
        model = declared.info
        if model.abstract or model.proxy or model.has_str:
            continue
        chain = class_chain(context, context.source.modname, declared.node)
        if chain.unresolved or chain.external_bases - MODEL_ROOTS or chain.defines("__str__"):
            continue
        message = f'model {model.name} has no __str__, so it shows as "{model.name} object (1)"; define __str__'
        fix = Fix(message="define __str__", path=context.path, line=declared.node.lineno or 1)
        yield at_class_name(context.finding(RULE, declared.node, message, model=model.label, fix=fix), declared.node)


RULE = Rule(
    code="ORM502",
    name="model-without-str",
    summary='A concrete model has no __str__, so it shows as "Model object (1)".',
    severity=Severity.INFO,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
