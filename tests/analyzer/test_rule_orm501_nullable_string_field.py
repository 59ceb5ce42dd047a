"""ORM501 nullable-string-field: string-based fields declared with null=True."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_snippet, analyze_tree, codes_and_lines

HEADER = """\
from django.db import models


"""


def findings(tmp_path: Path, body: str) -> list[Finding]:
    return analyze_snippet(tmp_path, HEADER + body, select=("ORM501",))


def test_char_field_with_null_is_reported_at_the_field_line(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
class Author(models.Model):
    name = models.CharField(max_length=100)
    nickname = models.CharField(max_length=50, null=True, blank=True)
""",
    )

    assert codes_and_lines(found) == [("ORM501", 6)]
    assert found[0].column == 5
    assert found[0].message == (
        'Author.nickname is a CharField with null=True: empty values can be NULL or ""; '
        'drop null=True (use blank=True, default="" if it may be empty)'
    )
    assert (found[0].model, found[0].field) == ("app.Author", "nickname")


def test_every_string_field_class_and_named_subclass_is_reported(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
class RichTextField(models.TextField):
    pass


class Page(models.Model):
    body = models.TextField(null=True)
    slug = models.SlugField(null=True)
    email = models.EmailField(null=True)
    website = models.URLField(null=True)
    intro = RichTextField(null=True)
""",
    )

    assert codes_and_lines(found) == [("ORM501", 9), ("ORM501", 10), ("ORM501", 11), ("ORM501", 12), ("ORM501", 13)]
    assert [finding.message for finding in found] == [
        f'Page.{name} is {kind} with null=True: empty values can be NULL or ""; '
        'drop null=True (use blank=True, default="" if it may be empty)'
        for name, kind in [
            ("body", "a TextField"),
            ("slug", "a SlugField"),
            ("email", "an EmailField"),
            ("website", "a URLField"),
            ("intro", "a RichTextField"),
        ]
    ]


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
class Account(models.Model):
    # unique and blank: NULL keeps several empty values from clashing on the constraint.
    external_id = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # not a string column.
    age = models.IntegerField(null=True)
    # null=False spelled out.
    code = models.CharField(max_length=5, null=False)
    # a relation, not a string.
    parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE, related_name="children")
""",
    )

    assert found == []


def test_field_on_abstract_base_is_reported_once_on_the_base(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
class Named(models.Model):
    label = models.CharField(max_length=20, null=True)

    class Meta:
        abstract = True


class Shelf(Named):
    pass


class Box(Named):
    pass
""",
    )

    assert codes_and_lines(found) == [("ORM501", 5)]
    assert found[0].model == "app.Named"


def test_migrations_are_never_reported(tmp_path: Path) -> None:
    result = analyze_tree(
        tmp_path,
        {
            "shop/models.py": HEADER
            + "class Item(models.Model):\n    name = models.CharField(max_length=9)\n\n"
            + "    def __str__(self):\n        return self.name\n",
            "shop/migrations/0001_initial.py": """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[("name", models.CharField(max_length=9, null=True))],
        ),
    ]


class Legacy(models.Model):
    note = models.CharField(max_length=9, null=True)
    owner = models.ForeignKey("Item", on_delete=models.CASCADE)
""",
        },
        select=("ORM4", "ORM5"),
    )

    # The migration holds a null CharField, a model without __str__ and a ForeignKey without related_name.
    assert result.findings == ()
    assert result.errors == ()
