"""Reading a Django settings module without importing it.

The settings module is found from the ``settings`` configuration key, else from ``DJANGO_SETTINGS_MODULE`` in
manage.py's ``os.environ.setdefault(...)``, else as a module named ``settings`` (or a ``settings/`` package with
base/dev modules) that assigns ``INSTALLED_APPS``. Its top-level statements are then evaluated by a small
interpreter over Python's ``ast`` that knows literals, list arithmetic, ``pathlib`` and ``os.path``, path helpers
the settings define (``location = lambda x: os.path.join(BASE, x)``, one-``return`` functions), star imports of
sibling settings modules and ``os.environ.get`` defaults. Whatever it cannot evaluate is skipped:
a settings file can run arbitrary code, and the analysis must never fail because of it.
"""

from __future__ import annotations

import ast
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from analyzer.context import SettingsInfo, SourceFile
from analyzer.settings_values import BUILTINS, KNOWN_FUNCTIONS, PATH_METHODS, UNKNOWN, Reference

logger = logging.getLogger(__name__)

DJANGO_TEMPLATES_BACKEND = "django.template.backends.django.DjangoTemplates"
# Django's Jinja2 backend (app folders named jinja2/) and django-jinja's (app folders named templates/).
_JINJA2_APP_FOLDER_BACKENDS = frozenset({"django.template.backends.jinja2.Jinja2"})
JINJA2_BACKENDS = _JINJA2_APP_FOLDER_BACKENDS | {"django_jinja.backend.Jinja2", "django_jinja.jinja2.Jinja2"}
# In a settings/ package, the module that most likely holds the full development configuration comes first.
PACKAGE_MODULE_PREFERENCE = ("__init__", "dev", "development", "local", "base", "common", "settings")


def find_settings_module(
    sources: Sequence[SourceFile], configured: str | None = None, search_roots: Iterable[Path] = ()
) -> tuple[str, Path] | None:
    """The settings module's dotted name and file, or None when it cannot be found."""
    roots = _ordered_roots(sources, search_roots)
    if configured:
        path = _module_file(configured, sources, roots)
        return (configured, path) if path else None
    for manage in _manage_files(sources, roots):
        name = _settings_from_manage(manage)
        if name:
            path = _module_file(name, sources, [manage.parent, *roots])
            if path:
                return name, path
    return _guess_settings_module(sources)


def read_settings(
    sources: Sequence[SourceFile], configured: str | None = None, search_roots: Iterable[Path] = ()
) -> SettingsInfo:
    """Find and read the settings module; with none found, Django's defaults."""
    found = find_settings_module(sources, configured, search_roots)
    if found is None:
        if configured:
            logger.warning(
                "settings module %s not found under the analysed paths", configured, extra={"settings": configured}
            )
        return SettingsInfo()
    name, path = found
    return read_settings_file(path, name, _ordered_roots(sources, search_roots))


def read_settings_file(path: Path, module: str | None = None, roots: Sequence[Path] = ()) -> SettingsInfo:
    """Evaluate one settings file statically and pick out what the analysis uses."""
    namespace = _Interpreter(roots=[*roots, _root_for(path, module)]).run_file(path, module or path.stem)
    installed_apps = namespace.get("INSTALLED_APPS", UNKNOWN)
    auth_user_model = namespace.get("AUTH_USER_MODEL", UNKNOWN)
    template_dirs, app_dirs = _templates(namespace.get("TEMPLATES", UNKNOWN), base=_root_for(path, module))
    defaults = SettingsInfo()
    return SettingsInfo(
        module=module,
        path=path,
        installed_apps=tuple(app for app in _sequence(installed_apps) if isinstance(app, str)),
        auth_user_model=auth_user_model if isinstance(auth_user_model, str) else defaults.auth_user_model,
        template_dirs=template_dirs,
        app_dirs=defaults.app_dirs if app_dirs is None else app_dirs,
    )


def _root_for(path: Path, module: str | None) -> Path:
    """The import root of a settings file: up one folder per dot in its module name."""
    root = path.parent
    depth = (module or "").count(".")
    if path.name == "__init__.py":
        depth += 1
    for _ in range(depth):
        root = root.parent
    return root


def _ordered_roots(sources: Sequence[SourceFile], search_roots: Iterable[Path]) -> list[Path]:
    roots: list[Path] = []
    for root in [*(source.root for source in sources), *search_roots]:
        if root not in roots:
            roots.append(root)
    return roots


def _module_file(name: str, sources: Sequence[SourceFile], roots: Iterable[Path]) -> Path | None:
    for source in sources:
        if source.modname == name:
            return source.path
    relative = Path(*name.split("."))
    for root in roots:
        for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _manage_files(sources: Sequence[SourceFile], roots: Iterable[Path]) -> list[Path]:
    found = [source.path for source in sources if source.path.name == "manage.py"]
    for root in roots:
        candidate = root / "manage.py"
        if candidate.is_file() and candidate not in found:
            found.append(candidate)
    return found


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError) as error:
        # ValueError: NUL bytes. The file itself is reported by the engine when it is analysed.
        logger.debug("cannot parse %s for settings: %s", path, error)
        return None


def _settings_from_manage(path: Path) -> str | None:
    """``DJANGO_SETTINGS_MODULE`` as manage.py sets it: ``os.environ.setdefault(...)`` or item assignment."""
    tree = _parse(path)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and len(node.args) == 2
            and _constant(node.args[0]) == "DJANGO_SETTINGS_MODULE"
        ):
            value = _constant(node.args[1])
            if isinstance(value, str):
                return value
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _constant(target.slice) == "DJANGO_SETTINGS_MODULE":
                    value = _constant(node.value)
                    if isinstance(value, str):
                        return value
    return None


def _constant(node: ast.AST) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _assigns_installed_apps(path: Path) -> bool:
    tree = _parse(path)
    if tree is None:
        return False
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        if any(isinstance(target, ast.Name) and target.id == "INSTALLED_APPS" for target in targets):
            return True
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            # "from .base import *" in settings/__init__.py or dev.py: the package as a whole assigns it.
            sibling = path.parent / f"{(node.module or '').rsplit('.', 1)[-1]}.py"
            if node.level and node.module and sibling.is_file() and sibling != path:
                return _assigns_installed_apps(sibling)
    return False


def _guess_settings_module(sources: Sequence[SourceFile]) -> tuple[str, Path] | None:
    candidates: list[tuple[int, int, str, SourceFile]] = []
    for source in sources:
        parts = source.modname.split(".")
        if parts[-1] == "settings":
            rank = 0
        elif len(parts) >= 2 and parts[-2] == "settings" and parts[-1] in PACKAGE_MODULE_PREFERENCE:
            rank = 1 + PACKAGE_MODULE_PREFERENCE.index(parts[-1])
        else:
            continue
        candidates.append((len(parts), rank, source.display_path, source))
    for *_, source in sorted(candidates, key=lambda candidate: candidate[:3]):
        if _assigns_installed_apps(source.path):
            return source.modname, source.path
    return None


def _sequence(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


_APP_DIRECTORIES_LOADER = "django.template.loaders.app_directories.Loader"
_FILESYSTEM_LOADER = "django.template.loaders.filesystem.Loader"


def _folder(value: object, base: Path) -> Path | None:
    if not isinstance(value, str | PurePath):
        return None
    path = Path(value)
    return path if path.is_absolute() else base / path


def _read_loaders(loaders: object, base: Path, folders: list[Path]) -> bool:
    """Whether ``OPTIONS["loaders"]`` reads app template folders; folders given to a filesystem loader are added.

    A loader is a dotted name or a tuple of a name and its arguments: the cached loader wraps a list of loaders,
    the filesystem loader may take its own list of folders. A value the reader cannot work out counts as reading
    app folders, as nearly every project's loaders do.
    """
    if loaders is UNKNOWN:
        return True
    app_dirs = False
    for loader in _sequence(loaders):
        if loader is UNKNOWN:
            app_dirs = True
            continue
        parts = [loader] if isinstance(loader, str) else _sequence(loader)
        name, arguments = (parts[0], parts[1:]) if parts else (None, [])
        if name == _APP_DIRECTORIES_LOADER:
            app_dirs = True
        elif name == _FILESYSTEM_LOADER:
            for argument in arguments:
                folders += [path for path in (_folder(item, base) for item in _sequence(argument)) if path]
        elif isinstance(name, str) and arguments:
            # The cached loader, or any wrapper taking the loaders it delegates to.
            for argument in arguments:
                app_dirs = _read_loaders(argument, base, folders) or app_dirs
    return app_dirs


def _templates(value: object, *, base: Path) -> tuple[tuple[Path, ...], bool | None]:
    """Template folders of every DjangoTemplates and Jinja2 backend, and whether app ``templates/`` folders are read
    (None when TEMPLATES is unknown). Django reads app folders with ``APP_DIRS: True`` or with an app-directories
    loader in ``OPTIONS["loaders"]`` (directly or inside the cached loader); the filesystem loader reads ``DIRS`` and
    any folders passed to it. Django's own Jinja2 backend searches the apps' ``jinja2/`` folders instead, which are
    always searched."""
    backends = [backend for backend in _sequence(value) if isinstance(backend, dict)]
    django_backends = [
        backend
        for backend in backends
        if backend.get("BACKEND", DJANGO_TEMPLATES_BACKEND) in (DJANGO_TEMPLATES_BACKEND, *JINJA2_BACKENDS)
    ]
    if not django_backends:
        return (), None
    folders: list[Path] = []
    app_dirs = False
    for backend in django_backends:
        folders += [path for path in (_folder(item, base) for item in _sequence(backend.get("DIRS", []))) if path]
        if backend.get("BACKEND") in _JINJA2_APP_FOLDER_BACKENDS:
            continue
        options = backend.get("OPTIONS", {})
        if isinstance(options, dict) and "loaders" in options:
            app_dirs = _read_loaders(options["loaders"], base, folders) or app_dirs
        else:
            # Django's default for APP_DIRS is False once TEMPLATES is set.
            app_dirs = backend.get("APP_DIRS") is True or app_dirs
    return tuple(dict.fromkeys(folders)), app_dirs


class _Interpreter:
    """Evaluates a settings module's top-level statements into a namespace of plain Python values."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = list(roots)
        self.loading: set[Path] = set()
        self.cache: dict[Path, dict[str, Any]] = {}

    def run_file(self, path: Path, module: str) -> dict[str, Any]:
        if path in self.cache:
            return self.cache[path]
        if path in self.loading:
            return {}
        tree = _parse(path)
        if tree is None:
            return {}
        self.loading.add(path)
        namespace: dict[str, Any] = {"__file__": str(path), "__name__": module}
        frame = _Frame(self, path, module, namespace)
        frame.run(tree.body)
        self.loading.discard(path)
        self.cache[path] = namespace
        return namespace

    def module_namespace(self, current_path: Path, current_module: str, node: ast.ImportFrom) -> dict[str, Any]:
        """The namespace of the module an import refers to, when it is a Python file near the settings."""
        relative = Path(*node.module.split(".")) if node.module else None
        if node.level:
            folder = current_path.parent
            for _ in range(node.level - 1):
                folder = folder.parent
            folders = [folder]
        else:
            folders = list(self.roots)
        candidates: list[Path] = []
        for folder in folders:
            if relative is None:
                candidates.append(folder / "__init__.py")
            else:
                candidates += [folder / relative.with_suffix(".py"), folder / relative / "__init__.py"]
        dotted = node.module or current_module
        for candidate in candidates:
            if candidate.is_file():
                return self.run_file(candidate, dotted)
        return {}


@dataclass(frozen=True)
class _Helper:
    """A path helper the settings define and call: ``location = lambda x: os.path.join(BASE, x)``, or a function
    whose body is one ``return``; calling it evaluates the expression with the arguments bound."""

    parameters: tuple[str, ...]
    body: ast.expr
    frame: _Frame


def _helper_body(function: ast.FunctionDef) -> ast.expr | None:
    body = [statement for statement in function.body if not isinstance(statement, ast.Expr)]  # docstrings
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return body[0].value
    return None


class _Frame:
    """Runs the statements of one settings file against its namespace."""

    def __init__(self, interpreter: _Interpreter, path: Path, module: str, namespace: dict[str, Any]) -> None:
        self.interpreter = interpreter
        self.path = path
        self.module = module
        self.namespace = namespace

    def run(self, statements: Iterable[ast.stmt]) -> None:
        for statement in statements:
            try:
                self.execute(statement)
            except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError) as error:
                # Evaluating known values the way Python would can still fail (a bad index, a type mix);
                # the statement is then skipped, as an unknown one would be.
                logger.debug("%s:%s: skipped while reading settings: %s", self.path, statement.lineno, error)

    def execute(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Assign):
            value = self.evaluate(statement.value)
            for target in statement.targets:
                self.assign(target, value)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            self.assign(statement.target, self.evaluate(statement.value))
        elif isinstance(statement, ast.AugAssign):
            self.augmented_assign(statement)
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    self.namespace[alias.asname] = Reference(alias.name)
                else:
                    top = alias.name.split(".", 1)[0]
                    self.namespace[top] = Reference(top)
        elif isinstance(statement, ast.ImportFrom):
            self.import_from(statement)
        elif isinstance(statement, ast.FunctionDef) and not statement.args.vararg and not statement.args.kwarg:
            body = _helper_body(statement)
            parameters = tuple(argument.arg for argument in statement.args.args)
            self.namespace[statement.name] = _Helper(parameters, body, self) if body is not None else UNKNOWN
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            self.mutating_call(statement.value)
        elif isinstance(statement, ast.If):
            condition = self.evaluate(statement.test)
            if condition is not UNKNOWN:
                self.run(statement.body if condition else statement.orelse)
        elif isinstance(statement, ast.Try):
            # "try: from .local import * except ImportError: pass" -- the body is the configuration.
            self.run(statement.body)
            self.run(statement.orelse)

    def import_from(self, statement: ast.ImportFrom) -> None:
        module = statement.module or ""
        if statement.level == 0 and module.split(".", 1)[0] in {"os", "pathlib", "sys"}:
            for alias in statement.names:
                self.namespace[alias.asname or alias.name] = Reference(f"{module}.{alias.name}")
            return
        imported = self.interpreter.module_namespace(self.path, self.module, statement)
        for alias in statement.names:
            if alias.name == "*":
                self.namespace.update({key: value for key, value in imported.items() if not key.startswith("_")})
            else:
                self.namespace[alias.asname or alias.name] = imported.get(alias.name, UNKNOWN)

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.namespace[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            values = list(value) if isinstance(value, list | tuple) else []
            if len(values) != len(target.elts):
                values = [UNKNOWN] * len(target.elts)
            for element, element_value in zip(target.elts, values, strict=True):
                self.assign(element, element_value)
        elif isinstance(target, ast.Subscript):
            container = self.evaluate(target.value)
            key = self.evaluate(target.slice)
            if isinstance(container, dict | list) and key is not UNKNOWN:
                container[key] = value

    def augmented_assign(self, statement: ast.AugAssign) -> None:
        current = self.evaluate(statement.target)
        value = self.evaluate(statement.value)
        if isinstance(statement.op, ast.Add) and isinstance(current, list) and isinstance(value, list | tuple):
            current.extend(value)
            return
        self.assign(statement.target, self.binary(statement.op, current, value))

    def mutating_call(self, call: ast.Call) -> None:
        """``INSTALLED_APPS.append(...)``, ``.extend(...)``, ``.insert(...)`` and ``dict.update(...)``."""
        if not isinstance(call.func, ast.Attribute):
            return
        receiver = self.evaluate(call.func.value)
        arguments = [self.evaluate(argument) for argument in call.args]
        method = call.func.attr
        if isinstance(receiver, list):
            if method == "append" and len(arguments) == 1:
                receiver.append(arguments[0])
            elif method == "extend" and len(arguments) == 1 and isinstance(arguments[0], list | tuple):
                receiver.extend(arguments[0])
            elif method == "insert" and len(arguments) == 2 and isinstance(arguments[0], int):
                receiver.insert(arguments[0], arguments[1])
        elif (
            isinstance(receiver, dict) and method == "update" and len(arguments) == 1 and isinstance(arguments[0], dict)
        ):
            receiver.update(arguments[0])

    def evaluate(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.namespace:
                return self.namespace[node.id]
            return Reference(f"builtins.{node.id}") if node.id in BUILTINS else UNKNOWN
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = self.elements(node.elts)
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            return self.dictionary(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node.op, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, ast.JoinedStr):
            return self.joined_string(node)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.evaluate(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            return self.subscript(self.evaluate(node.value), self.evaluate(node.slice))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Lambda) and not node.args.vararg and not node.args.kwarg:
            return _Helper(tuple(argument.arg for argument in node.args.args), node.body, self)
        if isinstance(node, ast.IfExp):
            condition = self.evaluate(node.test)
            if condition is UNKNOWN:
                return UNKNOWN
            return self.evaluate(node.body if condition else node.orelse)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            operand = self.evaluate(node.operand)
            return UNKNOWN if operand is UNKNOWN else not operand
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq):
            left, right = self.evaluate(node.left), self.evaluate(node.comparators[0])
            if UNKNOWN in (left, right) or isinstance(left, Reference) or isinstance(right, Reference):
                return UNKNOWN
            return (left == right) == isinstance(node.ops[0], ast.Eq)
        return UNKNOWN

    def elements(self, nodes: Iterable[ast.expr]) -> list[Any]:
        """List items; unknown items are left out, since a partial INSTALLED_APPS is better than none."""
        items: list[Any] = []
        for element in nodes:
            if isinstance(element, ast.Starred):
                value = self.evaluate(element.value)
                if isinstance(value, list | tuple):
                    items.extend(value)
                continue
            value = self.evaluate(element)
            if value is not UNKNOWN:
                items.append(value)
        return items

    def dictionary(self, node: ast.Dict) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            value = self.evaluate(value_node)
            if key_node is None:
                if isinstance(value, dict):
                    result.update(value)
                continue
            key = self.evaluate(key_node)
            if key is not UNKNOWN and not isinstance(key, list | dict):
                result[key] = value
        return result

    def joined_string(self, node: ast.JoinedStr) -> Any:
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif isinstance(value, ast.FormattedValue) and value.format_spec is None and value.conversion == -1:
                evaluated = self.evaluate(value.value)
                if not isinstance(evaluated, str | int | PurePath):
                    return UNKNOWN
                parts.append(str(evaluated))
            else:
                return UNKNOWN
        return "".join(parts)

    @staticmethod
    def binary(operator: ast.operator, left: Any, right: Any) -> Any:
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if isinstance(operator, ast.Add):
            if isinstance(left, list) and isinstance(right, list | tuple):
                return [*left, *right]
            if isinstance(left, tuple) and isinstance(right, tuple):
                return left + right
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        if isinstance(operator, ast.Div) and isinstance(left, PurePath) and isinstance(right, str | PurePath):
            return left / right
        return UNKNOWN

    @staticmethod
    def attribute(value: Any, name: str) -> Any:
        if isinstance(value, Reference):
            return Reference(f"{value.qualname}.{name}")
        if isinstance(value, PurePath):
            if name == "parent":
                return value.parent
            if name == "parents":
                return value.parents
            if name in {"name", "stem", "suffix"}:
                return getattr(value, name)
        return UNKNOWN

    @staticmethod
    def subscript(value: Any, key: Any) -> Any:
        if value is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        if isinstance(value, dict):
            return value.get(key, UNKNOWN)
        if isinstance(value, Sequence) and isinstance(key, int):
            return value[key] if -len(value) <= key < len(value) else UNKNOWN
        return UNKNOWN

    def call(self, node: ast.Call) -> Any:
        if any(isinstance(argument, ast.Starred) for argument in node.args) or node.keywords:
            return UNKNOWN
        arguments = [self.evaluate(argument) for argument in node.args]
        if isinstance(node.func, ast.Attribute):
            receiver = self.evaluate(node.func.value)
            method = node.func.attr
            if isinstance(receiver, PurePath):
                if method in PATH_METHODS and not arguments:
                    return Path(os.path.abspath(receiver))
                if method == "joinpath" and all(isinstance(argument, str | PurePath) for argument in arguments):
                    return receiver.joinpath(*arguments)
                return UNKNOWN
            if isinstance(receiver, dict) and method == "get" and 1 <= len(arguments) <= 2:
                return receiver.get(arguments[0], arguments[1] if len(arguments) == 2 else None)
        function = self.evaluate(node.func)
        if isinstance(function, _Helper):
            if len(arguments) != len(function.parameters) or UNKNOWN in arguments:
                return UNKNOWN
            bound = {**function.frame.namespace, **dict(zip(function.parameters, arguments, strict=True))}
            return _Frame(function.frame.interpreter, function.frame.path, function.frame.module, bound).evaluate(
                function.body
            )
        if isinstance(function, Reference) and function.qualname in KNOWN_FUNCTIONS:
            if UNKNOWN in arguments and function.qualname not in {"os.environ.get", "os.getenv"}:
                return UNKNOWN
            return KNOWN_FUNCTIONS[function.qualname](*arguments)
        return UNKNOWN
