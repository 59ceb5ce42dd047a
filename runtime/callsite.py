"""Find where in the application's code a query or lazy load comes from, and which loop repeats it.

Every recorded event captures a `Trace`: the application frames on the stack, innermost first, with their lines.
Application code is everything outside site-packages, the standard library, Django, DRF and this package; test
files, conftest modules and factory modules are test code, which counts as application code only when the scope
asks for it. Frames are kept by identity, so that the scope can tell an application loop (many events under one
invocation of the loop's frame) from a test or a library calling application code many times (a new frame each
time). A template node being rendered and a DRF serializer field are noted between the frames they sit between,
as they name the site better than the Python line around them.
"""

from __future__ import annotations

import dis
import inspect
import itertools
import os
import re
import sys
import sysconfig
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

from runtime.findings import CallSite

_EXCLUDED, _USER, _TEST, _TEMPLATE_NODE, _SERIALIZER, _FRAMEWORK, _ROW_LOOP = range(7)

_classification: dict[CodeType, int] = {}
_excluded_prefixes: tuple[str, ...] | None = None
_relative_paths: dict[tuple[str, str], str] = {}
_field_lines: dict[tuple[type, str], tuple[str, int] | None] = {}
_own_templates: dict[str, bool] = {}
_loop_bodies: dict[CodeType, tuple[tuple[int, int], ...]] = {}
_code_positions: dict[CodeType, list[tuple[int | None, int | None, int | None, int | None]]] = {}
_event_serial = itertools.count()

# Django's session and auth code repeats queries for its own reasons (a session key collision check, cycle_key()).
_FRAMEWORK_PARTS = ("/django/contrib/sessions/", "/django/contrib/auth/")
# Library loops over the application's rows that call application code per row, like a template's {% for %}.
_ROW_LOOPS = {
    "django/forms/formsets.py": frozenset({"forms", "<listcomp>"}),
    # The admin's change list calls a list_display callable once per result row.
    "django/contrib/admin/templatetags/admin_list.py": frozenset({"items_for_result"}),
}
_TEST_FILE = re.compile(r"^(?:test_.*|.*_tests?|tests?|conftest|factories|factory)\.py$")
_TEST_DIRS = frozenset({"tests", "test", "testing", "factories"})

# The application frames of the coroutine that handed work to an asgiref thread (sync_to_async), for that thread.
outer_trace: ContextVar[tuple[int, Trace] | None] = ContextVar("orm_analyzer_outer_trace", default=None)


@dataclass(frozen=True)
class Location:
    """A call site and, when the access happens while a DRF serializer renders, the serializer field.

    ``framework`` is true when the query comes from Django's own session or auth code.
    """

    site: CallSite
    serializer_field: str = ""
    framework: bool = False


@dataclass(frozen=True)
class Marker:
    """A template line, a serializer field or a formset's form being built, between two application frames."""

    template: CallSite | None = None
    serializer: Any = None
    field_name: str = ""
    row_loop: bool = False


@dataclass(frozen=True)
class Trace:
    """The application frames above one event, innermost first, with their lines and the markers below each.

    ``markers[i]`` sits between ``frames[i - 1]`` (or the event) and ``frames[i]``. ``unit`` identifies the piece of
    work the event belongs to inside the innermost frame: the library call that frame made (one cascading
    `delete()`, one `prefetch_related_objects()`, one `iterator()` with its chunk prefetches, one thumbnail
    lookup); ``holder`` keeps that call's frame alive so that its identity cannot be reused.

    ``entry_level`` is the level of the *entry* frame, or -1: the library frame that test code (or, outside tests,
    the thread) called to run the application, such as the test client's ``get()``. A class-based view, a DRF
    viewset or the admin may have no application frame of their own; one request is then one call of the entry
    frame, whose template, serializer or admin loop repeats the per-row work. Only such a library loop counts at the
    entry level: a factory's or a test helper's own ``for`` loop there is the test's repetition, not the app's.
    """

    frames: tuple[FrameType, ...]
    lines: tuple[int, ...]
    offsets: tuple[int, ...]
    markers: tuple[Marker | None, ...]
    unit: int
    framework: bool
    holder: FrameType | None = None
    entry_level: int = -1

    @property
    def signature(self) -> tuple[Any, ...]:
        """The code path: the same for every repetition of the same per-row work.

        Source positions (line and columns of the instruction) rather than lines: two reads on one line
        (`[first.author, second.author]`) are two pieces of work, and one read repeated by a loop comes from the same
        expression each time. Not raw offsets: Python 3.12's specialising interpreter reports another offset for the
        first pass through a property access than for the later ones.
        """
        places = tuple(_place(frame.f_code, offset) for frame, offset in zip(self.frames, self.offsets, strict=True))
        return (tuple(frame.f_code for frame in self.frames), places, self.markers)

    def owner(self, level: int) -> int:
        return id(self.frames[level])

    def unit_at(self, level: int) -> int:
        """What is repeated under the frame at `level`: the call it makes (a new frame per iteration)."""
        return self.unit if level == 0 else id(self.frames[level - 1])

    def library_loop(self, level: int) -> bool:
        """True when a template, serializer or formset between the frame at `level` and the work loops over rows."""
        return self.markers[level] is not None


def _place(code: CodeType, offset: int) -> tuple[int | None, ...]:
    """The source position of the instruction at byte `offset` (its cache entries share it); the offset itself
    where the interpreter keeps no column positions (``-X no_debug_ranges``)."""
    positions = _code_positions.get(code)
    if positions is None:
        positions = _code_positions[code] = list(code.co_positions())
    index = offset // 2
    if 0 <= index < len(positions) and positions[index][2] is not None:
        return positions[index]
    return (offset,)


def _package_dir(name: str) -> str | None:
    module = sys.modules.get(name)
    module_file = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(module_file)) if module_file else None


def _prefixes() -> tuple[str, ...]:
    global _excluded_prefixes
    if _excluded_prefixes is None:
        paths = sysconfig.get_paths()
        candidates = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
        # The environment itself: console scripts such as bin/pytest run as a <module> frame there.
        candidates.update({sys.prefix, sys.exec_prefix, sys.base_prefix})
        candidates.add(os.path.dirname(os.path.abspath(__file__)))
        for package in ("django", "rest_framework", "asgiref"):
            directory = _package_dir(package)
            if directory:
                candidates.add(directory)
        _excluded_prefixes = tuple(os.path.join(os.path.abspath(path), "") for path in candidates)
    return _excluded_prefixes


def is_library_path(filename: str) -> bool:
    """True for files of installed packages, the standard library, Django, DRF and this package."""
    return filename.startswith("<") or "site-packages" in filename or filename.startswith(_prefixes())


def is_test_path(filename: str) -> bool:
    """True for test files and directories, conftest modules and factory modules."""
    parts = filename.replace(os.sep, "/").split("/")
    return bool(_TEST_FILE.match(parts[-1])) or not _TEST_DIRS.isdisjoint(parts[:-1])


def _classify_excluded(code: CodeType) -> int:
    normalized = code.co_filename.replace(os.sep, "/")
    if code.co_name == "render_annotated" and normalized.endswith("django/template/base.py"):
        return _TEMPLATE_NODE
    if code.co_name == "to_representation" and normalized.endswith("rest_framework/serializers.py"):
        return _SERIALIZER
    if any(part in normalized for part in _FRAMEWORK_PARTS):
        return _FRAMEWORK
    for suffix, names in _ROW_LOOPS.items():
        if normalized.endswith(suffix) and code.co_name in names:
            return _ROW_LOOP
    return _EXCLUDED


def _classify(code: CodeType) -> int:
    kind = _classification.get(code)
    if kind is None:
        filename = code.co_filename
        if is_library_path(filename):
            kind = _classify_excluded(code)
        elif is_test_path(filename):
            kind = _TEST
        else:
            kind = _USER
        _classification[code] = kind
    return kind


def relative_path(path: str, root: str) -> str:
    """`path` relative to `root` with forward slashes, or unchanged when it lies outside `root`."""
    key = (path, root)
    relative = _relative_paths.get(key)
    if relative is None:
        absolute = os.path.abspath(path)
        root_prefix = os.path.join(os.path.abspath(root), "")
        relative = os.path.relpath(absolute, root_prefix) if absolute.startswith(root_prefix) else absolute
        relative = relative.replace(os.sep, "/")
        _relative_paths[key] = relative
    return relative


def _template_marker(frame: FrameType, root: str) -> Marker | None:
    node = frame.f_locals.get("self")
    origin = getattr(node, "origin", None)
    token = getattr(node, "token", None)
    name = getattr(origin, "name", None)
    lineno = getattr(token, "lineno", None)
    if not isinstance(name, str) or not isinstance(lineno, int):
        return None
    own = _own_templates.get(name)
    if own is None:
        # A library's template (django_tables2's table.html, the admin's) is not the user's site: the site is then
        # the user's template or code that renders it.
        own = _own_templates[name] = not is_library_path(os.path.abspath(name))
    if not own:
        return None
    return Marker(template=CallSite(relative_path(name, root), lineno, ""))


_ROW_LOOP_MARKER = Marker(row_loop=True)


def _serializer_marker(frame: FrameType) -> Marker | None:
    field = frame.f_locals.get("field")
    name = getattr(field, "field_name", None)
    serializer = frame.f_locals.get("self")
    if not isinstance(name, str) or serializer is None:
        return None
    return Marker(serializer=serializer, field_name=name)


def capture(frame: FrameType | None, root: str, *, test_code: bool) -> Trace | None:
    """The application frames from `frame` outwards; None when no application code is on the stack."""
    frames: list[FrameType] = []
    lines: list[int] = []
    offsets: list[int] = []
    markers: list[Marker | None] = []
    marker: Marker | None = None
    callee: FrameType | None = None
    inner: FrameType | None = None
    framework = False
    # The library frame the first test frame called, where the loop-less work of one request begins.
    entry: tuple[int, FrameType, Marker | None] | None = None
    current = frame
    while current is not None:
        kind = _classify(current.f_code)
        if kind == _TEST and not test_code and entry is None and inner is not None and _classify(inner.f_code) != _USER:
            entry = (len(frames), inner, marker)
            marker = None
        if kind == _USER or (kind == _TEST and test_code):
            if not frames:
                callee = inner
            frames.append(current)
            lines.append(current.f_lineno or 0)
            offsets.append(current.f_lasti)
            markers.append(marker)
            marker = None
        elif kind in (_EXCLUDED, _TEST):
            pass
        elif kind == _TEMPLATE_NODE:
            if marker is None:
                marker = _template_marker(current, root)
        elif kind == _SERIALIZER:
            if marker is None:
                marker = _serializer_marker(current)
        elif kind == _ROW_LOOP:
            if marker is None:
                marker = _ROW_LOOP_MARKER
        else:
            framework = True
        inner = current
        current = current.f_back
    outer = outer_trace.get()
    carried: Trace | None = None
    if outer is not None and outer[0] != threading.get_ident():
        # Work handed to another thread by sync_to_async: its application frames are those of the awaiting code.
        carried = outer[1]
        if not frames:
            marker = marker or carried.markers[0]
            callee = carried.holder
        frames.extend(carried.frames)
        lines.extend(carried.lines)
        offsets.extend(carried.offsets)
        if carried.markers:
            markers.append(marker if marker is not None else carried.markers[0])
            markers.extend(carried.markers[1:])
        framework = framework or carried.framework
    entry_level = -1
    if carried is None:
        if entry is None and inner is not None and _classify(inner.f_code) != _USER:
            # No test code on the stack (a request to the dev server): the thread's outermost frame is the entry.
            entry = (len(frames), inner, marker)
        if entry is not None:
            entry_level, entry_frame, entry_marker = entry
            frames.insert(entry_level, entry_frame)
            lines.insert(entry_level, entry_frame.f_lineno or 0)
            offsets.insert(entry_level, entry_frame.f_lasti)
            markers.insert(entry_level, entry_marker)
    if not frames:
        return None
    unit = id(callee) if callee is not None else next(_event_serial)
    return Trace(tuple(frames), tuple(lines), tuple(offsets), tuple(markers), unit, framework, callee, entry_level)


def innermost_frame(frame: FrameType | None, *, test_code: bool) -> FrameType | None:
    """The first application frame from `frame` outwards (for work handed to a thread: the awaiting code's)."""
    current = frame
    while current is not None:
        kind = _classify(current.f_code)
        if kind == _USER or (kind == _TEST and test_code):
            return current
        current = current.f_back
    outer = outer_trace.get()
    if outer is not None and outer[0] != threading.get_ident():
        return outer[1].frames[0]
    return None


def _for_loop_bodies(code: CodeType) -> tuple[tuple[int, int], ...]:
    """The bytecode ranges of the `for` / `async for` loops (and comprehensions) in `code`."""
    bodies = _loop_bodies.get(code)
    if bodies is None:
        found: list[tuple[int, int]] = []
        async_starts: list[int] = []
        for instruction in dis.get_instructions(code):
            if instruction.opname == "FOR_ITER":
                found.append((instruction.offset, int(instruction.argval)))
            elif instruction.opname == "GET_ANEXT":
                async_starts.append(instruction.offset)
            elif instruction.opname == "END_ASYNC_FOR" and async_starts:
                found.append((async_starts.pop(), instruction.offset))
        bodies = _loop_bodies[code] = tuple(found)
    return bodies


def in_for_loop(trace: Trace, level: int) -> bool:
    """True when the frame at `level` is inside a `for` loop (or comprehension) at the work: a loop over items.

    A `while` loop probing for a free slug is not a loop over rows.
    """
    offset = trace.offsets[level]
    return any(start < offset < end for start, end in _for_loop_bodies(trace.frames[level].f_code))


def _function_name(trace: Trace, level: int) -> str:
    """The function's name; for a comprehension or generator expression, the function it is written in."""
    filename = trace.frames[level].f_code.co_filename
    for frame in trace.frames[level:]:
        if frame.f_code.co_filename != filename:
            break
        name = frame.f_code.co_name
        if name == "<module>" or not name.startswith("<"):
            return name
    return trace.frames[level].f_code.co_name


def _field_declaration(serializer_class: type, field_name: str) -> tuple[str, int] | None:
    """The file and line declaring `field_name` on the serializer class or a base; else the class's own line."""
    key = (serializer_class, field_name)
    if key not in _field_lines:
        declaration = re.compile(rf"^\s+{re.escape(field_name)}\s*[:=]")
        class_line: tuple[str, int] | None = None
        found: tuple[str, int] | None = None
        for klass in serializer_class.__mro__:
            if klass.__module__.startswith("rest_framework") or found is not None:
                break
            try:
                lines, start = inspect.getsourcelines(klass)
                filename = inspect.getsourcefile(klass)
            except (OSError, TypeError):
                continue
            if filename is None:
                continue
            if class_line is None:
                class_line = (filename, start)
            found = next(
                ((filename, start + offset) for offset, text in enumerate(lines) if declaration.match(text)), None
            )
        _field_lines[key] = found or class_line
    return _field_lines[key]


def _frame_site(trace: Trace, level: int, root: str) -> CallSite:
    frame = trace.frames[level]
    return CallSite(relative_path(frame.f_code.co_filename, root), trace.lines[level], _function_name(trace, level))


def locate(trace: Trace, level: int, root: str, *, library: bool = False) -> Location:
    """The site of the per-row work repeated by the loop in `trace.frames[level]` or, with `library`, by the loop of
    the template, serializer or formset that frame runs: then the template line, the serializer field, or the
    application code the formset calls per row.
    """
    marker = trace.markers[level] if library else None
    if marker is not None:
        function = _function_name(trace, level)
        if marker.template is not None:
            return Location(CallSite(marker.template.path, marker.template.line, function), framework=trace.framework)
        if marker.row_loop:
            # A formset building one form per row: the application code it calls per row, else the frame's line.
            return Location(_frame_site(trace, max(level - 1, 0), root), framework=trace.framework)
        if level > 0:
            # A SerializerMethodField's get_x: the user code the serializer calls per row.
            return Location(_frame_site(trace, level - 1, root), marker.field_name, framework=trace.framework)
        declaration = _field_declaration(type(marker.serializer), marker.field_name)
        if declaration is not None:
            path, line = declaration
            site = CallSite(relative_path(path, root), line, type(marker.serializer).__name__)
            return Location(site, marker.field_name, framework=trace.framework)
    return Location(_frame_site(trace, level, root), framework=trace.framework)


def find_location(root: str, frame: FrameType | None = None) -> Location | None:
    """The site of a single event at the innermost application frame from `frame` (default: the caller)."""
    trace = capture(sys._getframe(1) if frame is None else frame, root, test_code=True)
    if trace is None:
        return None
    return locate(trace, 0, root, library=True)
