"""ORM115 table-column-related-access: a django-tables2 column reads a relation on each row of a table view."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext, ProjectContext
from analyzer.findings import Edit, Finding, Fix, RelatedLocation, Severity
from analyzer.integrations.reporting import fix_text, group_reads, make_finding, placed_fix, problem_text, read_text
from analyzer.integrations.tables import ColumnRead, project_table_reads
from analyzer.rules._base import Rule
from analyzer.rules._fixes import event_edit

BAD_EXAMPLE = """\
import django_tables2 as tables
from django.db import models
from django_tables2 import SingleTableView


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class BookTable(tables.Table):
    author_name = tables.Column(accessor="author__name")

    class Meta:
        model = Book
        fields = ("title",)


class BookListView(SingleTableView):
    model = Book
    table_class = BookTable
    queryset = Book.objects.all()
"""

GOOD_EXAMPLE = BAD_EXAMPLE.replace("Book.objects.all()", 'Book.objects.select_related("author")')

DOCS = f"""\
## What it does
Follows the rows of a django-tables2 table view (`SingleTableView`, `SingleTableMixin` with `table_class`, its
`get_queryset()`, `queryset` or `model`) into the table's columns and finds the relations each reads once per row:
an accessor through a relation (`Column(accessor="author__name")`, `A("author.name")`, a column named after a
relation), a `TemplateColumn`'s template (`template_name=` or `template_code=`, rendered with `record`), and
`render_<column>(self, value, record)` methods.

## Why is this bad?
The table renders every column of every row on the page: each relation read that way runs one query per row.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Tables built by hand in a view (`BookTable(queryset)`) and `linkify=` callables are not followed.
"""


def _findings(project: ProjectContext) -> list[tuple[str, Finding]]:
    """Every finding with the view file that reports it (a column template's finding is in the template)."""
    reads = sorted(
        project_table_reads(project),
        key=lambda read: (read.path, read.line, read.col, len(read.event.relation_path)),
    )
    by_event = {id(read.event): read for read in reads}
    groups = group_reads(
        ((read.view, read.origin_path, read.origin_line, read.table, read.column, read.path), read.event)
        for read in reads
    )
    findings: list[tuple[str, Finding]] = []
    seen: set[tuple[object, ...]] = set()
    for group in groups:
        read: ColumnRead = by_event[id(group.event)]
        event = group.event
        identity = (read.path, read.line, read.col, event.kind, group.fix_path, read.view)
        if identity in seen:
            continue
        seen.add(identity)
        fix = fix_text(event, group.fix_path)
        row_name = (event.model or "row").rpartition(".")[2].lower()
        text = read_text(event, group.fix_path) if read.in_code else f"{row_name}.{group.fix_path.replace('__', '.')}"
        message = (
            f"{read.table}.{read.column}: {text} {problem_text(event)} once per row of {read.origin_text} "
            f"listed by {read.view}; {placed_fix(fix, read.origin_path, read.origin_line)}"
        )
        findings.append(
            (
                read.view_path,
                make_finding(
                    RULE,
                    event,
                    path=read.path,
                    line=read.line,
                    column=read.col,
                    end_column=read.col,
                    message=message,
                    fix=Fix(fix, read.origin_path, read.origin_line, _edit(read, group.fix_path)),
                    related=(RelatedLocation(read.origin_path, read.origin_line, "queryset built here"),),
                ),
            )
        )
    return findings


def _edit(read: ColumnRead, path: str) -> Edit | None:
    origin = read.event.origin
    # The edit goes on the queryset that lists the rows, which is the rows' origin when both name the same line.
    if origin is None or (origin.path, origin.line) != (read.origin_path, read.origin_line):
        return None
    return event_edit(read.event, path)


def check(context: FileContext) -> Iterator[Finding]:
    findings = context.project.shared("rules.ORM115", lambda: _findings(context.project))
    for owner, finding in findings:
        if owner == context.path:
            yield finding


RULE = Rule(
    code="ORM115",
    name="table-column-related-access",
    summary="A django-tables2 column reads a relation on each row of a table view's queryset.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
