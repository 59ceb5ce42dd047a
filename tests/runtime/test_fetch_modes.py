"""Django 6.1's fetch modes under the detector: FETCH_PEERS batches are quiet, related managers under it are not,
FETCH_RAISE blocks loads without the detector recording or triggering any, through detect(), the middleware over
real HTTP and the pytest plugin."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler

import django
import pytest
from accounts.models import Profile
from catalog.models import Author, Book, Comment
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path
from pytest_django import Settings as SettingsWrapper

from runtime import detect
from runtime.findings import RuntimeFinding
from tests.runtime.conftest import ROOT, Catalogue, build_catalogue, line_of

pytestmark = pytest.mark.skipif(django.VERSION < (6, 1), reason="fetch modes are new in Django 6.1")

if django.VERSION >= (6, 1):
    from django.core.exceptions import FieldFetchBlocked
    from django.db.models import FETCH_ONE, FETCH_PEERS, FETCH_RAISE

THIS = Path(__file__)
PATH = "tests/runtime/test_fetch_modes.py"
MIDDLEWARE = "runtime.middleware.NPlusOneMiddleware"


def summary(findings: list[RuntimeFinding]) -> list[tuple[str, str, str, int, int, str]]:
    return [(f.kind, f.model, f.field, f.count, f.line, f.fix) for f in findings]


def runtime_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "runtime"]


# --- FETCH_PEERS: one query for all the rows --------------------------------------------------------------------


def test_forward_foreign_key_under_fetch_peers_is_one_query_and_quiet(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        names = [book.author.name for book in Book.objects.fetch_mode(FETCH_PEERS)]
    assert names == ["author0", "author1", "author2"]
    assert len(captured.captured_queries) == 2
    assert detection.findings == []


def test_forward_one_to_one_and_reverse_one_to_one_under_fetch_peers_are_quiet(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        users = [profile.user.username for profile in Profile.objects.fetch_mode(FETCH_PEERS)]
        bios = [author.bio.text for author in Author.objects.fetch_mode(FETCH_PEERS)]
    assert users == ["user0", "user1", "user2"]
    assert bios == ["bio of author0", "bio of author1", "bio of author2"]
    assert len(captured.captured_queries) == 4
    assert detection.findings == []


def test_deferred_field_under_fetch_peers_is_one_query_and_quiet(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        isbns = [book.isbn for book in Book.objects.only("title").fetch_mode(FETCH_PEERS)]
    assert isbns == [f"{index:013d}" for index in range(3)]
    assert len(captured.captured_queries) == 2
    assert detection.findings == []


def test_generic_foreign_key_under_fetch_peers_is_quiet(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        titles = [comment.content_object.title for comment in Comment.objects.fetch_mode(FETCH_PEERS)]
    assert sorted(titles) == ["book0", "book1", "book2"]
    assert len(captured.captured_queries) == 2
    assert detection.findings == []


def test_fetch_peers_is_copied_to_the_related_objects_it_loads(catalogue: Catalogue) -> None:
    # The authors loaded for the books are peers of each other and carry FETCH_PEERS: their bios come in one query.
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        bios = [book.author.bio.text for book in Book.objects.fetch_mode(FETCH_PEERS)]
    assert bios == ["bio of author0", "bio of author1", "bio of author2"]
    assert len(captured.captured_queries) == 3
    assert detection.findings == []


def test_fetch_peers_row_fetched_alone_is_not_batched_and_counts(catalogue: Catalogue) -> None:
    # get() fetches one row: it has no peers, so each book's author is a query of its own, per ISBN.
    with detect(root=str(ROOT)) as detection:
        for book in catalogue.books:
            assert Book.objects.fetch_mode(FETCH_PEERS).get(pk=book.pk).author.name  # access: peers-alone
    assert [(f.kind, f.count, f.line) for f in detection.findings] == [
        ("repeated_query", 3, line_of(THIS, "access: peers-alone")),
        ("repeated_query", 3, line_of(THIS, "access: peers-alone")),
    ]


# --- FETCH_PEERS does not batch related managers -----------------------------------------------------------------


def test_many_to_many_manager_under_fetch_peers_is_still_a_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        for book in Book.objects.fetch_mode(FETCH_PEERS):
            assert [tag.name for tag in book.tags.all()]  # access: peers-m2m
    assert len(captured.captured_queries) == 4
    assert summary(detection.findings) == [
        ("lazy_load", "catalog.Book", "tags", 3, line_of(THIS, "access: peers-m2m"), 'add .prefetch_related("tags")'),
    ]


def test_reverse_foreign_key_count_under_fetch_peers_is_still_a_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        counts = [author.books.count() for author in Author.objects.fetch_mode(FETCH_PEERS)]  # access: peers-count
    assert counts == [1, 1, 1]
    assert summary(detection.findings) == [
        (
            "lazy_load",
            "catalog.Author",
            "books",
            3,
            line_of(THIS, "access: peers-count"),
            'annotate the count on the outer queryset: .annotate(books_count=Count("books"))',
        ),
    ]


def test_rows_of_a_related_manager_are_peers_of_each_other_only(catalogue: Catalogue) -> None:
    # Each author's manager loads its own books (one each here) with FETCH_PEERS: a book alone in its queryset has
    # no peer to batch with, so its publisher is a query per author as well as the manager.
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        for author in Author.objects.fetch_mode(FETCH_PEERS):
            assert [book.publisher.name for book in author.books.all()]  # access: peers-manager-rows
    assert len(captured.captured_queries) == 7
    line = line_of(THIS, "access: peers-manager-rows")
    assert sorted((f.kind, f.field, f.count, f.line) for f in detection.findings) == [
        ("lazy_load", "books", 3, line),
        ("lazy_load", "publisher", 3, line),
    ]


def test_rows_of_a_plain_prefetch_load_one_at_a_time_under_an_outer_fetch_peers(catalogue: Catalogue) -> None:
    # Django prefetches a reverse FK with the related model's own queryset, in FETCH_ONE: each publisher is a query.
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        for author in Author.objects.fetch_mode(FETCH_PEERS).prefetch_related("books"):
            assert [book.publisher.name for book in author.books.all()]  # access: plain-prefetch
    assert len(captured.captured_queries) == 5
    assert summary(detection.findings) == [
        (
            "lazy_load",
            "catalog.Book",
            "publisher",
            3,
            line_of(THIS, "access: plain-prefetch"),
            'add .select_related("books__publisher")',
        ),
    ]


def test_rows_of_a_prefetch_queryset_take_its_fetch_peers(catalogue: Catalogue) -> None:
    books = Prefetch("books", queryset=Book.objects.fetch_mode(FETCH_PEERS))
    with detect(root=str(ROOT)) as detection, CaptureQueriesContext(connection) as captured:
        for author in Author.objects.prefetch_related(books):
            assert [book.publisher.name for book in author.books.all()]
    assert len(captured.captured_queries) == 3
    assert detection.findings == []


def test_explicit_fetch_one_is_the_default_lazy_load(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection:
        names = [book.author.name for book in Book.objects.fetch_mode(FETCH_ONE)]  # access: fetch-one
    assert names == ["author0", "author1", "author2"]
    assert summary(detection.findings) == [
        ("lazy_load", "catalog.Book", "author", 3, line_of(THIS, "access: fetch-one"), 'add .select_related("author")'),
    ]


# --- FETCH_RAISE: the load is blocked, nothing is recorded, nothing is fetched by the detector ---------------------


def _blocked(read: Any, rows: Any) -> int:
    blocked = 0
    for row in rows:
        try:
            read(row)
        except FieldFetchBlocked:
            blocked += 1
    return blocked


@pytest.mark.parametrize(
    ("queryset", "read"),
    [
        pytest.param(lambda: Book.objects.fetch_mode(FETCH_RAISE), lambda book: book.author, id="forward-fk"),
        pytest.param(lambda: Author.objects.fetch_mode(FETCH_RAISE), lambda author: author.bio, id="reverse-o2o"),
        pytest.param(lambda: Book.objects.only("title").fetch_mode(FETCH_RAISE), lambda book: book.isbn, id="deferred"),
        pytest.param(
            lambda: Comment.objects.fetch_mode(FETCH_RAISE), lambda comment: comment.content_object, id="generic-fk"
        ),
    ],
)
def test_fetch_raise_blocks_each_load_and_records_nothing(
    catalogue: Catalogue, queryset: Any, read: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with detect(root=str(ROOT), unused_eager=True) as detection, CaptureQueriesContext(connection) as captured:
        blocked = _blocked(read, queryset())
        # The next real queries are counted as themselves, not taken for a blocked load's query.
        for book in catalogue.books:
            Book.objects.filter(pk=book.pk).exists()  # access: after-blocked
    assert blocked == 3
    assert len(captured.captured_queries) == 4
    assert [(f.kind, f.count, f.line) for f in detection.findings] == [
        ("repeated_query", 3, line_of(THIS, "access: after-blocked"))
    ]
    assert runtime_errors(caplog) == []


def test_fetch_raise_with_select_related_reads_without_a_query(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT), unused_eager=True) as detection, CaptureQueriesContext(connection) as captured:
        names = [book.author.name for book in Book.objects.select_related("author").fetch_mode(FETCH_RAISE)]
    assert names == ["author0", "author1", "author2"]
    assert len(captured.captured_queries) == 1
    assert detection.findings == []


# --- the middleware over real HTTP and the pytest plugin ------------------------------------------------------------


def peers_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(", ".join(book.author.name for book in Book.objects.fetch_mode(FETCH_PEERS)))


def peers_tags_view(request: HttpRequest) -> HttpResponse:
    books = Book.objects.fetch_mode(FETCH_PEERS)
    return HttpResponse(", ".join(tag.name for book in books for tag in book.tags.all()))  # view: peers-tags


urlpatterns = [path("peers/", peers_view), path("peers/tags/", peers_tags_view)]


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def server_url(settings: SettingsWrapper, tmp_path: Path) -> Iterator[str]:
    settings.MIDDLEWARE = [MIDDLEWARE, *(entry for entry in settings.MIDDLEWARE if entry != MIDDLEWARE)]
    settings.ROOT_URLCONF = __name__
    settings.ORM_ANALYZER = {"ENABLED": True, "ACTION": "log", "ROOT": str(ROOT), "REPORT": str(tmp_path / "rt.json")}

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output clean."""

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_middleware_over_real_http_reports_only_the_manager_loop_under_fetch_peers(
    server_url: str, tmp_path: Path
) -> None:
    build_catalogue()
    collector = _Collector()
    logger = logging.getLogger("runtime")
    logger.addHandler(collector)
    try:
        bodies = []
        for url in ("/peers/", "/peers/tags/"):
            with urllib.request.urlopen(f"{server_url}{url}", timeout=30) as response:
                bodies.append(response.read().decode())
    finally:
        logger.removeHandler(collector)
    assert bodies == ["author0, author1, author2", "tag0, tag1, tag2"]
    line = line_of(THIS, "view: peers-tags")
    assert collector.messages == [
        f"[tests:peers_tags_view] N+1 detected on catalog.Book.tags at {PATH}:{line} in peers_tags_view (3 queries); "
        'add .prefetch_related("tags")'
    ]
    entries = json.loads((tmp_path / "rt.json").read_text())["findings"]
    assert [(entry["kind"], entry["field"], entry["line"], entry["origin"]) for entry in entries] == [
        ("lazy_load", "tags", line, "request GET /peers/tags/")
    ]


PLUGIN_TESTS = """
import pytest
from django.db.models import FETCH_PEERS, FETCH_RAISE
from django.core.exceptions import FieldFetchBlocked

from tinyshop.models import Author, Book

pytestmark = pytest.mark.django_db


@pytest.fixture
def books():
    authors = Author.objects.bulk_create([Author(name=f"a{i}") for i in range(3)])
    Book.objects.bulk_create([Book(title=f"b{i}", author=author) for i, author in enumerate(authors)])


def test_peers(books):
    assert [book.author.name for book in Book.objects.fetch_mode(FETCH_PEERS)] == ["a0", "a1", "a2"]


def test_raise(books):
    for book in Book.objects.fetch_mode(FETCH_RAISE):
        with pytest.raises(FieldFetchBlocked):
            book.author


def test_one(books):
    assert [book.author.name for book in Book.objects.all()] == ["a0", "a1", "a2"]
"""


def test_plugin_fails_only_the_fetch_one_loop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project = THIS.parents[1] / "fixtures" / "runtime_project"
    for item in project.iterdir():
        if item.is_dir() and item.name != "__pycache__":
            pytester.mkpydir(item.name)
            for source in item.glob("*.py"):
                (pytester.path / item.name / source.name).write_text(source.read_text())
        elif item.suffix == ".py" and not item.name.startswith("test_"):
            (pytester.path / item.name).write_text(item.read_text())
    pytester.makepyfile(test_modes=PLUGIN_TESTS)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tiny_settings")
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    # The loops sit in the test bodies, which are exempt by default: the switch checks them like application code.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--detect-nplusone", "--nplusone-include-test-code"
    )  # fmt: skip
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_modes.py::test_one - *N+1*"])
