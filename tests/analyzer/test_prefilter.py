"""The text-only first pass: which files get an astroid tree, and that skipping the others changes no finding."""

from __future__ import annotations

import textwrap
from dataclasses import asdict
from pathlib import Path

import pytest

import analyzer.engine
from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.prefilter import FileFacts, ImportGraph, imported_names, scan
from tests.analyzer.helpers import write_tree

REPOSITORY = Path(__file__).resolve().parents[2]
FIXTURE_PROJECTS = ["flow_shop", "flow_models", "infra_rules", "runtime_project"]

MODELS = """
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=50)

        def __str__(self):
            return self.name

    class Book(models.Model):
        title = models.CharField(max_length=50)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

        def __str__(self):
            return self.title
"""


def facts(text: str, modname: str, *, is_package: bool = False) -> FileFacts:
    return scan(textwrap.dedent(text), modname, is_package=is_package)


def test_imported_names_are_absolute_for_relative_and_parenthesised_imports() -> None:
    text = textwrap.dedent(
        """
        import os.path as osp, json
        from . import selectors
        from ..core.models import (
            Base,
            Mixin as M,  # a comment
        )
        from .helpers import *
        def late():
            from shop.services import notify
        """
    )

    names = imported_names(text, "shop.views.lists", is_package=False)

    assert names == (
        "os.path",
        "json",
        "shop.views",
        "shop.views.selectors",
        "shop.core.models",
        "shop.core.models.Base",
        "shop.core.models.Mixin",
        "shop.views.helpers",
        "shop.services",
        "shop.services.notify",
    )


def test_relative_import_in_a_package_init_is_relative_to_the_package_itself() -> None:
    assert imported_names("from .models import Book\n", "shop", is_package=True) == ("shop.models", "shop.models.Book")


def test_a_file_without_orm_words_is_not_a_seed() -> None:
    assert facts("def slug(text):\n    return text.lower()\n", "shop.text").seed is False
    assert facts("for b in Book.objects.all():\n    b.author\n", "shop.loop").seed is True


def test_relevant_modules_are_seeds_their_importers_and_what_those_import() -> None:
    graph = ImportGraph(
        {
            "shop.models": facts("from django.db import models\n", "shop.models"),
            "shop.selectors": facts("from shop.models import Book\nfrom shop.util import same\n", "shop.selectors"),
            # No ORM word: it loops over what a selector returns.
            "shop.report": facts("from shop.selectors import books\nfor b in books(): b.author\n", "shop.report"),
            # No ORM word, imported by a relevant module: the flow follows calls into it.
            "shop.util": facts("def same(x):\n    return x\n", "shop.util"),
            "shop.textutil": facts("def slug(text):\n    return text.lower()\n", "shop.textutil"),
            "shop": facts("", "shop", is_package=True),
        }
    )

    assert graph.relevant() == {"shop.models", "shop.selectors", "shop.report", "shop.util", "shop"}


def test_a_helper_without_orm_words_is_parsed_so_the_flow_still_follows_it(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "shop/models.py": MODELS,
            "shop/passthrough.py": """
                def same(rows):
                    return rows
            """,
            "shop/report.py": """
                from shop.passthrough import same
                from shop import models

                def names():
                    return [book.author.name for book in same(models.Book.objects.all())]
            """,
            "shop/textutil.py": """
                def slug(text):
                    return text.lower()
            """,
        },
    )

    result = analyze([tmp_path], Config(select=("ORM101",)), cwd=tmp_path)

    assert [(finding.code, finding.path, finding.line) for finding in result.findings] == [
        ("ORM101", "shop/report.py", 5)
    ]


def test_a_skipped_file_with_a_syntax_error_is_still_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"shop/models.py": MODELS, "shop/broken.py": "def slug(:\n    pass\n"})

    result = analyze([tmp_path], Config(), cwd=tmp_path)

    assert [(error.path, error.message) for error in result.errors] == [
        ("shop/broken.py", "syntax error at line 1: invalid syntax")
    ]


def _findings_with_and_without_prefilter(
    monkeypatch: pytest.MonkeyPatch, path: Path, cwd: Path
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    with_prefilter = analyze([path], Config(), cwd=cwd)
    monkeypatch.setattr(analyzer.engine, "prefilter_applies", lambda rules: False)
    without_prefilter = analyze([path], Config(), cwd=cwd)
    assert with_prefilter.errors == without_prefilter.errors
    return (
        [asdict(finding) for finding in with_prefilter.findings],
        [asdict(finding) for finding in without_prefilter.findings],
    )


def test_prefilter_changes_no_finding_on_the_example_project(monkeypatch: pytest.MonkeyPatch) -> None:
    filtered, unfiltered = _findings_with_and_without_prefilter(monkeypatch, REPOSITORY / "example_project", REPOSITORY)

    assert filtered == unfiltered


@pytest.mark.parametrize("name", FIXTURE_PROJECTS)
def test_prefilter_changes_no_finding_on_fixture_projects(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    filtered, unfiltered = _findings_with_and_without_prefilter(
        monkeypatch, REPOSITORY / "tests" / "fixtures" / name, REPOSITORY
    )

    assert filtered == unfiltered
