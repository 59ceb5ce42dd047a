"""Name resolution across the project's modules without astroid inference.

Each module gets an import table (local name -> dotted qualified name). Names are resolved through it and through
re-exports in the project's own modules; names that lead outside the project (``django.db.models.Model``) stay
dotted strings and are recognised by name, so Django's installed source is never parsed. Names bound at module level
by a loader call with literal arguments count as imports of what they load: ``apps.get_model("shop", "Book")`` and
oscar's ``get_model("catalogue", "Product")``, ``get_class("catalogue.views", "ProductDetailView")`` and
``A, B = get_classes("basket.forms", ["A", "B"])`` (a project module that overrides the app's, as an oscar fork
does, is preferred to oscar's own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from astroid import nodes

_MAX_HOPS = 8
_MODEL_LOADERS = frozenset({"get_model"})
_CLASS_LOADERS = frozenset({"get_class"})
_CLASSES_LOADERS = frozenset({"get_classes", "get_models"})


@dataclass
class ModuleNames:
    """What a module defines and imports at top level."""

    modname: str
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    definitions: dict[str, nodes.NodeNG] = field(default_factory=dict)  # ClassDef, FunctionDef, Assign value
    star_imports: list[str] = field(default_factory=list)
    # local name -> what a loader call loads: ("model", app label, model name) or ("class", module label, name)
    loaded: dict[str, tuple[str, str, str]] = field(default_factory=dict)


def _top_level_statements(body: list[nodes.NodeNG]) -> list[nodes.NodeNG]:
    """Top-level statements, including those guarded by ``if`` / ``try`` (TYPE_CHECKING, optional imports)."""
    found: list[nodes.NodeNG] = []
    for statement in body:
        found.append(statement)
        if isinstance(statement, nodes.If):
            found.extend(_top_level_statements(statement.body))
            found.extend(_top_level_statements(statement.orelse))
        elif isinstance(statement, nodes.Try):
            found.extend(_top_level_statements(statement.body))
            for handler in statement.handlers:
                found.extend(_top_level_statements(handler.body))
            found.extend(_top_level_statements(statement.orelse))
    return found


def absolute_module(module: nodes.Module, modname: str | None, level: int | None) -> str:
    if not level:
        return modname or ""
    package = module.name if module.package else module.name.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    base = ".".join(parts)
    if modname:
        return f"{base}.{modname}" if base else modname
    return base


def module_names(module: nodes.Module) -> ModuleNames:
    names = ModuleNames(module.name)
    for statement in _top_level_statements(module.body):
        if isinstance(statement, nodes.Import):
            for name, alias in statement.names:
                if alias:
                    names.imports[alias] = name
                else:
                    head = name.split(".")[0]
                    names.imports[head] = head
        elif isinstance(statement, nodes.ImportFrom):
            source = absolute_module(module, statement.modname, statement.level)
            for name, alias in statement.names:
                if name == "*":
                    names.star_imports.append(source)
                else:
                    names.imports[alias or name] = f"{source}.{name}"
        elif isinstance(statement, (nodes.ClassDef, nodes.FunctionDef, nodes.AsyncFunctionDef)):
            names.definitions[statement.name] = statement
            names.imports.pop(statement.name, None)
        elif isinstance(statement, (nodes.Assign, nodes.AnnAssign)):
            targets = statement.targets if isinstance(statement, nodes.Assign) else [statement.target]
            loaded = _loader_call(statement.value, targets) if statement.value is not None else None
            if loaded is not None:
                for name, what in loaded.items():
                    names.loaded[name] = what
                    names.imports.pop(name, None)
                    names.definitions.pop(name, None)
                continue
            for target in targets:
                if isinstance(target, nodes.AssignName) and statement.value is not None:
                    names.definitions[target.name] = statement.value
                    names.imports.pop(target.name, None)
    return names


def _strings(node: nodes.NodeNG) -> list[str] | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (nodes.List, nodes.Tuple)):
        values = [element.value for element in node.elts if isinstance(element, nodes.Const)]
        if len(values) == len(node.elts) and all(isinstance(value, str) for value in values):
            return [str(value) for value in values]
    return None


def _loader_call(value: nodes.NodeNG, targets: list[nodes.NodeNG]) -> dict[str, tuple[str, str, str]] | None:
    """``Book = apps.get_model("shop", "Book")`` -> {"Book": ("model", "shop", "Book")}; None for other values."""
    if not isinstance(value, nodes.Call) or len(targets) != 1 or value.keywords:
        return None
    func = value.func
    called = func.name if isinstance(func, nodes.Name) else func.attrname if isinstance(func, nodes.Attribute) else ""
    arguments = [_strings(argument) for argument in value.args]
    if not arguments or any(argument is None for argument in arguments):
        return None
    target = targets[0]
    if called in _MODEL_LOADERS and isinstance(target, nodes.AssignName):
        flat = [text for argument in arguments for text in argument or []]
        if len(flat) == 1 and flat[0].count(".") == 1:
            flat = flat[0].split(".")
        if len(flat) == 2:
            return {target.name: ("model", flat[0], flat[1])}
    elif called in _CLASS_LOADERS and isinstance(target, nodes.AssignName) and len(arguments) == 2:
        module_label, class_name = (argument[0] for argument in arguments if argument)
        return {target.name: ("class", module_label, class_name)}
    elif called in _CLASSES_LOADERS and isinstance(target, nodes.Tuple) and len(arguments) == 2:
        label, loaded_names = arguments[0] or [""], arguments[1] or []
        kind = "model" if called == "get_models" else "class"
        if len(target.elts) == len(loaded_names) and all(isinstance(e, nodes.AssignName) for e in target.elts):
            return {
                element.name: (kind, label[0], name)
                for element, name in zip(target.elts, loaded_names, strict=True)
                if isinstance(element, nodes.AssignName)
            }
    return None


class NameResolver:
    """Resolves names and dotted expressions to canonical qualified names across the project's modules."""

    def __init__(self, modules: dict[str, nodes.Module]) -> None:
        self.modules = modules
        self._names: dict[str, ModuleNames] = {}
        self._canonical: dict[str, str] = {}
        self._loaded: dict[tuple[str, str, str], str | None] = {}

    def names(self, modname: str) -> ModuleNames | None:
        if modname not in self._names:
            module = self.modules.get(modname)
            if module is None:
                return None
            self._names[modname] = module_names(module)
        return self._names[modname]

    def split(self, qualname: str) -> tuple[str, str] | None:
        """Split "pkg.mod.Name.attr" into the longest project module and the rest."""
        parts = qualname.split(".")
        for index in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:index])
            if head in self.modules:
                return head, ".".join(parts[index:])
        return None

    def canonical(self, qualname: str) -> str:
        """Follow re-exports through the project's modules to where a name is defined."""
        cached = self._canonical.get(qualname)
        if cached is not None:
            return cached
        current = qualname
        for _ in range(_MAX_HOPS):
            split = self.split(current)
            if split is None:
                break
            modname, rest = split
            names = self.names(modname)
            if names is None:
                break
            first, _, tail = rest.partition(".")
            if first in names.definitions:
                alias = names.definitions[first]
                # ``User = AuthUser`` at module level: the name stands for the name it is bound to. (Values such
                # as ``objects = Book.objects`` stay definitions: the flow evaluates them.)
                if not isinstance(alias, nodes.Name) or not isinstance(alias.parent, nodes.Assign):
                    break
                target = self._alias_target(modname, alias)
                if target is None:
                    break
                following = f"{target}.{tail}" if tail else target
                if following == current:
                    break
                current = following
                continue
            target = names.imports.get(first) or self._loaded_target(names, first)
            if target is None:
                target = self._from_star(names, first)
            if target is None:
                break
            following = f"{target}.{tail}" if tail else target
            if following == current:
                break
            current = following
        self._canonical[qualname] = current
        return current

    def _from_star(self, names: ModuleNames, name: str, seen: tuple[str, ...] = ()) -> str | None:
        """Where ``from x import *`` brings ``name`` from, through star imports of star imports (a package
        ``__init__`` that star-imports its modules, which star-import theirs)."""
        for source in names.star_imports:
            source_names = self.names(source)
            if source_names is None or source in seen or len(seen) >= _MAX_HOPS:
                continue
            if name in source_names.definitions or name in source_names.imports or name in source_names.loaded:
                return f"{source}.{name}"
            deeper = self._from_star(source_names, name, (*seen, names.modname))
            if deeper is not None:
                return deeper
        return None

    def resolve_name(self, modname: str, name: str) -> str | None:
        names = self.names(modname)
        if names is None:
            return None
        if name in names.definitions:
            return self.canonical(f"{modname}.{name}")
        target = names.imports.get(name) or self._loaded_target(names, name) or self._from_star(names, name)
        return self.canonical(target) if target else None

    def _alias_target(self, modname: str, alias: nodes.Name) -> str | None:
        names = self.names(modname)
        if names is None:
            return None
        if alias.name in names.definitions:
            return f"{modname}.{alias.name}"
        return (
            names.imports.get(alias.name)
            or self._loaded_target(names, alias.name)
            or self._from_star(names, alias.name)
        )

    def _loaded_target(self, names: ModuleNames, name: str) -> str | None:
        what = names.loaded.get(name)
        if what is None:
            return None
        if what not in self._loaded:
            self._loaded[what] = None  # guards against loaders that load each other
            kind, label, class_name = what
            module_suffix = f"{label}.models" if kind == "model" else label
            self._loaded[what] = self._find_loaded(module_suffix, class_name, case_sensitive=kind != "model")
        return self._loaded[what]

    def _find_loaded(self, module_suffix: str, class_name: str, *, case_sensitive: bool) -> str | None:
        """The class a loader loads: ``class_name`` in the project module ending with ``module_suffix``; a
        project's own module (an oscar fork) before oscar's."""
        candidates = sorted(
            (modname for modname in self.modules if modname == module_suffix or modname.endswith(f".{module_suffix}")),
            key=lambda modname: (modname.startswith("oscar."), len(modname), modname),
        )
        for modname in candidates:
            names = self.names(modname)
            if names is None:
                continue
            known = [*names.definitions, *names.imports, *names.loaded]
            for source in names.star_imports:
                source_names = self.names(source)
                if source_names is not None:
                    known += [*source_names.definitions, *source_names.imports]
            for known_name in known:
                if known_name == class_name or (not case_sensitive and known_name.lower() == class_name.lower()):
                    return f"{modname}.{known_name}"
        return None

    def resolve_expr(self, modname: str, expr: nodes.NodeNG) -> str | None:
        """The qualified name of a Name or dotted Attribute expression, or None."""
        if isinstance(expr, nodes.Name):
            return self.resolve_name(modname, expr.name)
        if isinstance(expr, nodes.Attribute):
            base = self.resolve_expr(modname, expr.expr)
            if base is None:
                return None
            return self.canonical(f"{base}.{expr.attrname}")
        return None

    def definition(self, qualname: str) -> nodes.NodeNG | None:
        """The ClassDef, FunctionDef or assigned value a canonical qualname points to, or None."""
        split = self.split(qualname)
        if split is None:
            return None
        modname, rest = split
        names = self.names(modname)
        if names is None:
            return None
        first, _, tail = rest.partition(".")
        node = names.definitions.get(first)
        for part in tail.split(".") if tail else []:
            if not isinstance(node, nodes.ClassDef):
                return None
            node = class_member(node, part)
        return node


def class_member(classdef: nodes.ClassDef, name: str) -> nodes.NodeNG | None:
    """A function, class or assigned value defined directly in a class body."""
    for statement in classdef.body:
        if isinstance(statement, (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.ClassDef)):
            if statement.name == name:
                return statement
        elif isinstance(statement, nodes.Assign):
            for target in statement.targets:
                if isinstance(target, nodes.AssignName) and target.name == name:
                    return statement.value
        elif (
            isinstance(statement, nodes.AnnAssign)
            and isinstance(statement.target, nodes.AssignName)
            and statement.target.name == name
            and statement.value is not None
        ):
            return statement.value
    return None


def last_name(qualname: str | None) -> str:
    return qualname.rpartition(".")[2] if qualname else ""
