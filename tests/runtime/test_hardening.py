"""The runtime detector under hostile input: a failure while reporting findings never breaks a response, literals
in SQL (secrets) never reach a finding, and control characters of a request path never reach a log line raw."""

from __future__ import annotations

import logging
import re
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from catalog.models import Author, Book
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import re_path
from pytest_django import Settings as SettingsWrapper

from runtime import detect
from runtime._scope import normalize_sql
from tests.runtime import views
from tests.runtime.conftest import ROOT, Catalogue, build_catalogue

MIDDLEWARE = "runtime.middleware.NPlusOneMiddleware"

# SQLite takes a double-quoted string as a literal where it names no column; PostgreSQL always reads it as a name,
# and the SQL it captures holds the parameters it interpolated, which the shapes rightly drop.
SQLITE_ONLY = pytest.mark.skipif(connection.vendor != "sqlite", reason="double-quoted literals are SQLite's")


def any_path_book_list(request: HttpRequest, rest: str) -> HttpResponse:
    return views.book_list(request)


# This module is its own URLconf: any path under runtime/any/ runs the N+1 view of the middleware tests.
urlpatterns = [re_path(r"^runtime/any/(?P<rest>(?s:.*))$", any_path_book_list, name="any_path_book_list")]


@pytest.fixture
def detector_settings(settings: SettingsWrapper) -> SettingsWrapper:
    settings.MIDDLEWARE = [MIDDLEWARE, *(entry for entry in settings.MIDDLEWARE if entry != MIDDLEWARE)]
    settings.ROOT_URLCONF = __name__
    settings.ORM_ANALYZER = {"ENABLED": True, "ACTION": "log", "ROOT": str(ROOT)}
    return settings


def runtime_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "runtime" and record.levelno == level]


def broken_message(self: object) -> str:
    raise RuntimeError("message failed")


# --- a failure in the finding path -----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["log", "warn"])
def test_failure_while_reporting_a_finding_is_logged_and_the_response_served(
    catalogue: Catalogue,
    detector_settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    detector_settings.ORM_ANALYZER = {"ENABLED": True, "ACTION": action, "ROOT": str(ROOT)}
    monkeypatch.setattr("runtime.findings.RuntimeFinding.message", broken_message)

    response = Client().get("/runtime/any/books")

    assert (response.status_code, response.content) == (200, b"author0, author1, author2")
    errors = runtime_records(caplog, logging.ERROR)
    assert [record.getMessage() for record in errors] == [
        "[runtime:request GET /runtime/any/books] reporting the findings failed"
    ]
    assert errors[0].exc_info is not None and str(errors[0].exc_info[1]) == "message failed"


def test_failure_while_logging_a_finding_is_logged_and_the_response_served(
    catalogue: Catalogue,
    detector_settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_json(self: object) -> dict[str, Any]:
        raise TypeError("not serialisable")

    monkeypatch.setattr("runtime.findings.RuntimeFinding.to_json", broken_json)

    response = Client().get("/runtime/any/books")

    assert (response.status_code, response.content) == (200, b"author0, author1, author2")
    assert [record.getMessage() for record in runtime_records(caplog, logging.ERROR)] == [
        "[runtime:request GET /runtime/any/books] reporting the findings failed"
    ]


@pytest.fixture
def live_server_url(detector_settings: SettingsWrapper) -> Iterator[str]:
    from wsgiref.simple_server import WSGIRequestHandler

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer

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


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.django_db(transaction=True)
def test_failure_in_the_finding_path_over_real_http_still_serves_the_page(
    live_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_catalogue()
    monkeypatch.setattr("runtime.findings.RuntimeFinding.message", broken_message)
    collector = _Collector()
    logging.getLogger("runtime").addHandler(collector)
    try:
        with urllib.request.urlopen(f"{live_server_url}/runtime/any/%1b%5b2J%0aforged", timeout=30) as response:
            status, body = response.status, response.read()
    finally:
        logging.getLogger("runtime").removeHandler(collector)

    assert (status, body) == (200, b"author0, author1, author2")
    assert [record.getMessage() for record in collector.records] == [
        "[runtime:request GET /runtime/any/\\x1b[2J\\nforged] reporting the findings failed"
    ]


# --- control characters of the request path ----------------------------------------------------------------------


def test_control_characters_of_the_request_path_are_escaped_in_the_origin(
    catalogue: Catalogue, detector_settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    response = Client().get("/runtime/any/%1b]0;title%07%0a%e2%80%aeevil")

    assert response.status_code == 200
    warnings = runtime_records(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert warnings[0].__dict__["nplusone"]["origin"] == "request GET /runtime/any/\\x1b]0;title\\x07\\n\\u202eevil"
    assert re.search("[\x00-\x1f\u202e]", warnings[0].getMessage()) is None


# --- literals in SQL -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "shape"),
    [
        (
            'SELECT "t"."id" FROM "t" WHERE "t"."name" = "hunter2" AND "t"."id" = 5 LIMIT 21',
            'SELECT "t"."id" FROM "t" WHERE "t"."name" = %s AND "t"."id" = %s LIMIT %s',
        ),
        (
            'SELECT "t"."id" FROM "t" /* api_key=SECRET */ WHERE "t"."id" = %s -- password=SECRET\n',
            'SELECT "t"."id" FROM "t" WHERE "t"."id" = %s\n',
        ),
        (
            'SELECT "t"."id" FROM "t" WHERE "t"."token" = X\'DEADBEEF\' OR "t"."h" = 0xCAFE',
            'SELECT "t"."id" FROM "t" WHERE "t"."token" = %s OR "t"."h" = %s',
        ),
        (
            'SELECT "t"."id" FROM "t" WHERE "t"."a" = E\'it\\\'s SECRET\' AND "t"."b" = $tag$SECRET$tag$',
            'SELECT "t"."id" FROM "t" WHERE "t"."a" = %s AND "t"."b" = %s',
        ),
        (
            'SELECT "t"."id" FROM "t" WHERE "t"."a" = N\'SECRET\' AND "t"."b" = \'x\'\'SECRET\' AND 1.5e3 > .5',
            'SELECT "t"."id" FROM "t" WHERE "t"."a" = %s AND "t"."b" = %s AND %s > %s',
        ),
        (
            'SELECT * FROM "t" WHERE name IN ("SECRET1", "SECRET2") ORDER BY "t"."a" DESC, "n"',
            'SELECT * FROM "t" WHERE name IN (...) ORDER BY "t"."a" DESC, "n"',
        ),
        (
            "SELECT `t`.`id` FROM `t` WHERE `t`.`name` = \"SECRET\" AND `t`.`b` = 'it\\'s SECRET' # SECRET",
            "SELECT `t`.`id` FROM `t` WHERE `t`.`name` = %s AND `t`.`b` = %s",
        ),
        (
            'INSERT INTO "t" ("a", "b") VALUES (%s, %s), (%s, %s) RETURNING "t"."id"',
            'INSERT INTO "t" ("a", "b") VALUES (%s, %s), ... RETURNING "t"."id"',
        ),
        (
            'UPDATE "t" SET "a" = \'SECRET\', "b" = 2 WHERE "t"."id" IN (1, 2)',
            'UPDATE "t" SET "a" = %s, "b" = %s WHERE "t"."id" IN (...)',
        ),
        ("SELECT '-- not a comment', 'a /* b' FROM \"t\"", 'SELECT %s, %s FROM "t"'),
        ('SAVEPOINT "s1_x1"', 'SAVEPOINT "s1_x1"'),
    ],
    ids=[
        "double-quoted-literal",
        "comments",
        "hex",
        "escape-and-dollar-strings",
        "prefixed-doubled-quote-and-float",
        "double-quoted-in-list",
        "mysql",
        "insert-columns",
        "update-set",
        "comment-markers-in-strings",
        "savepoint",
    ],
)
def test_sql_shape_strips_literals_and_comments_and_keeps_names(sql: str, shape: str) -> None:
    assert normalize_sql(sql) == shape


def quoted_names(sql: str) -> list[str]:
    return re.findall(r'"[^"]*"', sql)


@pytest.mark.django_db
@SQLITE_ONLY
def test_every_name_django_writes_on_sqlite_is_kept(catalogue: Catalogue) -> None:
    with CaptureQueriesContext(connection) as captured:
        list(Book.objects.select_related("author").filter(title__startswith="b").order_by("-price", "title")[:5])
        list(Author.objects.annotate(books_written=Count("books")).filter(books_written__gt=0).values("name"))
        Book.objects.filter(author__name="author1").exists()
        Book.objects.filter(pk=catalogue.books[0].pk).update(title="renamed")
        Author.objects.bulk_create([Author(name="new1"), Author(name="new2")])
        Book.objects.filter(pk__in=[book.pk for book in catalogue.books]).count()

    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == 6
    for statement in statements:
        assert quoted_names(normalize_sql(statement)) == quoted_names(statement)


@pytest.mark.django_db
@SQLITE_ONLY
def test_secret_in_raw_sql_run_per_row_never_reaches_the_finding(catalogue: Catalogue) -> None:
    with detect(root=str(ROOT)) as detection, connection.cursor() as cursor:
        for book in catalogue.books:
            cursor.execute(
                'SELECT "catalog_book"."id" FROM "catalog_book" /* session=S3CRET-1 */ '
                f'WHERE "catalog_book"."id" = {book.pk} AND "catalog_book"."title" != "S3CRET-2"'
            )

    assert [(finding.kind, finding.count) for finding in detection.findings] == [("repeated_query", 3)]
    assert detection.findings[0].sql == (
        'SELECT "catalog_book"."id" FROM "catalog_book" WHERE "catalog_book"."id" = %s AND "catalog_book"."title" != %s'
    )
