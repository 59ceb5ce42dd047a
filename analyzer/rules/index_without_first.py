"""ORM404 index-without-first: ``qs[0]`` on a queryset that may be empty, where ``qs.first()`` is meant."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import index_zero_sites, last_order_by, short_text

BAD_EXAMPLE = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


def any_book_titled(title):
    return Book.objects.filter(title=title)[0]
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace(".filter(title=title)[0]", ".filter(title=title).first()")

DOCS = f"""\
## What it does
Finds `qs[0]` on a queryset, outside a `try` that catches `IndexError` and not under an `if` that tests the
same queryset first.

## Why is this bad?
When no row matches, `qs[0]` raises `IndexError`: a 500 error for a page that should say "nothing found".
`qs.first()` returns `None` instead (and orders by the primary key when the queryset has no ordering, so the row
is the same from one call to the next).

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
`values()` and `values_list()` querysets are reported too: `.first()` works on them the same way. A queryset
ordered with `order_by(...)` is ORM405's (one finding per site). An emptiness check earlier in the function
(`if not qs: return`) is not seen; add `# noqa: ORM404` there.
"""


def check(context: FileContext) -> Iterator[Finding]:
    for site in index_zero_sites(context):
        if last_order_by(site.queryset) is not None:
            continue  # ORM405 reports ordered querysets
        text = short_text(site.node.value)
        message = (
            f"{text}[0] raises IndexError when no {site.queryset.model.rpartition('.')[2]} matches; "
            f"use {text}.first() and handle None"
        )
        fix = Fix(message="use .first()", path=context.path, line=site.node.lineno or 1)
        yield context.finding(RULE, site.node, message, model=site.queryset.model, fix=fix)


RULE = Rule(
    code="ORM404",
    name="index-without-first",
    summary="qs[0] raises IndexError on an empty queryset; use .first().",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
