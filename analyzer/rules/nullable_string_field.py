"""ORM501 nullable-string-field: a string-based model field declared with ``null=True``."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.modelgraph import FieldKind
from analyzer.rules._base import Rule
from analyzer.rules._review import declared_models, field_statements

# Django's string-based fields, and project subclasses named after them ("RichTextField", "LowerCaseEmailField").
STRING_FIELD_SUFFIXES = ("CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField")

BAD_EXAMPLE = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    nickname = models.CharField(max_length=50, null=True, blank=True)

    def __str__(self):
        return self.name
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("max_length=50, null=True, blank=True", 'max_length=50, blank=True, default=""')

DOCS = f"""\
## What it does
Finds `CharField`, `TextField`, `SlugField`, `EmailField`, `URLField` and `FilePathField` (and project
subclasses named after them) declared with `null=True`.

## Why is this bad?
A nullable string column has two values for "no data": `NULL` and the empty string. Filters, `exclude()`,
uniqueness and templates then have to handle both, and forms save `""` anyway. Django's convention is to store
the empty string and keep the column `NOT NULL`.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
A field with `unique=True` and `blank=True` needs `null=True`, so that several rows can leave it empty without
breaking the unique constraint: that combination is not reported. Migrations are never reported.

## References
- [Django: `Field.null`](https://docs.djangoproject.com/en/stable/ref/models/fields/#null)
"""


def is_string_field(field_class: str | None) -> bool:
    return field_class is not None and field_class.endswith(STRING_FIELD_SUFFIXES)


def _article(class_name: str | None) -> str:
    """ "a" or "an" as the name is read aloud: an EmailField, a URLField (you-are-el), an IPAddressField."""
    class_name = class_name or ""
    if class_name[:2].isupper():
        return "an" if class_name[0] in "AEFHILMNORSX" else "a"
    return "an" if class_name[:1].lower() in ("a", "e", "i", "o") else "a"


def check(context: FileContext) -> Iterator[Finding]:
    for declared in declared_models(context):
        model = declared.info
        for target, _ in field_statements(declared.node):
            field = model.fields.get(target.name)
            if field is None or field.kind is not FieldKind.FIELD or field.declared_in != model.qualname:
                continue
            if not field.null or not is_string_field(field.field_class):
                continue
            if field.unique and field.blank:
                continue  # NULL keeps several empty values from clashing on the unique constraint
            message = (
                f"{model.name}.{field.name} is {_article(field.field_class)} {field.field_class} with null=True: "
                'empty values can be NULL or ""; '
                'drop null=True (use blank=True, default="" if it may be empty)'
            )
            fix = Fix(message="remove null=True", path=context.path, line=target.lineno or 1)
            yield context.finding(RULE, target, message, model=model.label, field=field.name, fix=fix)


RULE = Rule(
    code="ORM501",
    name="nullable-string-field",
    summary="A string-based field has null=True, so empty values can be NULL or the empty string.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
