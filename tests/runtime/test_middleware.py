"""NPlusOneMiddleware through the test client and through a real threaded server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from pytest_django import Settings as SettingsWrapper

from runtime import NPlusOneError, NPlusOneWarning
from runtime.config import DetectorConfig, config_from_settings
from runtime.errors import ConfigurationError
from runtime.middleware import NPlusOneMiddleware
from tests.runtime.conftest import ROOT, Catalogue, build_catalogue, line_of

VIEWS = Path(__file__).parent / "views.py"
MIDDLEWARE = "runtime.middleware.NPlusOneMiddleware"


def book_list_message() -> str:
    line = line_of(VIEWS, "view: book-list")
    return (
        f"N+1 detected on catalog.Book.author at tests/runtime/views.py:{line} in book_list (3 queries); "
        'add .select_related("author")'
    )


@pytest.fixture
def detector_settings(settings: SettingsWrapper) -> SettingsWrapper:
    # First in the chain, once: the example project's settings already list it last.
    settings.MIDDLEWARE = [MIDDLEWARE, *(entry for entry in settings.MIDDLEWARE if entry != MIDDLEWARE)]
    settings.ROOT_URLCONF = "tests.runtime.urls"
    settings.ORM_ANALYZER = {"ENABLED": True, "ACTION": "log", "ROOT": str(ROOT)}
    return settings


def runtime_records(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "runtime" and record.levelno == level]


def test_sync_view_n_plus_one_is_logged_with_app_and_view(
    catalogue: Catalogue, detector_settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    response = Client().get("/runtime/books/")
    assert response.status_code == 200
    records = runtime_records(caplog)
    assert [record.getMessage() for record in records] == [f"[tests:book_list] {book_list_message()}"]
    assert records[0].__dict__["app"] == "tests"
    assert records[0].__dict__["view"] == "book_list"
    assert records[0].__dict__["nplusone"]["origin"] == "request GET /runtime/books/"


def test_clean_view_logs_nothing(
    catalogue: Catalogue, detector_settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    assert Client().get("/runtime/books/clean/").status_code == 200
    assert runtime_records(caplog) == []


def test_action_warn_emits_nplusone_warning(catalogue: Catalogue, detector_settings: SettingsWrapper) -> None:
    detector_settings.ORM_ANALYZER = {"ENABLED": True, "ACTION": "warn", "ROOT": str(ROOT)}
    with pytest.warns(NPlusOneWarning) as captured:
        assert Client().get("/runtime/books/").status_code == 200
    assert [str(warning.message) for warning in captured] == [book_list_message()]


def test_action_raise_raises_nplusone_error(catalogue: Catalogue, detector_settings: SettingsWrapper) -> None:
    detector_settings.ORM_ANALYZER = {"ENABLED": True, "ACTION": "raise", "ROOT": str(ROOT)}
    with pytest.raises(NPlusOneError) as raised:
        Client().get("/runtime/books/")
    assert str(raised.value) == book_list_message()


def test_nplusone_raise_setting_switches_the_action_to_raise(
    catalogue: Catalogue, detector_settings: SettingsWrapper
) -> None:
    detector_settings.ORM_ANALYZER = {"ENABLED": True, "ROOT": str(ROOT)}
    detector_settings.NPLUSONE_RAISE = True
    with pytest.raises(NPlusOneError):
        Client().get("/runtime/books/")


def test_nplusone_whitelist_entries_allow_matching_relations(
    catalogue: Catalogue, detector_settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    detector_settings.NPLUSONE_WHITELIST = [{"model": "catalog.Book", "field": "auth*"}]
    assert Client().get("/runtime/books/").status_code == 200
    assert runtime_records(caplog) == []


@pytest.mark.django_db(transaction=True)
def test_async_view_n_plus_one_is_detected_through_the_asgi_handler(
    detector_settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    build_catalogue()

    async def get_and_close() -> HttpResponse:
        response: HttpResponse = await AsyncClient().get("/runtime/books/async/")
        # The view's ORM work ran on asgiref's executor thread: close that thread's connection there.
        await sync_to_async(connections.close_all)()
        return response

    response = asyncio.run(get_and_close())
    assert response.status_code == 200
    line = line_of(VIEWS, "view: async-book-list")
    assert [record.getMessage() for record in runtime_records(caplog)] == [
        f"[tests:async_book_list] N+1 detected on catalog.Book.publisher at tests/runtime/views.py:{line} in "
        '_publisher_names (3 queries); add .select_related("publisher")'
    ]


def test_middleware_is_async_capable_and_marks_itself_a_coroutine(detector_settings: SettingsWrapper) -> None:
    async def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    middleware = NPlusOneMiddleware(get_response)
    assert NPlusOneMiddleware.sync_capable and NPlusOneMiddleware.async_capable
    assert asyncio.iscoroutinefunction(middleware)
    assert not asyncio.iscoroutinefunction(NPlusOneMiddleware(lambda request: HttpResponse("ok")))


def test_middleware_not_used_when_debug_off_and_not_enabled(settings: SettingsWrapper) -> None:
    settings.DEBUG = False
    settings.ORM_ANALYZER = {}
    with pytest.raises(MiddlewareNotUsed):
        NPlusOneMiddleware(lambda request: HttpResponse("ok"))
    settings.DEBUG = True
    assert NPlusOneMiddleware(lambda request: HttpResponse("ok")).config.enabled


def test_session_and_auth_loads_are_not_n_plus_ones(
    catalogue: Catalogue, detector_settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(User.objects.create_user("reader", password="secret-password"))
    for _ in range(3):
        assert client.get("/runtime/account/").status_code == 200
    assert runtime_records(caplog) == []


def test_paginator_count_queries_are_not_n_plus_ones(
    catalogue: Catalogue, detector_settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    for page in (1, 2):
        assert client.get(f"/runtime/paginated/?page={page}").status_code == 200
    assert runtime_records(caplog) == []


def test_detector_error_is_logged_and_the_response_still_served(
    catalogue: Catalogue,
    detector_settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_findings(self: object) -> list[object]:
        raise RuntimeError("broken detector")

    monkeypatch.setattr("runtime._scope.Scope.findings", broken_findings)
    response = Client().get("/runtime/books/")
    assert response.status_code == 200
    assert response.content == b"author0, author1, author2"
    errors = runtime_records(caplog, logging.ERROR)
    assert [record.getMessage() for record in errors] == [
        "[runtime:request GET /runtime/books/] collecting findings failed"
    ]
    assert errors[0].exc_info is not None and str(errors[0].exc_info[1]) == "broken detector"


def test_error_while_recording_a_lazy_load_is_logged_not_raised(
    catalogue: Catalogue,
    detector_settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_capture(frame: object, root: str, *, test_code: bool) -> None:
        raise RuntimeError("no stack")

    monkeypatch.setattr("runtime._scope.capture", broken_capture)
    assert Client().get("/runtime/books/").status_code == 200
    messages = [record.getMessage() for record in runtime_records(caplog, logging.ERROR)]
    query_failed = "[runtime:request GET /runtime/books/] recording a query failed"
    lazy_failed = "[runtime:request GET /runtime/books/] recording a lazy load failed"
    # The list query, then per row the author's lazy load and its query.
    assert messages == [query_failed] + [lazy_failed, query_failed] * 3


def test_report_setting_merges_request_findings_into_the_json_report(
    catalogue: Catalogue, detector_settings: SettingsWrapper, tmp_path: Path
) -> None:
    report = tmp_path / "runtime.json"
    detector_settings.ORM_ANALYZER = {"ENABLED": True, "REPORT": str(report), "ROOT": str(ROOT)}
    client = Client()
    for _ in range(2):
        client.get("/runtime/books/")
    data = json.loads(report.read_text())
    line = line_of(VIEWS, "view: book-list")
    assert data["version"] == 1
    assert [
        (f["kind"], f["model"], f["field"], f["count"], f["path"], f["line"], f["function"], f["origin"])
        for f in data["findings"]
    ] == [
        (
            "lazy_load",
            "catalog.Book",
            "author",
            3,
            "tests/runtime/views.py",
            line,
            "book_list",
            "request GET /runtime/books/",
        )
    ]
    assert "%s" in data["findings"][0]["sql"]


def test_settings_are_validated() -> None:
    class Settings:
        ORM_ANALYZER = {"ACTION": "shout"}

    with pytest.raises(ConfigurationError, match="ACTION must be one of log, warn, raise, not 'shout'"):
        config_from_settings(Settings())

    class Whitelisted:
        DEBUG = True
        ORM_ANALYZER = {"ALLOW": ["orders.*"], "THRESHOLD": 3, "ROOT": "/srv/app"}
        NPLUSONE_WHITELIST = [{"model": "Book", "field": "tags"}, {"model": "catalog.Tag"}]

    assert config_from_settings(Whitelisted()) == DetectorConfig(
        threshold=3,
        allow=("orders.*", "Book.tags", "catalog.Tag", "catalog.Tag.*"),
        root="/srv/app",
        action="log",
        enabled=True,
    )


# --- a real server on the loopback interface ------------------------------------------------------------------


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock_records:
            self.records.append(record)


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


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_on_a_real_server_keep_their_findings_apart(live_server_url: str) -> None:
    build_catalogue()
    collector = _Collector()
    logger = logging.getLogger("runtime")
    logger.addHandler(collector)
    paths = ["/runtime/books/", "/runtime/books/clean/"] * 8
    bodies: list[bytes] = []

    def fetch(path: str) -> None:
        with urllib.request.urlopen(f"{live_server_url}{path}", timeout=30) as response:
            bodies.append(response.read())

    try:
        threads = [threading.Thread(target=fetch, args=(path,)) for path in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        logger.removeHandler(collector)
    assert bodies == [b"author0, author1, author2"] * 16
    warnings = [record for record in collector.records if record.levelno == logging.WARNING]
    assert [(r.__dict__["nplusone"]["origin"], r.__dict__["nplusone"]["count"]) for r in warnings] == [
        ("request GET /runtime/books/", 3)
    ] * 8
    assert [record for record in collector.records if record.levelno == logging.ERROR] == []
