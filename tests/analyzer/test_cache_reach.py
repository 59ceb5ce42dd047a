"""The result cache with the integrations that reach across files without an import: an edit to a signal
receiver, a Jinja2 template, a graphene type or a django-tables2 table gives the same findings as an uncached run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from tests.analyzer.helpers import write_tree
from tests.analyzer.test_graphql import MODELS as GRAPHQL_MODELS
from tests.analyzer.test_graphql import SCHEMA
from tests.analyzer.test_jinja import jinja_tree
from tests.analyzer.test_reach import SIGNAL_MODELS, SIGNAL_TASKS
from tests.analyzer.test_tables import ACTIONS, BASE_TABLES, TABLES, VIEWS
from tests.analyzer.test_tables import MODELS as TABLE_MODELS

# The receivers live in a module the writing file never imports (Django loads it from AppConfig.ready()).
RECEIVERS = """
from django.db.models.signals import post_save
from django.dispatch import receiver

from shop.models import Book, Review


@receiver(post_save, sender=Book)
def touch_reviews(sender, instance, created, **kwargs):
    Review.objects.filter(book=instance).update(book_id=instance.pk)
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> list[tuple[str, str, int]]:
    assert main(["--format", "json", "--exit-zero", *argv, "."]) == 0
    document = json.loads(capsys.readouterr().out)
    return [(finding["code"], finding["path"], finding["line"]) for finding in document["findings"]]


def cached_matches_uncached(capsys: pytest.CaptureFixture[str], select: str) -> list[tuple[str, str, int]]:
    cached = run(capsys, "--select", select)
    assert cached == run(capsys, "--select", select, "--no-cache")
    return cached


def test_editing_a_receiver_the_writer_does_not_import_updates_its_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    models = SIGNAL_MODELS.split("@receiver(post_save, sender=Book)")[0]
    write_tree(tmp_path, {"shop/models.py": models, "shop/receivers.py": RECEIVERS, "shop/tasks.py": SIGNAL_TASKS})
    monkeypatch.chdir(tmp_path)
    assert cached_matches_uncached(capsys, "ORM203") == [("ORM203", "shop/tasks.py", 7)]

    (tmp_path / "shop/receivers.py").write_text(RECEIVERS.replace("    Review.objects", "    pass  # Review.objects"))
    assert cached_matches_uncached(capsys, "ORM203") == []


def test_editing_a_jinja_template_updates_its_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, jinja_tree())
    monkeypatch.chdir(tmp_path)
    assert len(cached_matches_uncached(capsys, "ORM113")) == 3

    (tmp_path / "shop/templates/shop/_reviews.jinja").write_text("<span>reviews</span>\n")
    assert cached_matches_uncached(capsys, "ORM113") == [
        ("ORM113", "shop/templates/shop/book_list.jinja", 5),
        ("ORM113", "shop/templates/shop/book_list.jinja", 6),
    ]


def test_editing_a_graphene_schema_updates_its_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"shop/models.py": GRAPHQL_MODELS, "shop/schema.py": SCHEMA})
    monkeypatch.chdir(tmp_path)
    # author and reviews per list field (resolve_byline's self.author shares the author fix): 2 lists, 4 findings.
    assert len(cached_matches_uncached(capsys, "ORM114")) == 4

    (tmp_path / "shop/schema.py").write_text(SCHEMA.replace("    all_books = DjangoListField(BookType)\n", ""))
    assert len(cached_matches_uncached(capsys, "ORM114")) == 2


def test_editing_a_table_updates_its_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "shop/loading.py": "def get_class(module, name):\n    return None\n",
        "shop/models.py": TABLE_MODELS,
        "shop/base_tables.py": BASE_TABLES,
        "shop/tables.py": TABLES,
        "shop/views.py": VIEWS,
        "shop/templates/shop/customer_actions.html": ACTIONS,
    }
    write_tree(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert len(cached_matches_uncached(capsys, "ORM115")) == 4

    (tmp_path / "shop/tables.py").write_text(TABLES.replace('accessor=A("record.num_orders")', 'accessor="name"'))
    assert len(cached_matches_uncached(capsys, "ORM115")) == 3
