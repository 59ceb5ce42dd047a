"""`NPlusOnePanel`: the N+1s of a request in django-debug-toolbar, next to its SQL panel.

The panel opens a detection scope for the request (the same `setup()` / `teardown()` scope the middleware and the
pytest plugin use) and lists each N+1 it found: the model and field, the file:line or template line of the access,
the repeated SQL shape (parameters are never recorded) with its count, and the fix. When `NPlusOneMiddleware` runs
too, its scope sits inside the panel's and hands its findings up, so each N+1 is detected once and shown in both
places. The nav subtitle shows the count. django-debug-toolbar is an optional dependency
(`pip install "django-orm-analyzer[debug-toolbar]"`); add the panel to `DEBUG_TOOLBAR_PANELS`.
"""

from __future__ import annotations

import logging
from contextvars import Token
from typing import Any

from debug_toolbar.panels import Panel
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from runtime import setup, teardown
from runtime._scope import Scope
from runtime.config import DetectorConfig, config_from_settings
from runtime.errors import RuntimeDetectorError
from runtime.findings import RuntimeFinding

logger = logging.getLogger("runtime")

KIND_LABELS = {
    "lazy_load": "lazy load",
    "repeated_query": "repeated query",
    "unused_eager_load": "unused eager load",
}
_EMPTY = "No N+1 queries in this request."
# The SQL is long: let it wrap in its column instead of pushing the table past the panel's width.
_WRAP = ' style="white-space: normal; overflow-wrap: anywhere"'


def finding_row(finding: RuntimeFinding) -> dict[str, Any]:
    """What the panel shows of one finding, as the JSON-friendly dict the toolbar's store keeps."""
    where = f"{finding.path}:{finding.line}"
    if finding.function:
        where += f" in {finding.function}"
    if finding.serializer_field:
        where += f" (serializer field {finding.serializer_field!r})"
    return {
        "kind": KIND_LABELS.get(finding.kind, finding.kind),
        "target": finding.target,
        "where": where,
        "count": finding.count,
        "sql": finding.sql,
        "fix": finding.fix,
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class NPlusOnePanel(Panel):
    """The request's N+1 queries, with where they happen and how to fix them."""

    title = "N+1 queries"
    # Scopes live in a ContextVar, so async views are watched like sync ones.
    is_async = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: Token[Scope | None] | None = None
        self._findings: list[RuntimeFinding] = []

    def _rows(self) -> list[dict[str, Any]] | None:
        """The recorded rows; None before the request's stats are generated."""
        stats: dict[str, Any] = self.get_stats()  # type: ignore[no-untyped-call]
        rows: list[dict[str, Any]] | None = stats.get("findings")
        return rows

    @property
    def nav_subtitle(self) -> str:
        rows = self._rows()
        if rows is None:
            return ""
        return _plural(len(rows), "N+1") if rows else "none"

    def _config(self) -> DetectorConfig:
        # The toolbar is on only where the developer turned it on: the panel needs no ENABLED of its own.
        return config_from_settings(settings)

    def _origin(self) -> str:
        request: HttpRequest = self.toolbar.request
        return f"request {request.method} {request.path}"

    def enable_instrumentation(self) -> None:
        try:
            self._token = setup(self._config(), self._origin())
        except RuntimeDetectorError as error:
            logger.error(
                "[%(app)s:%(view)s] %(message)s",
                {"app": "runtime", "view": self._origin(), "message": f"N+1 panel not started: {error}"},
                extra={"app": "runtime", "view": self._origin()},
            )

    def disable_instrumentation(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            self._findings = teardown(token)

    def generate_stats(self, request: HttpRequest, response: HttpResponse) -> None:
        rows = [finding_row(finding) for finding in self._findings]
        self.record_stats({"findings": rows})  # type: ignore[no-untyped-call]

    @property
    def content(self) -> SafeString:
        rows = self._rows()
        if not rows:
            return format_html("<p>{}</p>", _EMPTY)
        body = format_html_join(
            "\n",
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td>"
            f"<td><code{_WRAP}>{{}}</code></td></tr>",
            ((row["kind"], row["target"], row["where"], row["count"], row["fix"], row["sql"] or "-") for row in rows),
        )
        return format_html(
            "<p>{}</p><table><thead><tr><th>Kind</th><th>Model and field</th><th>Where</th><th>Queries</th>"
            "<th>Fix</th><th>Repeated SQL</th></tr></thead><tbody>{}</tbody></table>",
            f"{_plural(len(rows), 'N+1')} in this request.",
            body,
        )
