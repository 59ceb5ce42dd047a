"""`NPlusOneMiddleware`: detects N+1s per request in development (DEBUG) or wherever ORM_ANALYZER enables it.

Each request runs in its own detection scope. When the response is ready the findings are logged on the
"runtime" logger, emitted as `NPlusOneWarning`s or raised as `NPlusOneError`, depending on ORM_ANALYZER["ACTION"],
and merged into ORM_ANALYZER["REPORT"] when set. A failure of the detector itself is logged and never breaks
the response.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from contextvars import Token
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponseBase

from runtime import _lifecycle, _scope
from runtime.config import DetectorConfig, config_from_settings
from runtime.errors import NPlusOneError, NPlusOneWarning
from runtime.findings import RuntimeFinding
from runtime.report import merge_into_report

logger = logging.getLogger("runtime")

_LOG_FORMAT = "[%(app)s:%(view)s] %(message)s"
# Control, bidirectional and undecodable characters of a request path, a view or a template name are written as
# visible escapes in the log line and the origin, so a crafted URL cannot drive the terminal or forge log lines.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if match.group() in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[match.group()]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, decoded with surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(_escape, text)


def _app_and_view(request: HttpRequest) -> tuple[str, str]:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "-", request.path
    func_path = str(getattr(match, "_func_path", "") or "")
    app = match.app_name or func_path.split(".", 1)[0] or "-"
    view = match.url_name or func_path.rsplit(".", 1)[-1] or request.path
    return app, view


class NPlusOneMiddleware:
    """Detect N+1 queries in each request; see the module docstring for the settings."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        config = config_from_settings(settings)
        if not config.enabled:
            raise MiddlewareNotUsed("ORM_ANALYZER is not enabled and DEBUG is off")
        self.config: DetectorConfig = config
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        token = self._start(request)
        try:
            response = self.get_response(request)
        finally:
            findings = self._finish(token, request)
        self._act(findings, request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        token = self._start(request)
        try:
            get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
            response = await get_response(request)
        finally:
            findings = self._finish(token, request)
        if findings and self.config.report:
            # The report is written under a file lock: keep that blocking I/O off the event loop.
            await sync_to_async(self._write_report)(findings, request)
        self._act(findings, request, report=False)
        return response

    def _origin(self, request: HttpRequest) -> str:
        return _printable(f"request {request.method} {request.path}")

    def _start(self, request: HttpRequest) -> Token[_scope.Scope | None] | None:
        try:
            return _lifecycle.setup(self.config, self._origin(request))
        except Exception:
            _scope.log_detector_error("starting detection failed", self._origin(request))
            return None

    def _finish(self, token: Token[_scope.Scope | None] | None, request: HttpRequest) -> list[RuntimeFinding]:
        if token is None:
            return []
        try:
            return _lifecycle.teardown(token)
        except Exception:
            _scope.log_detector_error("collecting findings failed", self._origin(request))
            return []

    def _write_report(self, findings: list[RuntimeFinding], request: HttpRequest) -> None:
        if not self.config.report:
            return
        try:
            merge_into_report(self.config.report, findings)
        except Exception:
            _scope.log_detector_error(f"writing the report {self.config.report} failed", self._origin(request))

    def _act(self, findings: list[RuntimeFinding], request: HttpRequest, report: bool = True) -> None:
        if not findings:
            return
        if report:
            self._write_report(findings, request)
        try:
            messages = [finding.message() for finding in findings]
            if self.config.action != "raise":
                self._emit(findings, messages, request)
        except Warning:
            # ACTION "warn" under a filter that turns warnings into errors: the user asked for the exception.
            raise
        except Exception:
            _scope.log_detector_error("reporting the findings failed", self._origin(request))
            return
        if self.config.action == "raise":
            raise NPlusOneError("\n".join(messages))

    def _emit(self, findings: list[RuntimeFinding], messages: list[str], request: HttpRequest) -> None:
        app, view = (_printable(part) for part in _app_and_view(request))
        for finding, message in zip(findings, messages, strict=True):
            if self.config.action == "warn":
                warnings.warn(message, NPlusOneWarning, stacklevel=3)
            else:
                logger.warning(
                    _LOG_FORMAT,
                    {"app": app, "view": view, "message": _printable(message)},
                    extra={"app": app, "view": view, "nplusone": finding.to_json()},
                )
