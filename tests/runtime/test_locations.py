"""Where findings point: template lines, DRF serializer fields, and the ContextVar isolation of scopes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from catalog.models import Book
from django.db import connections
from django.template import Context, Engine

from runtime import detect
from runtime.findings import RuntimeFinding
from tests.runtime.conftest import ROOT, Catalogue, build_catalogue, line_of

HERE = Path(__file__).parent
THIS = Path(__file__)


def test_lazy_load_in_a_template_points_at_the_template_line(catalogue: Catalogue) -> None:
    engine = Engine(dirs=[str(HERE / "templates")])
    template = engine.get_template("runtime_book_list.html")
    with detect(root=str(ROOT)) as detection:
        html = template.render(Context({"books": Book.objects.all()}))  # render: books
    assert html.count("<li>") == 3
    assert [(f.kind, f.model, f.field, f.count, f.path, f.line, f.function) for f in detection.findings] == [
        (
            "lazy_load",
            "catalog.Book",
            "author",
            3,
            "tests/runtime/templates/runtime_book_list.html",
            4,
            "test_lazy_load_in_a_template_points_at_the_template_line",
        )
    ]


def test_serializer_fields_name_the_field_and_its_declaration(catalogue: Catalogue) -> None:
    from tests.runtime.serializers import BookSerializer

    with detect(root=str(ROOT)) as detection:
        data = BookSerializer(Book.objects.all(), many=True).data
    assert len(data) == 3
    serializers_py = HERE / "serializers.py"
    assert [
        (f.model, f.field, f.count, f.path, f.line, f.function, f.serializer_field) for f in detection.findings
    ] == [
        (
            "catalog.Book",
            "author",
            3,
            "tests/runtime/serializers.py",
            line_of(serializers_py, "field: author-name"),
            "BookSerializer",
            "author_name",
        ),
        (
            "catalog.Book",
            "publisher",
            3,
            "tests/runtime/serializers.py",
            line_of(serializers_py, "field: publisher-name"),
            "get_publisher_name",
            "publisher_name",
        ),
    ]
    assert detection.findings[0].message() == (
        f"N+1 detected on catalog.Book.author at tests/runtime/serializers.py:{detection.findings[0].line} "
        "in BookSerializer (serializer field 'author_name') (3 queries); add .select_related(\"author\")"
    )


def _n_plus_one() -> None:
    for book in Book.objects.all():
        assert book.author


def _clean() -> None:
    for book in Book.objects.select_related("author"):
        assert book.author


def _in_thread(work: Callable[[], object]) -> None:
    try:
        work()
    finally:
        connections.close_all()  # the thread's own connection, so the test database can be dropped


@pytest.mark.django_db(transaction=True)
def test_scopes_in_threads_do_not_see_each_other() -> None:
    build_catalogue()
    results: dict[str, list[RuntimeFinding]] = {}
    barrier = threading.Barrier(2)

    def run(name: str, work: object) -> None:
        try:
            with detect(root=str(ROOT)) as detection:
                barrier.wait()
                assert callable(work)
                work()
                barrier.wait()
            results[name] = detection.findings
        finally:
            connections.close_all()  # the thread's own connection, so the test database can be dropped

    threads = [
        threading.Thread(target=run, args=(name, work)) for name, work in (("dirty", _n_plus_one), ("clean", _clean))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["clean"] == []
    assert [(f.model, f.field, f.count, f.function) for f in results["dirty"]] == [
        ("catalog.Book", "author", 3, "_n_plus_one")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_thread_started_inside_a_scope_is_not_part_of_it() -> None:
    build_catalogue()
    with detect(root=str(ROOT)) as detection:
        thread = threading.Thread(target=_in_thread, args=(_n_plus_one,))
        thread.start()
        thread.join()
    assert detection.findings == []


@pytest.mark.django_db(transaction=True)
def test_scopes_in_asyncio_tasks_do_not_see_each_other(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tasks use the synchronous ORM on the loop's thread, interleaved at every row; each task has its own
    # connection (asgiref's Local is per context), so the data must be committed.
    build_catalogue()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    async def task(lazy: bool) -> list[RuntimeFinding]:
        try:
            with detect(root=str(ROOT)) as detection:
                books = Book.objects.all() if lazy else Book.objects.select_related("author")
                for book in list(books):
                    await asyncio.sleep(0)
                    assert book.author
            return detection.findings
        finally:
            connections.close_all()  # the task's own connection, so the test database can be dropped

    async def main() -> tuple[list[RuntimeFinding], list[RuntimeFinding]]:
        dirty, clean = await asyncio.gather(task(lazy=True), task(lazy=False))
        return dirty, clean

    dirty, clean = asyncio.run(main())
    assert clean == []
    assert [(f.model, f.field, f.count, f.function) for f in dirty] == [("catalog.Book", "author", 3, "task")]


def test_a_template_rendered_once_per_row_is_reported_at_the_python_loop(catalogue: Catalogue) -> None:
    # The template reads one book's author; the loop that repeats it is the for loop rendering it per book.
    template = Engine().from_string("{{ book.author.name }}")
    with detect(root=str(ROOT)) as detection:
        for book in Book.objects.all():
            assert template.render(Context({"book": book}))  # loop: render-per-row
    assert [(f.kind, f.model, f.field, f.count, f.path, f.line) for f in detection.findings] == [
        (
            "lazy_load",
            "catalog.Book",
            "author",
            3,
            "tests/runtime/test_locations.py",
            line_of(THIS, "loop: render-per-row"),
        )
    ]
