"""Detection scopes: the per-request / per-test state, held in a ContextVar, and how it turns events into N+1s.

A scope is a dataclass stored in a ContextVar, so threads, async views and asyncio tasks each see their own (an
asyncio task started inside a scope shares it, as the task inherits the context). The scope groups lazy loads and
queries by code path and reports the ones a loop in application code repeats (see `repetitions`). Opening and
closing scopes is `runtime._lifecycle`'s job. This module imports nothing from Django at import time.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from types import FrameType
from typing import Any

from runtime.callsite import Location, Trace, capture, find_location, in_for_loop, innermost_frame, locate
from runtime.config import DetectorConfig
from runtime.findings import Kind, RuntimeFinding

logger = logging.getLogger("runtime")

_current: ContextVar[Scope | None] = ContextVar("orm_analyzer_scope", default=None)
_allowed: ContextVar[tuple[str, ...]] = ContextVar("orm_analyzer_allowed", default=())

_TRACKED_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
# One pass over a statement finds, leftmost first, each part that can hold a literal or a comment. Standard
# (SQLite, PostgreSQL): -- and /* */ comments, strings with N/X/B/U& prefixes, E'' strings with backslash escapes,
# dollar quotes. MySQL (a statement with backticks): # comments too, backslash escapes in every string, no dollar
# quotes. Both: double-quoted and backticked tokens, hex, binary and decimal numbers.
_COMMENT = r"(?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))"
_QUOTED = r"|(?P<double>\"(?:[^\"]|\"\")*\"?)|(?P<backtick>`(?:[^`]|``)*`?)"
_NUMBER = (
    r"|(?P<number>(?<![\w\"`$.])-?(?:0[xX][0-9A-Fa-f]+|0[bB][01]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"(?![\w\"`]))"
)
_STANDARD_TOKENS = re.compile(
    _COMMENT
    + r"|(?P<string>(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*'?|(?:(?<![\w$])(?:[NnXxBb]|[Uu]&))?'(?:[^']|'')*'?)"
    + r"|(?P<dollar>\$(?P<tag>[A-Za-z_]\w*|)\$.*?(?:\$(?P=tag)\$|\Z))"
    + _QUOTED
    + _NUMBER,
    re.DOTALL,
)
_MYSQL_TOKENS = re.compile(
    _COMMENT
    + r"|(?P<hash_comment>#[^\n]*)"
    + r"|(?P<string>(?:(?<![\w$])[NnXxBb])?'(?:[^'\\]|\\.|'')*'?)"
    + _QUOTED
    + _NUMBER,
    re.DOTALL,
)
# Words after which a double-quoted token names a table, column, alias or savepoint (as Django writes them).
_NAME_KEYWORDS = frozenset(
    {"AS", "BY", "CONFLICT", "FROM", "INTO", "JOIN", "RETURNING", "SAVEPOINT", "SET", "TABLE", "UPDATE"}
)
_LIST_ITEM_ENDS = frozenset({"ASC", "DESC", "FIRST", "LAST"})
_OPERATOR_AFTER = re.compile(r"\s*(?:[=<>!]|(?:IS|IN|LIKE|ILIKE|GLOB|BETWEEN|NOT)\b)", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"(\w+)\s*$")
_IN_LIST = re.compile(r"IN \((?:%s, )*%s\)")
_VALUES_LIST = re.compile(r"(\((?:%s, )*%s\))(?:, \((?:%s, )*%s\))+")
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+[\"`\[]?(\w+)", re.IGNORECASE)
# A single-quoted literal, whose parentheses do not open or close a subquery.
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_shapes: dict[str, str] = {}
_tables: dict[str, str] = {}
_sql_models: dict[str, str] = {}
_SHAPE_CACHE_SIZE = 4096


def normalize_sql(sql: str) -> str:
    """The shape of a statement: literals, parameters and comments removed, IN and VALUES lists collapsed.

    Strings (any prefix), dollar-quoted strings, hex, binary and decimal numbers become %s and comments are
    dropped. Names are kept: backticked ones always, double-quoted ones when the statement reads like SQLite or
    PostgreSQL (no backticks) and the token stands where Django writes a name (``_double_quoted_is_name``). In a
    statement with backticks (MySQL, where double quotes make strings) every double-quoted token is a string.
    """
    shape = _shapes.get(sql)
    if shape is None:
        shape = _strip_literals(sql)
        shape = _IN_LIST.sub("IN (...)", shape)
        shape = _VALUES_LIST.sub(r"\1, ...", shape)
        if len(_shapes) >= _SHAPE_CACHE_SIZE:
            _shapes.clear()
        _shapes[sql] = shape
    return shape


def _strip_literals(sql: str) -> str:
    mysql = "`" in sql
    pieces: list[str] = []
    kept_name_ends: set[int] = set()
    position = 0
    for match in (_MYSQL_TOKENS if mysql else _STANDARD_TOKENS).finditer(sql):
        kind = next(name for name, text in match.groupdict().items() if text is not None and name != "tag")
        pieces.append(sql[position : match.start()])
        position = match.end()
        if kind == "backtick" or (
            kind == "double" and not mysql and _double_quoted_is_name(sql, match, kept_name_ends)
        ):
            pieces.append(match.group())
            kept_name_ends.add(match.end())
        elif kind in ("comment", "hash_comment"):
            # The comment goes with the blanks before it; one space keeps the words on either side apart.
            pieces[-1] = pieces[-1].rstrip(" \t")
            if pieces[-1] and sql[match.end() : match.end() + 1] not in ("", " ", "\t", "\r", "\n"):
                pieces.append(" ")
        else:
            pieces.append("%s")
    pieces.append(sql[position:])
    return "".join(pieces)


def _double_quoted_is_name(sql: str, match: re.Match[str], kept_name_ends: set[int]) -> bool:
    """Whether a double-quoted token is a name: part of a dotted name, after a word that introduces one (FROM,
    JOIN, AS, BY, SET, ...), the left side of a comparison, the first of a column list after a name, or the next
    item of a list whose item before is a name."""
    before = sql[: match.start()].rstrip()
    after = sql[match.end() :]
    if before.endswith(".") or after.startswith("."):
        return True
    if _OPERATOR_AFTER.match(after):
        return True
    word = _WORD_BEFORE.search(before)
    if word is not None and word.group(1).upper() in _NAME_KEYWORDS:
        return True
    if before.endswith("("):
        opening = before[:-1].rstrip()
        word = _WORD_BEFORE.search(opening)
        return len(opening) in kept_name_ends or (word is not None and word.group(1).upper() == "CONFLICT")
    if before.endswith(","):
        item_end = before[:-1].rstrip()
        word = _WORD_BEFORE.search(item_end)
        return len(item_end) in kept_name_ends or (word is not None and word.group(1).upper() in _LIST_ITEM_ENDS)
    return False


def _outer_table(sql: str) -> str | None:
    """The first table named at parenthesis depth 0: the statement's own, not an EXISTS or IN subquery's."""
    first: str | None = None
    for match in _TABLE.finditer(sql):
        prefix = _STRING_LITERAL.sub("", sql[: match.start()])
        if prefix.count("(") == prefix.count(")"):
            return match.group(1)
        if first is None:
            first = match.group(1)
    return first


def model_for_sql(sql: str) -> str:
    """The label of the model whose table the statement reads or writes, or "" if unknown."""
    label = _sql_models.get(sql)
    if label is None:
        table = _outer_table(sql)
        if not _tables:
            from django.apps import apps

            # Auto-created many-to-many tables have a model too (catalog.Book_tags).
            models = apps.get_models(include_auto_created=True)
            _tables.update({model._meta.db_table: model._meta.label for model in models})
        label = _tables.get(table, "") if table is not None else ""
        if len(_sql_models) >= _SHAPE_CACHE_SIZE:
            _sql_models.clear()
        _sql_models[sql] = label
    return label


def _params_key(sql: str, params: Any) -> int:
    # The raw text is part of the key so that literals formatted into the SQL count as different parameters.
    try:
        return hash((sql, tuple(params) if isinstance(params, list) else params))
    except TypeError:
        return hash((sql, repr(params)))


def _repeated_query_fix(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if verb == "INSERT":
        return "collect the objects and save them with one bulk_create()"
    if verb == "UPDATE":
        return "use bulk_update() or one queryset.update() instead of save() per item"
    if verb == "DELETE":
        return "delete them in one query: filter(...).delete()"
    if 'COUNT(*) AS "__count"' in sql or "COUNT(*) AS `__count`" in sql:
        return "annotate the count on the outer queryset: .annotate(n=Count(...))"
    if re.search(r"SELECT (?:\(?1\)?|%s) AS [\"`]a[\"`]", sql):
        return "annotate the outer queryset with Exists(...) instead of exists() per item"
    return "fetch the rows in one query before the loop (filter(pk__in=...), in_bulk() or prefetch_related)"


@dataclass
class _Group:
    """The events of one kind of per-row work (a relation, or a query shape) along one code path."""

    kind: Kind
    model: str
    field_name: str
    fix: str
    sql: str = ""
    traces: list[Trace] = field(default_factory=list)
    params: list[int] = field(default_factory=list)


@dataclass
class EagerRecord:
    """One select_related / prefetch_related path of an evaluated queryset, and whether anything read it."""

    model: str
    path: str
    method: str
    location: Location
    instances: int = 0
    used: bool = False


def repetitions(group: _Group, threshold: int) -> Iterator[tuple[int, bool, list[int]]]:
    """(level, library, event indexes) of each loop that repeats the group's work at least `threshold` times.

    From the innermost application frame outwards, the events under one invocation of a frame are repeated by a
    loop when they come from `threshold` different units of work: different calls of the next inner frame (for
    the innermost frame, different library calls) made by a `for` loop of the frame, or, with `library` true, the
    rows a template, serializer or formset loops over inside one call. A test or library calling application code
    many times makes a new frame each time, so its calls never share a frame and are never a loop.
    """
    traces = group.traces
    remaining = list(range(len(traces)))
    for level in range(len(traces[0].frames)):
        owners: dict[int, list[int]] = {}
        for index in remaining:
            owners.setdefault(traces[index].owner(level), []).append(index)
        remaining = []
        for members in owners.values():
            first = traces[members[0]]
            units = len({traces[index].unit_at(level) for index in members})
            if units >= threshold and (level > 0 and first.library_loop(level)):
                library: bool | None = True
            elif units >= threshold and level != first.entry_level and in_for_loop(first, level):
                library = False
            elif level == 0 and first.library_loop(0) and len(members) >= threshold:
                # One call (a template render, serializer.data) whose own loop repeats the work per row.
                library = True
            else:
                library = None
            # The same query with the same parameters is a cache miss, not per-row work.
            if (
                library is not None
                and group.kind == "repeated_query"
                and len({group.params[index] for index in members}) < threshold
            ):
                library = None
            if library is None:
                remaining.extend(members)
            else:
                yield level, library, members
        if not remaining:
            return


@dataclass
class Scope:
    """The state of one detection scope: events per code path, eager loads, findings of finished children."""

    config: DetectorConfig
    origin: str = ""
    parent: Scope | None = None
    # Bumped on every request_started, so that a test calling a view for several objects is not an N+1 itself.
    serial: int = 0
    groups: dict[tuple[Any, ...], _Group] = field(default_factory=dict)
    eager: list[EagerRecord] = field(default_factory=list)
    children: list[RuntimeFinding] = field(default_factory=list)
    # The lazy load just recorded and the application frame it was recorded in: the next query from that frame is
    # the load's own query, reported as the lazy load and not counted again.
    pending_lazy: tuple[_Group, FrameType | None] | None = None
    # Above zero while unittest's setUp / tearDown run: outside the checked scope.
    paused: int = 0
    _allow_cache: dict[tuple[tuple[str, ...], str], bool] = field(default_factory=dict)

    def is_allowed(self, *candidates: str) -> bool:
        patterns = self.config.allow + _allowed.get()
        if not patterns:
            return False
        for candidate in candidates:
            key = (patterns, candidate)
            allowed = self._allow_cache.get(key)
            if allowed is None:
                allowed = any(fnmatchcase(candidate, pattern) for pattern in patterns)
                self._allow_cache[key] = allowed
            if allowed:
                return True
        return False

    def _trace(self, frame: FrameType) -> Trace | None:
        return capture(frame, self.config.root, test_code=self.config.test_code)

    def record_lazy(self, model: str, field_name: str, fix: str) -> None:
        """Count one lazy load of `model.field_name` on an instance that came from a multi-row queryset."""
        if self.paused:
            return
        try:
            short = model.rsplit(".", 1)[-1]
            allowed = self.is_allowed(f"{model}.{field_name}", f"{short}.{field_name}")
            trace = self._trace(sys._getframe(1))
            if trace is None:
                self.pending_lazy = None
                return
            # The fix names the relation path, so a walk up a self-FK (obj.parent.parent) is two loads, not a loop.
            key = (self.serial, "lazy", model, field_name, fix, trace.signature)
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group("lazy_load", model, field_name, fix)
            # An allowed lazy load still keeps its own query out of the repeated-query count.
            if not allowed:
                group.traces.append(trace)
                group.params.append(0)
            # With no application frame of its own (a class-based view's template), the load has only the entry frame.
            self.pending_lazy = (group, None if trace.entry_level == 0 else trace.frames[0])
        except Exception:
            # The detector must never break the code it watches: report its own failure and carry on.
            log_detector_error("recording a lazy load failed", self.origin)

    def record_query(self, sql: str, params: Any) -> None:
        """Count one executed statement per shape and code path."""
        if self.paused:
            return
        try:
            pending = self.pending_lazy
            if pending is not None:
                self.pending_lazy = None
                group, frame = pending
                if innermost_frame(sys._getframe(1), test_code=self.config.test_code) is frame:
                    if not group.sql:
                        group.sql = normalize_sql(sql)
                    return
            if not sql.lstrip()[:6].upper().startswith(_TRACKED_VERBS):
                return
            shape = normalize_sql(sql)
            model = model_for_sql(sql)
            if self.is_allowed(model, model.rsplit(".", 1)[-1], shape):
                return
            trace = self._trace(sys._getframe(1))
            if trace is None or trace.framework:
                return
            key = (self.serial, "query", shape, trace.signature)
            query = self.groups.get(key)
            if query is None:
                query = self.groups[key] = _Group("repeated_query", model, "", _repeated_query_fix(sql), shape)
            query.traces.append(trace)
            query.params.append(_params_key(sql, params))
        except Exception:
            log_detector_error("recording a query failed", self.origin)

    def register_eager(self, model: str, path: str, method: str) -> EagerRecord | None:
        location = find_location(self.config.root, sys._getframe(1))
        if location is None or self.is_allowed(f"{model}.{path}", f"{model.rsplit('.', 1)[-1]}.{path}"):
            return None
        record = EagerRecord(model, path, method, location)
        self.eager.append(record)
        return record

    def findings(self) -> list[RuntimeFinding]:
        """The N+1s (and unused eager loads) of this scope, over the threshold, merged per call site."""
        threshold = self.config.threshold
        root = self.config.root
        merged: dict[tuple[str, str, str, str, int], RuntimeFinding] = {}

        def add(kind: Kind, model: str, field_name: str, location: Location, count: int, fix: str, sql: str) -> None:
            site = location.site
            key = (kind, model, field_name if kind != "repeated_query" else sql, site.path, site.line)
            existing = merged.get(key)
            if existing is not None:
                merged[key] = replace(existing, count=existing.count + count)
                return
            merged[key] = RuntimeFinding(
                kind=kind,
                model=model,
                field=field_name,
                count=count,
                path=site.path,
                line=site.line,
                function=site.function,
                fix=fix,
                sql=sql,
                origin=self.origin,
                serializer_field=location.serializer_field,
            )

        lazy_lines: set[tuple[int, str, int, str]] = set()
        queries: list[tuple[int, _Group, Location, int]] = []
        for key, group in self.groups.items():
            if not group.traces:
                continue
            for level, library, members in repetitions(group, threshold):
                location = locate(group.traces[members[0]], level, root, library=library)
                if group.kind == "lazy_load":
                    lazy_lines.add((key[0], location.site.path, location.site.line, group.sql))
                    add("lazy_load", group.model, group.field_name, location, len(members), group.fix, group.sql)
                else:
                    queries.append((key[0], group, location, len(members)))
        for serial, query, location, count in queries:
            # A lazy load's own query repeats at the same line; it is already reported as the lazy load. Another
            # query at that line (a save() next to a relation read) is an N+1 of its own.
            if (serial, location.site.path, location.site.line, query.sql) not in lazy_lines:
                add("repeated_query", query.model, "", location, count, query.fix, query.sql)
        for eager in self.eager:
            if not eager.used and eager.instances:
                fix = f'{eager.method}("{eager.path}") is never read; remove it'
                add("unused_eager_load", eager.model, eager.path, eager.location, eager.instances, fix, "")
        ordered = sorted(merged.values(), key=lambda finding: (finding.path, finding.line, finding.kind))
        return ordered + self.children


def log_detector_error(message: str, origin: str) -> None:
    """Log a failure inside the detector itself, with the traceback, without raising."""
    logger.error(
        "[%(app)s:%(view)s] %(message)s",
        {"app": "runtime", "view": origin or "-", "message": message},
        exc_info=True,
        extra={"app": "runtime", "view": origin or "-"},
    )


def current() -> Scope | None:
    """The scope active in this context, if any."""
    return _current.get()


@contextmanager
def allow_nplusone(*patterns: str) -> Iterator[None]:
    """Allow N+1s matching the fnmatch patterns ("catalog.Book.author", "catalog.*") in the block; none: all."""
    token = _allowed.set(_allowed.get() + (patterns or ("*",)))
    try:
        yield
    finally:
        _allowed.reset(token)
