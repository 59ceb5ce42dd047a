"""The result cache: identical output, no parsing on a warm run, and invalidation by content, models, version and
configuration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest

import analyzer.cache.keys
import analyzer.context
import analyzer.groups
import analyzer.workers
from analyzer.cache import CACHE_DIR_NAME, ResultCache, graph_from_json, graph_to_json
from analyzer.cli import main
from analyzer.modelgraph import FieldInfo, FieldKind, ModelGraph, ModelInfo
from tests.analyzer.helpers import write_tree

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
# The same models with the relation turned into a plain column: book.author no longer queries.
MODELS_WITHOUT_RELATION = MODELS.replace(
    'models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")', "models.CharField(max_length=50)"
)
REPORT = """
    from shop.models import Book

    def author_names():
        return [book.author.name for book in Book.objects.all()]
"""
# A leaf module: nothing imports it and it has no word of the project-wide integrations.
TASKS = """
    from shop.models import Book

    def bump():
        for book in Book.objects.all():
            book.save()
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path, {"shop/models.py": MODELS, "shop/report.py": REPORT, "shop/tasks.py": TASKS})
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The display paths of the files each run builds an astroid tree for, in order."""
    names: list[str] = []
    original = analyzer.groups.parse_source

    def recording(builder: object, source: analyzer.context.SourceFile, text: str) -> object:
        names.append(source.display_path)
        return original(builder, source, text)

    monkeypatch.setattr(analyzer.groups, "parse_source", recording)
    yield names


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The display paths of the files each run runs the rules on (serially: the tree is small)."""
    names: list[str] = []
    original = analyzer.workers.check_file

    def recording(context: analyzer.context.FileContext, rules: object) -> object:
        names.append(context.path)
        return original(context, rules)  # type: ignore[arg-type]

    monkeypatch.setattr(analyzer.workers, "check_file", recording)
    yield names


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, dict[str, object]]:
    code = main(["--format", "json", "--exit-zero", *argv, "."])
    assert code == 0
    out = capsys.readouterr().out
    return out, json.loads(out)


def without_seconds(output: str) -> str:
    document = json.loads(output)
    del document["summary"]["seconds"]
    return json.dumps(document)


def codes_and_places(document: dict[str, object]) -> list[tuple[str, str, int]]:
    findings = document["findings"]
    assert isinstance(findings, list)
    return [(finding["code"], finding["path"], finding["line"]) for finding in findings]


def test_cached_and_uncached_runs_print_identical_json_but_for_the_seconds(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uncached, _ = run_json(capsys, "--no-cache")
    cold, _ = run_json(capsys)
    warm, _ = run_json(capsys)

    assert without_seconds(cold) == without_seconds(uncached)
    assert without_seconds(warm) == without_seconds(uncached)
    assert json.loads(warm)["summary"]["findings"] == 2


def test_warm_run_with_nothing_changed_builds_no_tree(
    project: Path, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    run_json(capsys)
    assert parsed == ["shop/__init__.py", "shop/models.py", "shop/report.py", "shop/tasks.py"]
    parsed.clear()

    _, document = run_json(capsys)

    assert parsed == []
    assert codes_and_places(document) == [("ORM101", "shop/report.py", 4), ("ORM301", "shop/tasks.py", 5)]


def test_editing_a_leaf_file_rechecks_only_that_file(
    project: Path, capsys: pytest.CaptureFixture[str], checked: list[str]
) -> None:
    run_json(capsys)
    checked.clear()
    (project / "shop" / "tasks.py").write_text("from shop.models import Book\n\nBOOKS = Book.objects.all()\n")

    _, document = run_json(capsys)

    assert checked == ["shop/tasks.py"]
    assert codes_and_places(document) == [("ORM101", "shop/report.py", 4)]


def test_editing_a_model_changes_findings_in_a_file_that_was_not_edited(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before = run_json(capsys)
    write_tree(project, {"shop/models.py": MODELS_WITHOUT_RELATION})

    _, after = run_json(capsys)

    assert codes_and_places(before) == [("ORM101", "shop/report.py", 4), ("ORM301", "shop/tasks.py", 5)]
    assert codes_and_places(after) == [("ORM301", "shop/tasks.py", 5)]


def test_a_new_analyzer_version_invalidates_every_entry(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, checked: list[str]
) -> None:
    run_json(capsys)
    checked.clear()
    monkeypatch.setattr(analyzer.cache.keys, "analyzer_fingerprint", lambda: "a newer analyzer")

    run_json(capsys)

    assert checked == ["shop/__init__.py", "shop/models.py", "shop/report.py", "shop/tasks.py"]


def test_a_different_selection_is_not_answered_from_the_cache(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, everything = run_json(capsys)

    _, selected = run_json(capsys, "--select", "ORM301")

    assert codes_and_places(everything) == [("ORM101", "shop/report.py", 4), ("ORM301", "shop/tasks.py", 5)]
    assert codes_and_places(selected) == [("ORM301", "shop/tasks.py", 5)]


def test_noqa_added_after_a_cached_run_still_suppresses(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_json(capsys)
    report = project / "shop" / "report.py"
    report.write_text(report.read_text().replace("Book.objects.all()]", "Book.objects.all()]  # noqa: ORM101"))

    _, document = run_json(capsys)

    assert codes_and_places(document) == [("ORM301", "shop/tasks.py", 5)]


def test_no_cache_flag_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_json(capsys, "--no-cache")

    assert not (project / CACHE_DIR_NAME).exists()


def test_cache_false_in_the_configuration_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.django-orm-analyzer]\ncache = false\n", encoding="utf-8")

    run_json(capsys)

    assert not (project / CACHE_DIR_NAME).exists()


def test_cache_lives_under_the_configuration_root_with_no_temporary_files_left(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys)

    folder = project / CACHE_DIR_NAME
    entries = sorted(path.relative_to(folder).parts[0] for path in folder.rglob("*.json"))
    assert entries == [
        "file",
        "file",
        "file",
        "file",
        "graph",
        "parse-index",
        "parse-index",
        "project",
        "project-index",
        "run",
    ]
    assert list(folder.rglob(".tmp-*")) == []
    assert (folder / ".gitignore").read_text() == "*\n"


def test_a_corrupt_entry_is_a_miss_and_is_rewritten(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = run_json(capsys)
    for entry in (project / CACHE_DIR_NAME).rglob("*.json"):
        entry.write_text("{not json")

    second, _ = run_json(capsys)

    assert without_seconds(second) == without_seconds(first)
    assert all(json.loads(entry.read_text())["format"] == 1 for entry in (project / CACHE_DIR_NAME).rglob("*.json"))


def test_result_cache_round_trips_a_payload(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")

    cache.put("run", "ab12", {"findings": [], "errors": [{"path": "a.py", "message": "m"}]})

    assert cache.get("run", "ab12") == {"findings": [], "errors": [{"path": "a.py", "message": "m"}]}
    assert cache.get("run", "cd34") is None


def test_editing_an_imported_helper_rechecks_the_helper_and_its_importers(
    project: Path, capsys: pytest.CaptureFixture[str], checked: list[str]
) -> None:
    write_tree(
        project,
        {
            "shop/rows.py": "def same(rows):\n    return rows\n",
            "shop/report.py": """
                from shop.models import Book
                from shop.rows import same

                def author_names():
                    return [book.author.name for book in same(Book.objects.all())]
            """,
        },
    )
    run_json(capsys)
    checked.clear()
    (project / "shop" / "rows.py").write_text("def same(rows):\n    return list(rows)\n")

    run_json(capsys)

    assert checked == ["shop/report.py", "shop/rows.py"]


def test_editing_a_view_rechecks_the_view_and_the_models_but_not_a_file_that_cannot_see_it(
    project: Path, capsys: pytest.CaptureFixture[str], checked: list[str]
) -> None:
    view = 'from django.shortcuts import render\n\ndef home(request):\n    return render(request, "home.html", {})\n'
    write_tree(project, {"shop/views.py": view})
    run_json(capsys)
    checked.clear()
    (project / "shop" / "views.py").write_text(view.replace("home.html", "index.html"))

    run_json(capsys)

    # models.py can hold a template, serializer or admin read (a property); report.py and tasks.py import neither
    # the view nor anything it imports, so no integration reports in them.
    assert checked == ["shop/models.py", "shop/views.py"]


ADMIN = """
    from django.contrib import admin

    from shop.models import Book

    @admin.register(Book)
    class BookAdmin(admin.ModelAdmin):
        list_display = ("title", "author_label")
"""
AUTHOR_LABEL = """
        def author_label(self):
            return self.author.name
"""


def test_editing_an_admin_updates_its_finding_in_the_model_file_that_does_not_import_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(project, {"shop/models.py": MODELS + AUTHOR_LABEL, "shop/admin.py": ADMIN})
    _, before = run_json(capsys)
    (project / "shop" / "admin.py").write_text(dedent(ADMIN).replace(', "author_label"', ""))

    cached_output, after = run_json(capsys)
    uncached_output, _ = run_json(capsys, "--no-cache")

    assert ("ORM112", "shop/models.py", 17) in codes_and_places(before)
    assert ("ORM112", "shop/models.py", 17) not in codes_and_places(after)
    assert without_seconds(cached_output) == without_seconds(uncached_output)


def test_editing_one_view_rechecks_a_view_built_on_a_project_base_view_without_view_words(
    project: Path, capsys: pytest.CaptureFixture[str], checked: list[str]
) -> None:
    view = 'from django.shortcuts import render\n\ndef home(request):\n    return render(request, "home.html", {})\n'
    write_tree(
        project,
        {
            "shop/views.py": view,
            "shop/listing.py": "from django.views.generic import ListView\n\nclass Listing(ListView):\n    pass\n",
            "shop/books.py": "from shop.listing import Listing\nfrom shop.models import Book\n\n"
            "class Books(Listing):\n    model = Book\n",
        },
    )
    run_json(capsys)
    checked.clear()
    (project / "shop" / "views.py").write_text(view.replace("home.html", "index.html"))

    run_json(capsys)

    assert checked == ["shop/books.py", "shop/listing.py", "shop/models.py", "shop/views.py"]


BOOK_VIEW = """
    from django.shortcuts import render

    from shop.models import Book

    def book_list(request):
        return render(request, "shop/book_list.html", {"books": Book.objects.all()})
"""
BOOK_TEMPLATE = (
    "<ul>\n{% for book in books %}\n  <li>{{ book.title }} by {{ book.author.name }}</li>\n{% endfor %}\n</ul>\n"
)
SERIALIZERS = """
    from rest_framework import serializers, viewsets

    from shop.models import Book

    class BookSerializer(serializers.ModelSerializer):
        author_name = serializers.CharField(source="author.name")

        class Meta:
            model = Book
            fields = ["title", "author_name"]

    class BookViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = Book.objects.all()
        serializer_class = BookSerializer
"""
# A leaf that imports the viewset module (so it is among the files the integrations could report in) but holds
# no render, viewset or admin of its own.
VIEW_LEAF = """
    from shop import api

    def describe():
        return api.__name__
"""


@pytest.fixture
def integration_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """One entry per computation of the project-wide ORM110 and ORM111 results."""
    import analyzer.rules.serializer_related_access as orm111
    import analyzer.rules.template_related_access as orm110

    runs: list[str] = []
    for module, code in ((orm110, "ORM110"), (orm111, "ORM111")):
        original = module._findings

        def recording(project: object, original: object = original, code: str = code) -> object:
            runs.append(code)
            return original(project)  # type: ignore[operator]

        monkeypatch.setattr(module, "_findings", recording)
    yield runs


@pytest.fixture
def integrated(project: Path) -> Path:
    write_tree(
        project,
        {
            "shop/views.py": BOOK_VIEW,
            "shop/templates/shop/book_list.html": BOOK_TEMPLATE,
            "shop/api.py": SERIALIZERS,
            "shop/describe.py": VIEW_LEAF,
        },
    )
    return project


def assert_same_as_uncached(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    cached_output, document = run_json(capsys)
    uncached_output, _ = run_json(capsys, "--no-cache")
    assert without_seconds(cached_output) == without_seconds(uncached_output)
    return document


INTEGRATED_FINDINGS = [
    ("ORM111", "shop/api.py", 6),
    ("ORM101", "shop/report.py", 4),
    ("ORM301", "shop/tasks.py", 5),
    ("ORM110", "shop/templates/shop/book_list.html", 3),
    ("ORM410", "shop/views.py", 6),
]


def test_editing_a_leaf_that_imports_a_view_reuses_the_project_wide_results(
    integrated: Path, capsys: pytest.CaptureFixture[str], checked: list[str], integration_runs: list[str]
) -> None:
    _, before = run_json(capsys)
    assert integration_runs == ["ORM110", "ORM111"]
    checked.clear()
    integration_runs.clear()
    write_tree(integrated, {"shop/describe.py": VIEW_LEAF + "\n    LABEL = 'books'\n"})

    cached_output, after = run_json(capsys)

    assert checked == ["shop/describe.py"]
    assert integration_runs == []
    assert codes_and_places(after) == codes_and_places(before) == INTEGRATED_FINDINGS
    uncached_output, _ = run_json(capsys, "--no-cache")
    assert without_seconds(cached_output) == without_seconds(uncached_output)


def test_a_leaf_edited_into_a_view_recomputes_the_project_wide_results(
    integrated: Path, capsys: pytest.CaptureFixture[str], integration_runs: list[str]
) -> None:
    run_json(capsys)
    integration_runs.clear()
    write_tree(integrated, {"shop/describe.py": BOOK_VIEW.replace("book_list(", "other_list(")})

    document = assert_same_as_uncached(capsys)

    # Computed by the cached run, then by the uncached one.
    assert integration_runs == ["ORM110", "ORM111", "ORM110", "ORM111"]
    # The new view renders the same template: a second ORM110 at the same line, rendered by describe.other_list.
    assert codes_and_places(document) == [
        ("ORM111", "shop/api.py", 6),
        ("ORM410", "shop/describe.py", 6),
        ("ORM101", "shop/report.py", 4),
        ("ORM301", "shop/tasks.py", 5),
        ("ORM110", "shop/templates/shop/book_list.html", 3),
        ("ORM110", "shop/templates/shop/book_list.html", 3),
        ("ORM410", "shop/views.py", 6),
    ]
    findings = document["findings"]
    assert isinstance(findings, list)
    renders = sorted("describe.other_list" in finding["message"] for finding in findings if finding["code"] == "ORM110")
    assert renders == [False, True]


def test_editing_a_template_updates_its_finding_and_matches_an_uncached_run(
    integrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys)
    (integrated / "shop" / "templates" / "shop" / "book_list.html").write_text(
        "<ul>\n{% for book in books %}\n  <li>{{ book.title }}</li>\n{% endfor %}\n</ul>\n"
    )

    document = assert_same_as_uncached(capsys)

    assert codes_and_places(document) == [item for item in INTEGRATED_FINDINGS if item[0] != "ORM110"]


def test_editing_a_serializer_updates_its_finding_and_matches_an_uncached_run(
    integrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys)
    write_tree(integrated, {"shop/api.py": SERIALIZERS.replace("objects.all()", 'objects.select_related("author")')})

    document = assert_same_as_uncached(capsys)

    assert codes_and_places(document) == [item for item in INTEGRATED_FINDINGS if item[0] != "ORM111"]


def test_editing_a_view_updates_its_finding_and_matches_an_uncached_run(
    integrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys)
    write_tree(integrated, {"shop/views.py": BOOK_VIEW.replace("objects.all()", 'objects.select_related("author")')})

    document = assert_same_as_uncached(capsys)

    assert codes_and_places(document) == [item for item in INTEGRATED_FINDINGS if item[0] != "ORM110"]


def test_editing_a_leaf_parses_only_the_leaf_its_imports_and_the_model_modules(
    project: Path, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    run_json(capsys)
    parsed.clear()
    write_tree(project, {"shop/tasks.py": TASKS + "\n    LIMIT = 10\n"})

    cached_output, document = run_json(capsys)

    assert parsed == ["shop/__init__.py", "shop/models.py", "shop/tasks.py"]
    assert codes_and_places(document) == [("ORM101", "shop/report.py", 4), ("ORM301", "shop/tasks.py", 5)]
    uncached_output, _ = run_json(capsys, "--no-cache")
    assert without_seconds(cached_output) == without_seconds(uncached_output)


ORDER_MODEL = """
    from django.db import models

    from shop.models import Book

    class Order(models.Model):
        book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="orders")

        def __str__(self):
            return self.book.title

    def order_titles():
        return [order.book.title for order in Order.objects.all()]
"""


def test_a_leaf_edited_to_declare_a_model_is_analysed_with_the_new_model_graph(
    project: Path, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    run_json(capsys)
    parsed.clear()
    write_tree(project, {"shop/tasks.py": ORDER_MODEL})

    cached_output, document = run_json(capsys)

    # The model graph changes, so every relevant file is parsed again.
    assert "shop/report.py" in parsed
    assert codes_and_places(document) == [
        ("ORM101", "shop/report.py", 4),
        ("ORM504", "shop/tasks.py", 9),
        ("ORM101", "shop/tasks.py", 12),
    ]
    uncached_output, _ = run_json(capsys, "--no-cache")
    assert without_seconds(cached_output) == without_seconds(uncached_output)


def test_added_and_removed_leaf_files_match_an_uncached_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_json(capsys)
    write_tree(project, {"shop/extra.py": TASKS})
    (project / "shop" / "tasks.py").unlink()

    cached_output, document = run_json(capsys)

    assert codes_and_places(document) == [("ORM301", "shop/extra.py", 5), ("ORM101", "shop/report.py", 4)]
    uncached_output, _ = run_json(capsys, "--no-cache")
    assert without_seconds(cached_output) == without_seconds(uncached_output)


def test_an_unreadable_model_graph_entry_means_a_full_parse_with_the_same_findings(
    project: Path, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    first, _ = run_json(capsys)
    for entry in (project / CACHE_DIR_NAME / "graph").rglob("*.json"):
        entry.write_text("{not json")
    write_tree(project, {"shop/tasks.py": TASKS + "\n    LIMIT = 10\n"})
    parsed.clear()

    second, _ = run_json(capsys)

    assert parsed == ["shop/__init__.py", "shop/models.py", "shop/report.py", "shop/tasks.py"]
    assert without_seconds(second) == without_seconds(first)


def test_a_model_graph_survives_the_json_round_trip_through_the_cache(tmp_path: Path) -> None:
    author = FieldInfo("author", FieldKind.FOREIGN_KEY, "shop.Book", target="shop.Author", related_name="books")
    book = ModelInfo(
        label="shop.Book",
        app_label="shop",
        name="Book",
        qualname="shop.models.Book",
        path="shop/models.py",
        line=3,
        bases=("shop.models.Base",),
        fields={"author": author, "title": FieldInfo("title", FieldKind.FIELD, "shop.Book", field_class="CharField")},
        managers=("objects", "published"),
        ordering=("-title",),
        properties={"byline": "shop.models.Book.byline"},
        manager_classes={"published": ("shop.models.PublishedManager",)},
    )
    plain = ModelInfo(label="shop.Author", app_label="shop", name="Author", qualname="shop.models.Author")
    graph = ModelGraph(
        models={"shop.Book": book, "shop.Author": plain},
        by_qualname={"shop.models.Book": "shop.Book", "shop.models.Author": "shop.Author"},
        auth_user_model="accounts.User",
    )
    cache = ResultCache(tmp_path / "cache")

    cache.put("graph", "cd34", graph_to_json(graph))
    entry = cache.get("graph", "cd34")

    assert entry is not None
    restored = graph_from_json(entry)
    assert restored == graph
    assert repr(restored) == repr(graph)


def test_a_leaf_edit_after_a_model_edit_was_undone_still_parses_only_the_leaf_reach(
    project: Path, capsys: pytest.CaptureFixture[str], parsed: list[str]
) -> None:
    run_json(capsys)
    write_tree(project, {"shop/models.py": MODELS + "\n    # a comment\n"})
    run_json(capsys)
    write_tree(project, {"shop/models.py": MODELS, "shop/tasks.py": TASKS + "\n    LIMIT = 10\n"})
    parsed.clear()

    cached_output, document = run_json(capsys)

    assert parsed == ["shop/__init__.py", "shop/models.py", "shop/tasks.py"]
    assert codes_and_places(document) == [("ORM101", "shop/report.py", 4), ("ORM301", "shop/tasks.py", 5)]
    uncached_output, _ = run_json(capsys, "--no-cache")
    assert without_seconds(cached_output) == without_seconds(uncached_output)


def test_a_leaf_edit_after_a_view_edit_was_undone_reuses_the_project_wide_results(
    integrated: Path, capsys: pytest.CaptureFixture[str], integration_runs: list[str]
) -> None:
    run_json(capsys)
    write_tree(integrated, {"shop/views.py": BOOK_VIEW + "\n    # a comment\n"})
    run_json(capsys)
    write_tree(integrated, {"shop/views.py": BOOK_VIEW, "shop/describe.py": VIEW_LEAF + "\n    LABEL = 'books'\n"})
    integration_runs.clear()

    cached_output, document = run_json(capsys)

    assert integration_runs == []
    assert codes_and_places(document) == INTEGRATED_FINDINGS
    uncached_output, _ = run_json(capsys, "--no-cache")
    assert without_seconds(cached_output) == without_seconds(uncached_output)
