"""ORM503 foreign-key-without-related-name: ForeignKey and OneToOneField without related_name."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.conf import settings
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


"""


def test_foreign_key_and_one_to_one_without_related_name_are_reported(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
    )

    def __str__(self):
        return str(self.pk)
""",
        select=("ORM503",),
    )

    assert codes_and_lines(found) == [("ORM503", 13), ("ORM503", 14)]
    assert [finding.message for finding in found] == [
        'Book.author has no related_name, so Author gets the accessor "book_set"; '
        'name it (related_name="...", or "+" for none)',
        'Book.owner has no related_name, so User gets the accessor "book"; '
        'name it (related_name="...", or "+" for none)',
    ]
    assert [finding.field for finding in found] == ["author", "owner"]


def test_quiet_cases(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
RELATED = "books"


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    # "+": no reverse accessor, on purpose.
    editor = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    # a related_name that is not a literal is still a related_name.
    translator = models.ForeignKey(Author, on_delete=models.CASCADE, related_name=RELATED + "_translated")
    # many-to-many is not checked.
    fans = models.ManyToManyField(Author)

    def __str__(self):
        return str(self.pk)


class Ebook(Book):
    # the explicit multi-table parent link.
    book_ptr = models.OneToOneField(Book, on_delete=models.CASCADE, parent_link=True)
""",
        select=("ORM503",),
    )

    assert found == []


def test_field_on_an_abstract_base_is_reported_once_on_the_base(tmp_path: Path) -> None:
    found = analyze_snippet(
        tmp_path,
        MODELS
        + """\
class Authored(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE)

    class Meta:
        abstract = True


class Essay(Authored):
    def __str__(self):
        return str(self.pk)


class Poem(Authored):
    def __str__(self):
        return str(self.pk)
""",
        select=("ORM503",),
    )

    assert codes_and_lines(found) == [("ORM503", 13)]
    assert found[0].model == "app.Authored"
    assert found[0].message.startswith(
        'Authored.author has no related_name, so Author gets an accessor per subclass "<model>_set"'
    )
