"""Which write-in-loop findings carry an edit: the analysis's half of the bulk-write fixes (ORM301-ORM303).

The layout of the loop is checked when the fix is made (tests/analyzer/test_fix_writes.py); here, what only the
analysis knows: the model and its fields, whether its class is a name of the module, whether the loop iterates a
queryset expression, and whether anything else in the loop touches the database.
"""

from __future__ import annotations

from pathlib import Path

import astroid
import pytest

from analyzer.cli import main
from analyzer.findings import Applicability
from analyzer.fix.signals import ANY_SENDER, save_receiver_senders
from tests.analyzer.helpers import analyze_tree, write_tree

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=100)
    price = models.IntegerField()
    stock = models.IntegerField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Ebook(Book):
    url = models.URLField()


class CleanupMixin:
    def delete(self, *args, **kwargs):
        return super().delete(*args, **kwargs)


class Attachment(CleanupMixin, models.Model):
    name = models.CharField(max_length=50)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)


class Review(models.Model):
    body = models.TextField()


class Note(models.Model):
    body = models.TextField()
"""

SIGNALS = """
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from app.models import Book, Review


@receiver(post_save, sender=Review)
def review_saved(sender, **kwargs):
    pass


def note_saved(sender, **kwargs):
    pass


post_save.connect(note_saved, sender="app.Note")


@receiver(pre_delete, sender=Book)  # queryset delete() sends pre_delete too
def book_deleted(sender, **kwargs):
    pass
"""

SERVICES = """
from app.models import Attachment, Author, Book, Ebook, Note, Tag, Review


def add(names):
    for name in names:
        Tag.objects.create(name=name)


def add_checked(names):
    for name in names:
        if not Tag.objects.filter(name=name).exists():
            Tag.objects.create(name=name)


def add_ebooks(titles):
    for title in titles:
        Ebook.objects.create(title=title, price=1, stock=1)


def discount(rate):
    for book in Book.objects.all():
        book.price = book.price * rate
        book.stock -= 1
        book.save()


def restock():
    for book in Book.objects.all():
        book.stock = 1
        book.price = 2
        book.save(update_fields=["stock"])


def relink(author):
    for book in Book.objects.all():
        book.author_id = author.pk
        book.save()


def renumber():
    for book in Book.objects.all():
        book.id = 1
        book.save()


def annotate():
    for book in Book.objects.all():
        book.note = "x"
        book.save()


def purge():
    for book in Book.objects.filter(stock=0):
        book.delete()


def purge_list():
    for book in list(Book.objects.filter(stock=0)):
        book.delete()


def purge_counted():
    count = 0
    for book in Book.objects.filter(stock=0):
        book.delete()
        count += 1
    return count


def attach(names):
    for name in names:
        Attachment.objects.create(name=name)


def rename_attachments():
    for attachment in Attachment.objects.all():
        attachment.name = "x"
        attachment.save()


def purge_attachments():
    for attachment in Attachment.objects.all():
        attachment.delete()


def tag_books(names):
    for name in names:
        Tag.objects.create(name=name)
        for book in Book.objects.filter(title=name):
            Book.objects.create(title=book.title, price=1, stock=1)


def review(bodies):
    for body in bodies:
        Review.objects.create(body=body)


def shorten_notes():
    for note in Note.objects.all():
        note.body = note.body[:10]
        note.save()
"""

OTHER = """
from app.models import Author


def discount(author: Author):
    for book in author.books.all():
        book.price = 1
        book.save()
"""


def test_write_findings_carry_an_unsafe_edit_exactly_where_the_analysis_is_sure(tmp_path: Path) -> None:
    result = analyze_tree(
        tmp_path,
        {"app/models.py": MODELS, "app/services.py": SERVICES, "app/other.py": OTHER, "app/signals.py": SIGNALS},
        select=("ORM3",),
    )

    edits = {
        (finding.path, finding.line, finding.code): (
            (finding.fix.edit.kind, finding.fix.edit.arguments, finding.fix.edit.applicability)
            if finding.fix is not None and finding.fix.edit is not None
            else None
        )
        for finding in result.findings
    }
    unsafe = Applicability.UNSAFE
    assert edits == {
        ("app/services.py", 6, "ORM302"): ("bulk_create", ("Tag",), unsafe),
        # The loop also queries Tag: with one bulk_create() the check would not see the names inserted before.
        ("app/services.py", 12, "ORM302"): None,
        # A multi-table child: bulk_create() raises for it.
        ("app/services.py", 17, "ORM302"): None,
        ("app/services.py", 24, "ORM301"): ("bulk_update", ("Book", "price", "stock"), unsafe),
        # update_fields says what save() writes.
        ("app/services.py", 31, "ORM301"): ("bulk_update", ("Book", "stock"), unsafe),
        ("app/services.py", 37, "ORM301"): ("bulk_update", ("Book", "author_id"), unsafe),
        # bulk_update() cannot write the primary key, nor an attribute that is not a field.
        ("app/services.py", 43, "ORM301"): None,
        ("app/services.py", 49, "ORM301"): None,
        ("app/services.py", 54, "ORM303"): ("queryset_delete", (), unsafe),
        # A list of rows is not a queryset to delete; a loop that counts does more than delete.
        ("app/services.py", 59, "ORM303"): None,
        ("app/services.py", 65, "ORM303"): None,
        # The model's save() or delete() (its own, or a base class's) would be skipped by the bulk write.
        ("app/services.py", 72, "ORM302"): None,
        ("app/services.py", 78, "ORM301"): None,
        ("app/services.py", 83, "ORM303"): None,
        # The inner loop writes and queries inside the outer one, which then has no edit; the inner loop's own
        # body does nothing else (its iterable runs once, before it).
        ("app/services.py", 88, "ORM302"): None,
        ("app/services.py", 90, "ORM302"): ("bulk_create", ("Book",), unsafe),
        # A post_save receiver listens to Review and to Note: bulk_create() and bulk_update() would not call it.
        ("app/services.py", 95, "ORM302"): None,
        ("app/services.py", 101, "ORM301"): None,
        # Book is not a name in other.py, so bulk_update() could not be called there.
        ("app/other.py", 7, "ORM301"): None,
    }


LOOPS = """
from app.models import Tag


def add(names):
    for name in names:
        Tag.objects.create(name=name)  # one INSERT each


def add_until_blank(names):
    for name in names:
        if not name:
            break
        Tag.objects.create(name=name)
"""


def test_fix_writes_bulk_writes_only_with_unsafe_fixes_and_says_why_a_loop_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"app/models.py": MODELS, "app/loops.py": LOOPS})
    monkeypatch.chdir(tmp_path)

    safe = main(["--select", "ORM302", "--no-cache", "--fix", "."])
    assert (safe, capsys.readouterr().err.splitlines()[-1]) == (1, "Fixed 0 findings in 0 files.")
    assert (tmp_path / "app/loops.py").read_text(encoding="utf-8") == LOOPS.lstrip("\n")

    code = main(["--select", "ORM302", "--no-cache", "--fix", "--unsafe-fixes", "."])

    assert code == 1
    # Said once, at the line of the file as fixed (the first loop's fix moved it down by two).
    assert capsys.readouterr().err.splitlines() == [
        "app/loops.py:15: ORM302 not fixed: the loop has a break statement, so the bulk write after it may not run as "
        "the per-row writes did",
        "Fixed 1 finding in 1 file.",
    ]
    assert (tmp_path / "app/loops.py").read_text(encoding="utf-8") == LOOPS.lstrip("\n").replace(
        "    for name in names:\n        Tag.objects.create(name=name)  # one INSERT each\n",
        "    new_tags: list[Tag] = []\n"
        "    for name in names:\n"
        "        new_tags.append(Tag(name=name))  # one INSERT each\n"
        "    Tag.objects.bulk_create(new_tags)\n",
    )


def test_save_receivers_are_found_by_decorator_and_by_connect_and_without_a_sender_listen_to_all() -> None:
    module = astroid.parse(
        """
        from django.db.models import signals
        from django.db.models.signals import post_save, pre_save
        from django.dispatch import receiver

        @receiver([pre_save, post_save], sender=shop.Order)
        def order_saved(sender, **kwargs): ...

        signals.pre_save.connect(stamp, sender=Invoice)
        signals.post_delete.connect(forget, sender=Receipt)
        """
    )
    everything = astroid.parse("from django.db.models.signals import post_save\npost_save.connect(audit)\n")

    assert save_receiver_senders([module]) == {"Order", "Invoice"}
    assert save_receiver_senders([module, everything]) == {"Order", "Invoice", ANY_SENDER}
