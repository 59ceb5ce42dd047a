"""ORM203 signal-receiver-query-in-loop: a model signal receiver queries once per row saved or deleted in a loop."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.context import FileContext
from analyzer.findings import Finding, Fix, RelatedLocation, Severity
from analyzer.flow.events import EventKind
from analyzer.integrations.signals import receiver_queries
from analyzer.rules._base import Rule
from analyzer.rules._flow import file_events, finding_for

BAD_EXAMPLE = """\
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver


class Author(models.Model):
    name = models.CharField(max_length=100)
    book_count = models.IntegerField(default=0)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


@receiver(post_save, sender=Book)
def count_books(sender, instance, created, **kwargs):
    count = Book.objects.filter(author_id=instance.author_id).count()
    Author.objects.filter(pk=instance.author_id).update(book_count=count)


def retitle():
    for book in Book.objects.filter(title__startswith=" "):
        book.title = book.title.strip()
        book.save()
"""

GOOD_EXAMPLE = """\
from django.db import models
from django.db.models import Count
from django.db.models.signals import post_save
from django.dispatch import receiver


class Author(models.Model):
    name = models.CharField(max_length=100)
    book_count = models.IntegerField(default=0)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


@receiver(post_save, sender=Book)
def count_books(sender, instance, created, **kwargs):
    count = Book.objects.filter(author_id=instance.author_id).count()
    Author.objects.filter(pk=instance.author_id).update(book_count=count)


def retitle():
    books = list(Book.objects.filter(title__startswith=" "))
    for book in books:
        book.title = book.title.strip()
    # bulk_update() sends no post_save: the counts are brought up to date once, for all authors.
    Book.objects.bulk_update(books, ["title"])
    authors = list(Author.objects.annotate(n=Count("books")))
    for author in authors:
        author.book_count = author.n
    Author.objects.bulk_update(authors, ["book_count"])
"""

DOCS = f"""\
## What it does
Finds the queries a model signal receiver runs for each row a loop saves, creates or deletes. Receivers are read
from `@receiver(post_save, sender=Book)` and `post_save.connect(handler, sender=Book)` (module level or
`AppConfig.ready()`); `pre_save`, `post_save`, `pre_delete` and `post_delete` are followed. The receiver is run with
`instance` bound to the row written in the loop, and each query it builds (`Book.objects.filter(...)`, `get()`,
`count()`, `update()`), and for rows just created each related manager it reads, is reported at the receiver's line,
with the write in the loop.

## Why is this bad?
Django sends the signal once per `save()` or `delete()`: a loop over 500 rows runs the receiver's queries 500 times,
hidden in another module. Bulk operations send no signal, so the receiver's work can be done once for all rows.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```

## Known problems
Relations the receiver reads on a row that was loaded (not created) are not counted: the queryset the row came from
may have loaded them. `QuerySet.update()` sends no signal and is not followed; custom signals are not followed.
"""


def check(context: FileContext) -> Iterator[Finding]:
    writes = [
        event
        for event in file_events(context)
        if event.kind in (EventKind.SAVE_IN_LOOP, EventKind.CREATE_IN_LOOP, EventKind.DELETE_IN_LOOP)
    ]
    if not writes:
        return
    seen: set[tuple[object, ...]] = set()
    for found in receiver_queries(context.project, writes):
        event, write, receiver = found.event, found.write, found.receiver
        identity = (event.path, event.line, event.node.col_offset, write.path, write.line, receiver.qualname)
        if identity in seen:
            continue
        seen.add(identity)
        if write.kind is EventKind.DELETE_IN_LOOP:
            fix_message = f"do {receiver.qualname}'s work once for all rows (one QuerySet.delete())"
        else:
            bulk = "bulk_create" if write.kind is EventKind.CREATE_IN_LOOP else "bulk_update"
            fix_message = f"write the rows with {bulk}() (no signal) and do {receiver.qualname}'s work once for all"
        written = write.text
        if not written.endswith(")"):
            written += ".delete()" if write.kind is EventKind.DELETE_IN_LOOP else ".save()"
        # Reported at the write, where the loop repeats the receiver's work: a loop in tests or a management
        # command is then treated like the other per-item work there (per-file-ignores), wherever the receiver is.
        message = (
            f"{written} sends {receiver.signal} once per item of the loop at line {write.loop_line}, and its receiver "
            f"{receiver.qualname} runs {event.text} each time ({event.path}:{event.line}); {fix_message}"
        )
        related = (RelatedLocation(event.path, event.line, f"{receiver.qualname} runs {event.text} here"), *event.via)
        fix = Fix(fix_message, write.path, write.loop_line or write.line)
        yield finding_for(context, RULE, write, message, fix, related)


RULE = Rule(
    code="ORM203",
    name="signal-receiver-query-in-loop",
    summary="A model signal receiver runs a query once per row saved or deleted in a loop.",
    severity=Severity.WARNING,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
