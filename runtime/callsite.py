"""Find where in the user's code a query or lazy load comes from.

The call site is the first stack frame outside site-packages, the standard library, Django, DRF and this
package. Model methods, properties and `__str__` are stepped over so that the site is the per-row use (the line
in the loop), matching the static pass. A template node being rendered wins over the Python frames around it,
and a DRF serializer field being rendered names the field.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import sysconfig
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

from runtime.findings import CallSite

_EXCLUDED, _USER, _TEMPLATE_NODE, _SERIALIZER = 0, 1, 2, 3

_classification: dict[CodeType, int] = {}
_excluded_prefixes: tuple[str, ...] | None = None
_relative_paths: dict[tuple[str, str], str] = {}
_field_lines: dict[tuple[type, str], tuple[str, int] | None] = {}


@dataclass(frozen=True)
class Location:
    """A call site and, when the access happens while a DRF serializer renders, the serializer field.

    ``callers`` identifies the user frames above the site, so that one helper called from two places is not taken
    for a loop. ``framework`` is true when the query comes from Django's own session or auth code, which repeats
    queries for its own reasons (a session key collision check, ``cycle_key()`` on login).
    """

    site: CallSite
    serializer_field: str = ""
    callers: int = 0
    framework: bool = False


def _package_dir(name: str) -> str | None:
    module = sys.modules.get(name)
    module_file = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(module_file)) if module_file else None


def _prefixes() -> tuple[str, ...]:
    global _excluded_prefixes
    if _excluded_prefixes is None:
        paths = sysconfig.get_paths()
        candidates = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
        candidates.add(os.path.dirname(os.path.abspath(__file__)))
        for package in ("django", "rest_framework"):
            directory = _package_dir(package)
            if directory:
                candidates.add(directory)
        _excluded_prefixes = tuple(os.path.join(os.path.abspath(path), "") for path in candidates)
    return _excluded_prefixes


_FRAMEWORK_PARTS = ("/django/contrib/sessions/", "/django/contrib/auth/")
_framework_codes: dict[CodeType, bool] = {}


def _is_framework(code: CodeType) -> bool:
    known = _framework_codes.get(code)
    if known is None:
        normalized = code.co_filename.replace(os.sep, "/")
        known = _framework_codes[code] = any(part in normalized for part in _FRAMEWORK_PARTS)
    return known


def _callers_key(frame: FrameType | None) -> int:
    """A hash of the user frames (code and line) above the call site, outermost included."""
    lines: list[tuple[CodeType, int]] = []
    current = frame
    while current is not None:
        if _classify(current.f_code) == _USER:
            lines.append((current.f_code, current.f_lineno or 0))
        current = current.f_back
    return hash(tuple(lines))


def _classify(code: CodeType) -> int:
    kind = _classification.get(code)
    if kind is None:
        filename = code.co_filename
        if filename.startswith("<") or "site-packages" in filename or filename.startswith(_prefixes()):
            kind = _EXCLUDED
            normalized = filename.replace(os.sep, "/")
            if code.co_name == "render_annotated" and normalized.endswith("django/template/base.py"):
                kind = _TEMPLATE_NODE
            elif code.co_name == "to_representation" and normalized.endswith("rest_framework/serializers.py"):
                kind = _SERIALIZER
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


def _is_model_method(frame: FrameType) -> bool:
    code = frame.f_code
    if not code.co_varnames or code.co_varnames[0] != "self" or code.co_argcount == 0:
        return False
    from django.db.models import Model

    return isinstance(frame.f_locals.get("self"), Model)


def _template_site(frame: FrameType, root: str) -> CallSite | None:
    node = frame.f_locals.get("self")
    origin = getattr(node, "origin", None)
    token = getattr(node, "token", None)
    name = getattr(origin, "name", None)
    lineno = getattr(token, "lineno", None)
    if not isinstance(name, str) or not isinstance(lineno, int):
        return None
    return CallSite(relative_path(name, root), lineno, "")


def _serializer_field(frame: FrameType) -> tuple[Any, str] | None:
    field = frame.f_locals.get("field")
    name = getattr(field, "field_name", None)
    serializer = frame.f_locals.get("self")
    if not isinstance(name, str) or serializer is None:
        return None
    return serializer, name


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


def find_location(root: str, frame: FrameType | None = None, *, callers: bool = False) -> Location | None:
    """Walk outwards from `frame` (default: the caller) to the user's call site; None if there is none."""
    current: FrameType | None = sys._getframe(1) if frame is None else frame
    template: CallSite | None = None
    model_frame: FrameType | None = None
    serializer: tuple[Any, str] | None = None
    user: FrameType | None = None
    framework = False
    while current is not None:
        kind = _classify(current.f_code)
        if callers and kind == _EXCLUDED and not framework:
            framework = _is_framework(current.f_code)
        if kind == _USER:
            if model_frame is not None or not _is_model_method(current):
                user = current
                break
            model_frame = current
        elif kind == _TEMPLATE_NODE and template is None and serializer is None:
            template = _template_site(current, root)
        elif kind == _SERIALIZER and serializer is None and template is None:
            serializer = _serializer_field(current)
        current = current.f_back
    function = _function_name(user)
    if template is not None:
        return Location(CallSite(template.path, template.line, function))
    if serializer is not None:
        # A field with source="author.name" renders without any user frame: point at its declaration.
        serializer_object, field_name = serializer
        declaration = _field_declaration(type(serializer_object), field_name)
        if declaration is not None:
            path, line = declaration
            return Location(CallSite(relative_path(path, root), line, type(serializer_object).__name__), field_name)
    if user is None:
        user = model_frame
    if user is None:
        return None
    near = serializer or _serializer_near(user)
    site = CallSite(relative_path(user.f_code.co_filename, root), user.f_lineno or 0, _function_name(user))
    # Walking the rest of the stack costs time on every query: only repeated-query counting asks for it.
    callers_key = _callers_key(user.f_back) if callers else 0
    return Location(site, near[1] if near is not None else "", callers_key, framework)


def _function_name(frame: FrameType | None) -> str:
    """The function's name; for a comprehension or generator expression, the function it is written in."""
    if frame is None:
        return ""
    filename = frame.f_code.co_filename
    current: FrameType | None = frame
    while current is not None and current.f_code.co_filename == filename:
        name = current.f_code.co_name
        if name == "<module>" or not name.startswith("<"):
            return name
        current = current.f_back
    return frame.f_code.co_name


def _serializer_near(frame: FrameType) -> tuple[Any, str] | None:
    """A SerializerMethodField's `get_x` is user code called a couple of frames below the serializer loop."""
    current = frame.f_back
    for _ in range(4):
        if current is None:
            return None
        if _classify(current.f_code) == _SERIALIZER:
            return _serializer_field(current)
        current = current.f_back
    return None
