"""ORM110 template-related-access: a template reads a relation on each row of a queryset its view did not load."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext, ProjectContext
from analyzer.findings import Finding, Severity
from analyzer.integrations.template_findings import template_findings
from analyzer.rules._base import Rule

BAD_EXAMPLE = """\
from django.db import models
from django.template import Context, Template


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
    return BOOK_LIST.render(Context({"books": Book.objects.all()}))
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.select_related("author")')

DOCS = f"""\
## What it does
Follows a view's queryset into the template it renders (`render()`, `TemplateResponse`, `render_to_string`,
`get_template().render()`, `Template(...).render()`, project helpers that pass their template name and context
parameters on to one of these, and ListView/DetailView/TemplateView subclasses with their default template names,
`get_context_data()` and `render_to_response()`), through `{{% extends %}}`, `{{% block %}}`, `{{% include %}}` and
`{{% with %}}`, and finds relations read on each row inside `{{% for %}}`: `{{{{ book.author.name }}}}`,
`{{% for tag in book.tags.all %}}`, `{{{{ book.reviews.count }}}}`, properties and `__str__` that read relations, and
properties or methods that build a query for the row (`{{% for w in task.active_workflows %}}` where the property
returns `Workflow.objects.filter(tasks=self)`).

Class-based views are read once per concrete class: `self.model` and `self.queryset` come from the class or its
project base classes (Django's `None` when neither sets them), `get_queryset()` and `super()` calls run through
the project's base classes, and `{{% include view.results_template_name %}}` follows the view's class attribute (or
the `|default:` template when the attribute is `None`). A class with a `template_name` and a `get_context_data()`
method (an admin panel or component) counts as rendering that template with that context.

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
Custom template tags and filters are not followed, and a context the analysis cannot see (built by code it cannot
follow) is not checked. A model passed at run time (`as_view(model=...)`, view sets) is not guessed. Where a view's
own code builds the rows on one path and gets them from code it cannot follow on another (a search backend), the
path it can see is checked. Suppress a finding with `{{# noqa: ORM110 #}}` on the template line.
"""


def _findings(project: ProjectContext) -> list[tuple[str, Finding]]:
    """Every ORM110 finding with the view file that reports it."""
    return template_findings(project, RULE, "django")


def check(context: FileContext) -> Iterator[Finding]:
    findings = context.project.shared("rules.ORM110", lambda: _findings(context.project))
    for owner, finding in findings:
        if owner == context.path:
            yield finding


RULE = Rule(
    code="ORM110",
    name="template-related-access",
    summary="A template reads a relation on each row of a queryset its view did not load.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
