"""ORM113 jinja-template-related-access: a Jinja2 template reads a relation on each row its view did not load."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Severity
from analyzer.integrations.template_findings import template_findings
from analyzer.rules._base import Rule

BAD_EXAMPLE = """\
from django.db import models
from jinja2 import Template


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


BOOK_LIST = Template("{% for book in books %}<li>{{ book.title }} by {{ book.author.name }}</li>{% endfor %}")


def book_list_html():
    return BOOK_LIST.render({"books": Book.objects.all()})
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.select_related("author")')

DOCS = f"""\
## What it does
ORM110 for Jinja2 templates: follows a view's queryset into the Jinja2 template it renders (Django's Jinja2 backend
or django-jinja, through `render()`, `TemplateResponse`, `render_to_string`, class-based views, or
`jinja2.Template(...).render()`), through `{{% extends %}}`, `{{% block %}}`, `{{% include %}}`, `{{% set %}}` and
`{{% with %}}`, and finds relations read on each row inside `{{% for %}}`: `{{{{ book.author.name }}}}`,
`{{% for tag in book.tags.all() %}}`, `{{{{ book.reviews.count() }}}}`, properties and `__str__` that read relations.
As Jinja2 does, a method runs only where the template calls it.

A template is read as Jinja2 when its name ends with `.jinja`, `.jinja2` or `.j2`, when it is found in an app's
`jinja2/` folder (the folder Django's Jinja2 backend searches), or when it uses syntax only Jinja2 has (`{{% set %}}`,
`{{% macro %}}`, calls such as `{{{{ url("home") }}}}`, whitespace control `{{%-`). Other templates are read as Django
templates (ORM110).

Only Jinja2's parser is used, so Jinja2 must be installed where the analysis runs (`pip install
django-orm-analyzer[jinja2]`); without it, Jinja2 templates are skipped and the run says so once.

## Why is this bad?
Each lookup runs a query per row while the page renders: a list of 50 books runs 51 queries or more. The template
cannot fix it; the view's queryset can, with `select_related()` or `prefetch_related()`.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Macros are not followed (their arguments are not known), nor are globals and filters a project registers on its
Jinja2 environment. Tags of Jinja2 extensions the analysis does not know (`{{% cache %}}`, `{{% csrf_token %}}`)
are skipped; what they enclose is read. A template Jinja2's parser rejects is listed in the log and not checked.
Suppress a finding with `{{# noqa: ORM113 #}}` on the template line.
"""


def check(context: FileContext) -> Iterator[Finding]:
    findings = context.project.shared("rules.ORM113", lambda: template_findings(context.project, RULE, "jinja2"))
    for owner, finding in findings:
        if owner == context.path:
            yield finding


RULE = Rule(
    code="ORM113",
    name="jinja-template-related-access",
    summary="A Jinja2 template reads a relation on each row of a queryset its view did not load.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
