"""Instrumentation of Django: the query execute wrapper and the patches of the related-object descriptors.

Everything here is installed while at least one detection scope is open and restored when the last one closes.
The patched functions are process-wide, so each one first looks up the scope of the current context and, when
there is none, does exactly what Django does. Instances loaded by a queryset of more than one row carry a mark
on their `_state`: the relation path from the queryset that loaded them ("" for its own rows, "author" for a
book's author), which turns every lazy load into a fix written against the user's queryset.
"""

from __future__ import annotations

import functools
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from asgiref.sync import SyncToAsync
from django.apps import apps
from django.core.signals import request_started
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import Model, Prefetch
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from django.db.models.query import QuerySet
from django.db.models.query_utils import DeferredAttribute

from runtime._fetch_modes import loads_one_at_a_time
from runtime._scope import EagerRecord, Scope, _current, log_detector_error
from runtime.callsite import capture, outer_trace

MARK = "_orm_analyzer_path"
EAGER = "_orm_analyzer_eager"
_PREFIX = "_orm_analyzer_prefix"
# Manager methods that write: their queries are judged as repeated queries (bulk_create, update, ...).
_WRITE_METHODS = frozenset(
    {"create", "get_or_create", "update_or_create", "bulk_create", "update", "delete", "add", "remove", "set", "clear"}
)
_FILTERING_METHODS = frozenset({"filter", "exclude", "order_by", "get", "first", "last", "latest", "earliest"})

_lock = threading.Lock()
_active = 0
_eager_active = 0
_originals: list[tuple[type, str, Any]] = []
_eager_originals: list[tuple[type, str, Any]] = []
_wrapped_connections: weakref.WeakSet[Any] = weakref.WeakSet()


def _join(prefix: str, name: str) -> str:
    return f"{prefix}__{name}" if prefix else name


def _mark_of(instance: Any) -> str | None:
    state = getattr(instance, "_state", None)
    return getattr(state, MARK, None)


def _note_eager_read(instance: Any, name: str) -> None:
    eager: dict[str, EagerRecord] | None = getattr(instance._state, EAGER, None)
    if eager:
        record = eager.get(name)
        if record is not None:
            record.used = True


# --- query capture ---------------------------------------------------------------------------------------------


def _execute_wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    scope = _current.get()
    if scope is not None:
        scope.record_query(sql, params)
    return execute(sql, params, many, context)


def _wrap_connection(connection: Any) -> None:
    if _execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_execute_wrapper)
        _wrapped_connections.add(connection)


def wrap_current_connections() -> None:
    """Add the execute wrapper to this thread's connections (connections opened later get it on creation)."""
    for alias in connections:
        _wrap_connection(connections[alias])


def _patch_prepare_cursor(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    # Connections of other threads (asgiref's executor, server threads) may predate the scope: wrap them lazily.
    def _prepare_cursor(self: Any, cursor: Any) -> Any:
        if _current.get() is not None:
            _wrap_connection(self)
        return original(self, cursor)

    return _prepare_cursor


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    _wrap_connection(connection)


def _on_request_started(sender: Any, **kwargs: Any) -> None:
    scope = _current.get()
    if scope is not None:
        scope.serial += 1


# --- marking instances from multi-row querysets ------------------------------------------------------------------


def _children(instance: Any, name: str) -> list[Any]:
    """The related objects already loaded (select_related or prefetched) under `name`, without a query."""
    fields_cache = instance._state.fields_cache
    if name in fields_cache:
        related = fields_cache[name]
        return [related] if related is not None else []
    prefetched = getattr(instance, "_prefetched_objects_cache", {}).get(name)
    if prefetched is not None and getattr(prefetched, "_result_cache", None) is not None:
        return list(prefetched._result_cache)
    return []


def _select_related_paths(select_related: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for name, nested in select_related.items():
        path = _join(prefix, name)
        yield path
        yield from _select_related_paths(nested, path)


def _eager_paths(queryset: QuerySet[Any]) -> list[tuple[str, str]]:
    """(path, method) of every select_related / prefetch_related lookup whose reads can be observed."""
    paths: list[tuple[str, str]] = []
    if isinstance(queryset.query.select_related, dict):
        paths.extend((path, "select_related") for path in _select_related_paths(queryset.query.select_related))
    for lookup in getattr(queryset, "_prefetch_related_lookups", ()):
        if isinstance(lookup, Prefetch):
            if lookup.to_attr:
                # Prefetch(to_attr=...) stores a plain list: reads of it cannot be observed, so stay quiet.
                continue
            lookup = lookup.prefetch_to
        parts = str(lookup).split("__")
        paths.extend(("__".join(parts[: depth + 1]), "prefetch_related") for depth in range(len(parts)))
    return list(dict.fromkeys(paths))


def _mark_loaded(queryset: QuerySet[Any], results: list[Any], scope: Scope, per_row: bool) -> None:
    """Mark per-row instances (and what they brought along) with their path; register eager loads if asked."""
    prefix: str = queryset.__dict__.get(_PREFIX, "")
    if per_row:
        # The hot path of every multi-row queryset: write the mark straight into each state's __dict__.
        for instance in results:
            instance._state.__dict__[MARK] = prefix
    lookups = getattr(queryset, "_prefetch_related_lookups", ())
    paths = _eager_paths(queryset) if queryset.query.select_related or lookups else []
    if not paths:
        return
    model = queryset.model._meta.label
    # Level by level: the objects at each path, marked with their path so that nested lazy loads name it.
    levels: dict[str, list[Any]] = {"": results}
    for path, method in paths:
        parent_path, _, name = path.rpartition("__")
        parents = levels.get(parent_path, [])
        record = scope.register_eager(model, path, method) if scope.config.unused_eager and parents else None
        loaded: list[Any] = []
        for parent in parents:
            if record is not None:
                parent._state.__dict__.setdefault(EAGER, {})[name] = record
            fields_cache = parent._state.fields_cache
            if name in fields_cache:
                if fields_cache[name] is not None:
                    loaded.append(fields_cache[name])
            else:
                loaded.extend(_children(parent, name))
        if record is not None:
            record.instances = len(parents)
        if per_row:
            full_path = _join(prefix, path)
            for child in loaded:
                child._state.__dict__[MARK] = full_path
        levels[path] = loaded


def _patch_fetch_all(original: Callable[[QuerySet[Any]], None]) -> Callable[[QuerySet[Any]], None]:
    def _fetch_all(self: QuerySet[Any]) -> None:
        scope = _current.get()
        if scope is None or self._result_cache is not None:
            original(self)
            return
        original(self)
        results = self._result_cache
        if not results or not isinstance(results[0], Model):
            return
        per_row = len(results) > 1 or _PREFIX in self.__dict__
        # A single row (qs[0], get()) is never an N+1, but its eager loads can still be unused.
        if per_row or scope.config.unused_eager:
            try:
                _mark_loaded(self, results, scope, per_row)
            except Exception:
                log_detector_error("marking loaded instances failed", scope.origin)

    return _fetch_all


def _mark_selected(instance: Model, prefix: str, paths: list[str]) -> None:
    """Mark the objects select_related brought along with one streamed row, with their paths."""
    levels: dict[str, list[Any]] = {"": [instance]}
    for path in paths:
        parent_path, _, name = path.rpartition("__")
        loaded = [
            parent._state.fields_cache[name]
            for parent in levels.get(parent_path, [])
            if parent._state.fields_cache.get(name) is not None
        ]
        for child in loaded:
            child._state.__dict__[MARK] = _join(prefix, path)
        levels[path] = loaded


def _patch_iterator(original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    # QuerySet.iterator() bypasses _fetch_all and streams: its rows are taken as per-row instances from the first
    # one on, as iterator() is meant for many rows and a row is read before the next one is known to exist.
    def _iterator(self: QuerySet[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
        prefix: str = self.__dict__.get(_PREFIX, "")
        select_related = self.query.select_related
        selected = list(_select_related_paths(select_related)) if isinstance(select_related, dict) else []
        for instance in original(self, *args, **kwargs):
            if isinstance(instance, Model) and _current.get() is not None:
                instance._state.__dict__[MARK] = prefix
                if selected:
                    _mark_selected(instance, prefix, selected)
            yield instance

    return _iterator


# --- lazy loads ----------------------------------------------------------------------------------------------------


def _patch_forward_get_object(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def get_object(self: ForwardManyToOneDescriptor[Any], instance: Any) -> Any:
        scope = _current.get()
        path = _mark_of(instance) if scope is not None else None
        if scope is None or path is None:
            return original(self, instance)
        name = self.field.name
        child_path = _join(path, name)
        scope.record_lazy(instance._meta.label, name, f'add .select_related("{child_path}")')
        related = original(self, instance)
        setattr(related._state, MARK, child_path)
        return related

    return get_object


def _patch_forward_get(original: Callable[..., Any]) -> Callable[..., Any]:
    def __get__(self: ForwardManyToOneDescriptor[Any], instance: Any, cls: Any = None) -> Any:
        if instance is not None and _current.get() is not None:
            _note_eager_read(instance, self.field.name)
        return original(self, instance, cls)

    return __get__


def _patch_reverse_one_to_one_get(original: Callable[..., Any]) -> Callable[..., Any]:
    def __get__(self: ReverseOneToOneDescriptor[Any, Any], instance: Any, cls: Any = None) -> Any:
        scope = _current.get()
        if instance is None or scope is None:
            return original(self, instance, cls)
        name = self.related.get_accessor_name() or ""
        _note_eager_read(instance, name)
        path = _mark_of(instance)
        if path is None or self.related.is_cached(instance) or not loads_one_at_a_time(instance):
            return original(self, instance, cls)
        child_path = _join(path, name)
        scope.record_lazy(instance._meta.label, name, f'add .select_related("{child_path}")')
        related = original(self, instance, cls)
        setattr(related._state, MARK, child_path)
        return related

    return __get__


_manager_names: dict[Any, str] = {}


def _manager_name(descriptor: Any) -> str:
    name = _manager_names.get(descriptor)
    if name is None:
        # A GenericRelation's descriptor is a ReverseManyToOneDescriptor whose field is the GenericRelation itself.
        if type(descriptor).__name__ == "ReverseGenericManyToOneDescriptor" or (
            isinstance(descriptor, ManyToManyDescriptor) and not descriptor.reverse
        ):
            name = str(descriptor.field.name)
        else:
            name = str(descriptor.rel.get_accessor_name())
        _manager_names[descriptor] = name
    return name


def _calling_method(frame: Any) -> str:
    """The manager method that called get_queryset (the proxied QuerySet method name for filter, count, ...)."""
    if frame is None:
        return ""
    name = str(frame.f_code.co_name)
    if name == "manager_method":
        return str(frame.f_locals.get("name", ""))
    return name


def _manager_fix(method: str, path: str) -> str:
    if method == "count":
        return f'annotate the count on the outer queryset: .annotate({path.replace("__", "_")}_count=Count("{path}"))'
    if method == "exists":
        return f'annotate the outer queryset: .annotate(has_{path.replace("__", "_")}=Exists(...)) or Count("{path}")'
    if method in _FILTERING_METHODS:
        return f'add .prefetch_related(Prefetch("{path}", queryset=...)) with the {method}() done in it'
    return f'add .prefetch_related("{path}")'


def _patch_related_manager_get(original: Callable[..., Any]) -> Callable[..., Any]:
    def __get__(self: ReverseManyToOneDescriptor[Any], instance: Any, cls: Any = None) -> Any:
        manager = original(self, instance, cls)
        scope = _current.get()
        if instance is None or scope is None:
            return manager
        name = _manager_name(self)
        _note_eager_read(instance, name)
        path = _mark_of(instance)
        if path is None:
            return manager
        prefetched = instance.__dict__.get("_prefetched_objects_cache")
        if prefetched and name in prefetched:
            # The hot path of a loop over prefetched rows: the manager answers from the cache, nothing to watch.
            return manager
        child_path = _join(path, name)
        get_queryset = manager.get_queryset
        label = instance._meta.label

        def lazy_get_queryset() -> QuerySet[Any]:
            queryset: QuerySet[Any] = get_queryset()
            method = _calling_method(sys._getframe(1))
            # prefetch_related_objects() asks each instance's manager for a queryset to fill, and runs no query.
            if queryset._result_cache is None and method not in _WRITE_METHODS and method != "prefetch_one_level":
                active = _current.get()
                if active is not None:
                    active.record_lazy(label, name, _manager_fix(method, child_path))
                    # Rows of a per-row related queryset are per-row loads too, even one at a time.
                    queryset.__dict__[_PREFIX] = child_path
            return queryset

        manager.get_queryset = lazy_get_queryset
        return manager

    return __get__


def _patch_generic_foreign_key_get(original: Callable[..., Any], descriptor_class: bool) -> Callable[..., Any]:
    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        scope = _current.get()
        if instance is None or scope is None:
            return original(self, instance, cls)
        generic_key = self.field if descriptor_class else self
        name = str(generic_key.name)
        _note_eager_read(instance, name)
        path = _mark_of(instance)
        if path is None or generic_key.is_cached(instance) or not loads_one_at_a_time(instance):
            return original(self, instance, cls)
        content_type_field = instance._meta.get_field(generic_key.ct_field)
        if getattr(instance, content_type_field.attname, None) is None:
            return original(self, instance, cls)
        child_path = _join(path, name)
        scope.record_lazy(instance._meta.label, name, f'add .prefetch_related("{child_path}")')
        related = original(self, instance, cls)
        if isinstance(related, Model):
            setattr(related._state, MARK, child_path)
        return related

    return __get__


def _patch_check_parent_chain(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    # DeferredAttribute.__get__ refreshes the instance from the database when this returns None.
    def _check_parent_chain(self: DeferredAttribute, instance: Any) -> Any:
        value = original(self, instance)
        if value is None:
            scope = _current.get()
            if scope is not None and _mark_of(instance) is not None and loads_one_at_a_time(instance):
                name = self.field.name
                fix = f'add "{name}" to .only(...) or remove it from .defer(...)'
                scope.record_lazy(instance._meta.label, name, fix)
        return value

    return _check_parent_chain


# --- async: the call site of work handed to asgiref's threads -----------------------------------------------------


def _patch_sync_to_async_call(original: Callable[..., Any]) -> Callable[..., Any]:
    # The worker thread's stack holds no application frame: carry the awaiting code's frames over to it.
    async def __call__(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        scope = _current.get()
        if scope is None:
            return await original(self, *args, **kwargs)
        trace = capture(sys._getframe(1), scope.config.root, test_code=scope.config.test_code)
        token = outer_trace.set((threading.get_ident(), trace) if trace is not None else None)
        try:
            return await original(self, *args, **kwargs)
        finally:
            outer_trace.reset(token)

    return __call__


# --- installation ----------------------------------------------------------------------------------------------


@functools.cache
def _generic_foreign_key_target() -> tuple[type, bool] | None:
    # contenttypes.fields defines a model: it can only be imported when the app is installed.
    if not apps.is_installed("django.contrib.contenttypes"):
        return None
    from django.contrib.contenttypes import fields as contenttypes_fields

    # Django 6.1 moved __get__ to a separate GenericForeignKeyDescriptor; before, the field is its own descriptor.
    descriptor = getattr(contenttypes_fields, "GenericForeignKeyDescriptor", None)
    if isinstance(descriptor, type):
        return descriptor, True
    return contenttypes_fields.GenericForeignKey, False


def _replace(owner: type, name: str, patched: Any, saved: list[tuple[type, str, Any]]) -> None:
    saved.append((owner, name, owner.__dict__[name]))
    setattr(owner, name, patched)


def _install() -> None:
    targets: list[tuple[type, str, Callable[[Any], Any]]] = [
        (BaseDatabaseWrapper, "_prepare_cursor", _patch_prepare_cursor),
        (QuerySet, "_fetch_all", _patch_fetch_all),
        (QuerySet, "_iterator", _patch_iterator),
        (ForwardManyToOneDescriptor, "get_object", _patch_forward_get_object),
        (ReverseOneToOneDescriptor, "__get__", _patch_reverse_one_to_one_get),
        (ReverseManyToOneDescriptor, "__get__", _patch_related_manager_get),
        (DeferredAttribute, "_check_parent_chain", _patch_check_parent_chain),
        (SyncToAsync, "__call__", _patch_sync_to_async_call),
    ]
    generic = _generic_foreign_key_target()
    if generic is not None:
        generic_target, descriptor_class = generic
        targets.append(
            (generic_target, "__get__", lambda original: _patch_generic_foreign_key_get(original, descriptor_class))
        )
    for owner, name, factory in targets:
        _replace(owner, name, factory(owner.__dict__[name]), _originals)
    connection_created.connect(_on_connection_created, dispatch_uid="orm_analyzer_connection_created")
    request_started.connect(_on_request_started, dispatch_uid="orm_analyzer_request_started")


def _uninstall(saved: list[tuple[type, str, Any]]) -> None:
    while saved:
        owner, name, original = saved.pop()
        setattr(owner, name, original)


def activate(unused_eager: bool) -> None:
    """Count one more open scope; the first one installs the patches (and the eager-read hook if asked)."""
    global _active, _eager_active
    with _lock:
        if _active == 0:
            _install()
        _active += 1
        if unused_eager:
            if _eager_active == 0:
                original = ForwardManyToOneDescriptor.__dict__["__get__"]
                _replace(ForwardManyToOneDescriptor, "__get__", _patch_forward_get(original), _eager_originals)
            _eager_active += 1


def deactivate(unused_eager: bool) -> None:
    """Count one scope less; the last one restores Django and removes the execute wrapper everywhere."""
    global _active, _eager_active
    with _lock:
        if unused_eager:
            _eager_active -= 1
            if _eager_active == 0:
                _uninstall(_eager_originals)
        _active -= 1
        if _active == 0:
            _uninstall(_originals)
            connection_created.disconnect(dispatch_uid="orm_analyzer_connection_created")
            request_started.disconnect(dispatch_uid="orm_analyzer_request_started")
            for connection in list(_wrapped_connections):
                if _execute_wrapper in connection.execute_wrappers:
                    connection.execute_wrappers.remove(_execute_wrapper)
            _wrapped_connections.clear()


def is_active() -> bool:
    """True while any scope is open (the patches are installed)."""
    return _active > 0
