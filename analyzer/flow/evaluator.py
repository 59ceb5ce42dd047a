"""The abstract evaluator: runs each function over abstract values and records per-row and per-loop events.

It follows assignments, branches (joined conservatively), loops, comprehensions, lambdas, builtins such as
``list``/``sorted``/``zip``, queryset chains, related managers, properties and ``__str__``, and calls into the
project's own functions through memoised summaries. Local names are resolved from its own environment and
globals through ``NameResolver``; astroid inference is never used, so unknown code simply stays unknown (quiet).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from astroid import nodes

from analyzer.context import call_keyword, nodes_of
from analyzer.findings import RelatedLocation
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.existence import existence_test
from analyzer.flow.names import NameResolver, class_member, last_name
from analyzer.flow.values import (
    NOTHING,
    UNKNOWN,
    BoundMethod,
    Builtin,
    ClassRef,
    Collection,
    DictOf,
    Function,
    Instance,
    ModelClass,
    ModuleRef,
    ObjectOf,
    Origin,
    PrefetchObject,
    QuerySet,
    RelatedManager,
    RowRef,
    Tainted,
    TupleOf,
    Unknown,
    Value,
    join,
    retag,
)
from analyzer.modelgraph import FieldInfo, FieldKind, ModelGraph
from analyzer.queryset import EVALUATING_METHODS, MethodKind, QuerySetState, method_kind

if TYPE_CHECKING:
    from analyzer.context import ProjectContext

logger = logging.getLogger(__name__)

MAX_CALL_DEPTH = 4
_MAX_TEXT = 60
_BUILTIN_NAMES = frozenset(dir(builtins))
_DJANGO_HELPERS = frozenset(
    {"Prefetch", "get_object_or_404", "get_list_or_404", "aget_object_or_404", "get_user_model"}
)
_BYPASS_METHODS = frozenset(
    {"filter", "exclude", "order_by", "first", "last", "get", "latest", "earliest", "values", "values_list"}
)
_AGGREGATE_METHODS = frozenset({"count", "exists", "aggregate"})
_STRING_BUILTINS = frozenset({"str", "repr", "format", "print"})
_COLLECTION_BUILTINS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "reversed", "iter"})
_ASYNC_METHODS = {f"a{name}": name for name in EVALUATING_METHODS | {"iterator"}}


def short_text(node: nodes.NodeNG) -> str:
    """A queryset expression with its arguments elided: ``Book.objects.filter(...)``."""
    if isinstance(node, nodes.Call):
        return f"{short_text(node.func)}({'...' if node.args or node.keywords else ''})"
    if isinstance(node, nodes.Attribute):
        return f"{short_text(node.expr)}.{node.attrname}"
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Await):
        return short_text(node.value)
    return "..."


def expression_text(node: nodes.NodeNG) -> str:
    text: str = node.as_string()
    return text if len(text) <= _MAX_TEXT else short_text(node)


def _literal_strings(arguments: list[nodes.NodeNG]) -> list[str] | None:
    found: list[str] = []
    for argument in arguments:
        if isinstance(argument, nodes.Const) and isinstance(argument.value, str):
            found.append(argument.value)
        else:
            return None
    return found


def _loops_of(value: Value) -> frozenset[nodes.NodeNG]:
    if isinstance(value, Tainted):
        return value.loops
    if isinstance(value, Instance):
        loops: set[nodes.NodeNG] = set()
        if value.row is not None and value.row.loop is not None:
            loops.add(value.row.loop)
        if value.born_in is not None:
            loops.add(value.born_in)
        return frozenset(loops)
    if isinstance(value, QuerySet):
        return value.taint
    if isinstance(value, TupleOf):
        return frozenset().union(*(_loops_of(item) for item in value.items)) if value.items else frozenset()
    return frozenset()


@dataclass(frozen=True)
class Summary:
    result: Value
    events: tuple[FlowEvent, ...]


class FlowProject:
    """Project-wide flow facts: name resolution, the model graph, and memoised function summaries."""

    def __init__(self, project: ProjectContext) -> None:
        self.graph: ModelGraph = project.graph
        self.resolver = NameResolver(project.modules)
        self.display_paths = {source.modname: source.display_path for source in project.files}
        self.project = project
        self.summaries: dict[tuple[object, ...], Summary] = {}
        self.globals: dict[tuple[str, str], Value] = {}
        self.in_progress: set[tuple[object, ...]] = set()
        self.class_chains: dict[nodes.ClassDef, tuple[nodes.ClassDef, ...]] = {}
        # Rows methods store on ``self`` (by class qualname and attribute), and the methods already run for them.
        self.stored: dict[tuple[str, str], Value] = {}
        self.stored_runs: set[tuple[str, nodes.NodeNG]] = set()
        self.cache_mentions: dict[int, bool] = {}

    def mentions_cache(self, function: nodes.NodeNG) -> bool:
        key = id(function)
        if key not in self.cache_mentions:
            self.cache_mentions[key] = any(
                "cache" in (child.name if isinstance(child, nodes.Name) else child.attrname).lower()
                for child in nodes_of(function, (nodes.Name, nodes.Attribute, nodes.AssignAttr))
            )
        return self.cache_mentions[key]

    def class_chain(self, classdef: nodes.ClassDef) -> tuple[nodes.ClassDef, ...]:
        """The class and its project bases, breadth first: resolved once per class for the whole run."""
        chain = self.class_chains.get(classdef)
        if chain is None:
            found: list[nodes.ClassDef] = []
            seen: set[int] = set()
            pending = [classdef]
            while pending and len(seen) < 20:
                current = pending.pop(0)
                if id(current) in seen:
                    continue
                seen.add(id(current))
                found.append(current)
                for base in current.bases:
                    qualname = self.resolver.resolve_expr(current.root().name, base)
                    definition = self.resolver.definition(qualname) if qualname else None
                    if isinstance(definition, nodes.ClassDef):
                        pending.append(definition)
            chain = self.class_chains[classdef] = tuple(found)
        return chain

    def path_of(self, node: nodes.NodeNG) -> str:
        module = node.root()
        path = self.display_paths.get(module.name)
        if path is not None:
            return path
        return self.project.display_path(module.file) if module.file else module.name

    def file_events(self, module: nodes.Module) -> list[FlowEvent]:
        """Every event in one file: its module-level code and each function with unknown arguments."""
        events: list[FlowEvent] = []
        scopes: list[nodes.NodeNG] = [module, *nodes_of(module, (nodes.FunctionDef, nodes.AsyncFunctionDef))]
        for scope in scopes:
            if isinstance(scope, nodes.Module):
                frame = Frame(self, scope, module.name, {}, (), 0, ())
            else:
                bindings = self.default_bindings(scope, module.name)
                frame = Frame(self, scope, module.name, bindings, (), 0, (scope,))
            try:
                frame.run_function()
            except RecursionError:
                # Deeply nested expressions: this scope is skipped (no findings), the rest of the file is checked.
                details = {"path": self.path_of(scope), "scope": scope.name}
                logger.error("[%(path)s:%(scope)s] expression nesting too deep; scope skipped", details, extra=details)
                continue
            events.extend(frame.events)
        return events

    def default_bindings(self, function: nodes.FunctionDef, modname: str) -> dict[str, Value]:
        """Parameters are unknown, except ``self``/``cls`` of methods, which are bound to their class."""
        bindings: dict[str, Value] = {}
        arguments = function.args.arguments or []
        parent = function.parent
        if isinstance(parent, nodes.ClassDef) and arguments and not _is_staticmethod(function):
            qualname = f"{modname}.{parent.name}"
            label = self.graph.label_for_class(qualname)
            first = arguments[0].name
            if _is_classmethod(function):
                bindings[first] = ModelClass(label) if label else ClassRef(qualname)
            elif label is not None:
                bindings[first] = Instance(label)
            else:
                bindings[first] = ObjectOf(qualname)
        annotations = list(function.args.posonlyargs_annotations or []) + list(function.args.annotations or [])
        parameters = list(function.args.posonlyargs or []) + list(function.args.args or [])
        kwonly = zip(function.args.kwonlyargs or [], function.args.kwonlyargs_annotations or [], strict=False)
        for parameter, annotation in [*zip(parameters, annotations, strict=False), *kwonly]:
            if parameter.name in bindings or annotation is None:
                continue
            label = self.annotated_model(annotation, modname)
            if label is not None:
                # A parameter annotated with a model is one instance, not a row of a loop.
                bindings[parameter.name] = Instance(label)
        return bindings

    def annotated_model(self, annotation: nodes.NodeNG, modname: str) -> str | None:
        if isinstance(annotation, nodes.Const) and isinstance(annotation.value, str):
            name = annotation.value.strip()
            if not name.replace(".", "").replace("_", "").isalnum():
                return None
            head, _, rest = name.partition(".")
            qualname = self.resolver.resolve_name(modname, head)
            if qualname is None:
                return None
            return self.graph.label_for_class(self.resolver.canonical(f"{qualname}.{rest}") if rest else qualname)
        if isinstance(annotation, (nodes.Name, nodes.Attribute)):
            qualname = self.resolver.resolve_expr(modname, annotation)
            return self.graph.label_for_class(qualname) if qualname else None
        return None

    def global_value(self, modname: str, name: str) -> Value:
        key = (modname, name)
        if key not in self.globals:
            self.globals[key] = UNKNOWN  # guards against cycles
            self.globals[key] = self._global_value(modname, name)
        return self.globals[key]

    def _global_value(self, modname: str, name: str) -> Value:
        qualname = self.resolver.resolve_name(modname, name)
        if qualname is None:
            return Builtin(name) if name in _BUILTIN_NAMES else UNKNOWN
        return self.qualname_value(qualname)

    def qualname_value(self, qualname: str) -> Value:
        label = self.graph.label_for_class(qualname)
        if label is not None:
            return ModelClass(label)
        if qualname in self.resolver.modules:
            return ModuleRef(qualname)
        definition = self.resolver.definition(qualname)
        if isinstance(definition, nodes.FunctionDef) and definition.name == "get_user_model":
            return Builtin("get_user_model")  # a project's compat wrapper (oscar.core.compat) of Django's
        if isinstance(definition, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            return Function(definition, definition.root().name)
        if isinstance(definition, nodes.ClassDef):
            return ClassRef(qualname)
        if definition is not None and isinstance(definition.parent, (nodes.Assign, nodes.AnnAssign)):
            if isinstance(definition.parent.parent, nodes.Module):
                frame = Frame(self, definition.root(), definition.root().name, {}, (), MAX_CALL_DEPTH, ())
                return frame.eval(definition)
            return UNKNOWN
        if qualname.startswith("django.") and last_name(qualname) in _DJANGO_HELPERS:
            return Builtin(last_name(qualname))
        return UNKNOWN


def _decorator_names(function: nodes.FunctionDef) -> set[str]:
    decorators = function.decorators.nodes if function.decorators else []
    return {
        decorator.name if isinstance(decorator, nodes.Name) else getattr(decorator, "attrname", "")
        for decorator in decorators
    }


def _is_staticmethod(function: nodes.FunctionDef) -> bool:
    return "staticmethod" in _decorator_names(function)


def _is_classmethod(function: nodes.FunctionDef) -> bool:
    return "classmethod" in _decorator_names(function)


class Frame:
    """One evaluation of a function body (or module body) with bound names and the loops active around it."""

    def __init__(
        self,
        flow: FlowProject,
        scope: nodes.NodeNG,
        modname: str,
        env: dict[str, Value],
        loops: tuple[nodes.NodeNG, ...],
        depth: int,
        stack: tuple[nodes.NodeNG, ...],
    ) -> None:
        self.flow = flow
        self.graph = flow.graph
        self.scope = scope
        self.modname = modname
        self.env = env
        self.loops = loops
        self.outer_loops = frozenset(loops)
        self.depth = depth
        self.stack = stack
        self.events: list[FlowEvent] = []
        self.returns: Value | None = None
        self.yields: Value | None = None
        self.path = flow.path_of(scope)

    # -- running -----------------------------------------------------------------------------------------------
    def run_function(self) -> Value:
        body = self.scope.body
        if isinstance(self.scope, nodes.Lambda):
            return self.eval(body)
        self.run_block(body)
        if self.yields is not None:
            return Collection(self.yields)
        return self.returns if self.returns is not None else UNKNOWN

    def run_block(self, statements: list[nodes.NodeNG]) -> None:
        for statement in statements:
            self.run(statement)

    def run(self, statement: nodes.NodeNG) -> None:
        if isinstance(statement, nodes.Assign):
            value = self.eval(statement.value)
            for target in statement.targets:
                self.bind(target, value)
        elif isinstance(statement, nodes.AnnAssign):
            if statement.value is not None:
                self.bind(statement.target, self.eval(statement.value))
        elif isinstance(statement, nodes.AugAssign):
            value = self.eval(statement.value)
            if isinstance(statement.target, nodes.AssignName):
                current = self.env.get(statement.target.name, UNKNOWN)
                self.env[statement.target.name] = join(current, value) if _loops_of(value) else current
            else:
                self.eval_target(statement.target)
        elif isinstance(statement, nodes.Expr):
            self.eval(statement.value)
        elif isinstance(statement, nodes.Return):
            if statement.value is not None:
                self.returns = join(self.returns, self.eval(statement.value))
        elif isinstance(statement, nodes.If):
            self.eval_test(statement.test)
            self.run_branches(statement.body, statement.orelse)
        elif isinstance(statement, (nodes.For, nodes.AsyncFor)):
            self.run_for(statement)
        elif isinstance(statement, nodes.While):
            self.eval_test(statement.test)
            self.run_branches(statement.body, [])
            self.run_block(statement.orelse)
        elif isinstance(statement, (nodes.With, nodes.AsyncWith)):
            for item, target in statement.items:
                value = self.eval(item)
                if target is not None:
                    self.bind(target, value)
            self.run_block(statement.body)
        elif isinstance(statement, (nodes.Try, nodes.TryStar)):
            self.run_block(statement.body)
            for handler in statement.handlers:
                if isinstance(handler.name, nodes.AssignName):
                    self.env[handler.name.name] = UNKNOWN
                self.run_block(handler.body)
            self.run_block(statement.orelse)
            self.run_block(statement.finalbody)
        elif isinstance(statement, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            self.env[statement.name] = Function(statement, self.modname)
        elif isinstance(statement, nodes.ClassDef):
            module_level = isinstance(self.scope, nodes.Module)
            self.env[statement.name] = self.flow.global_value(self.modname, statement.name) if module_level else UNKNOWN
        elif isinstance(statement, (nodes.Import, nodes.ImportFrom)):
            self.run_import(statement)
        elif isinstance(statement, nodes.Match):
            self.eval(statement.subject)
            before = dict(self.env)
            merged: dict[str, Value] | None = None
            for case in statement.cases:
                self.env = dict(before)
                self.run_block(case.body)
                merged = self.env if merged is None else _join_envs(merged, self.env)
            self.env = _join_envs(before, merged) if merged is not None else before
        else:
            for child in statement.get_children():
                if child.is_statement:
                    self.run(child)
                else:
                    self.eval(child)

    def run_import(self, statement: nodes.Import | nodes.ImportFrom) -> None:
        from analyzer.flow.names import absolute_module

        for name, alias in statement.names:
            if name == "*":
                continue
            if isinstance(statement, nodes.ImportFrom):
                source = absolute_module(statement.root(), statement.modname, statement.level)
                qualname = self.flow.resolver.canonical(f"{source}.{name}")
                self.env[alias or name] = self.flow.qualname_value(qualname)
            else:
                self.env[alias or name.split(".")[0]] = UNKNOWN

    def run_branches(self, body: list[nodes.NodeNG], orelse: list[nodes.NodeNG]) -> None:
        before = dict(self.env)
        self.run_block(body)
        after_body = self.env
        self.env = dict(before)
        self.run_block(orelse)
        self.env = _join_envs(after_body, self.env)

    def run_for(self, statement: nodes.For) -> None:
        iterable = self.eval(statement.iter)
        element = self.iterate(iterable, statement, statement.iter)
        before = dict(self.env)
        self.loops = (*self.loops, statement)
        self.bind(statement.target, element)
        self.run_block(statement.body)
        self.loops = self.loops[:-1]
        self.env = _join_envs(before, self.env)
        self.run_block(statement.orelse)

    def bind(self, target: nodes.NodeNG, value: Value) -> None:
        if isinstance(target, nodes.AssignName):
            self.env[target.name] = value
        elif isinstance(target, (nodes.Tuple, nodes.List)):
            items = value.items if isinstance(value, TupleOf) else ()
            for index, element in enumerate(target.elts):
                if isinstance(element, nodes.Starred):
                    self.bind(element.value, UNKNOWN)
                elif index < len(items):
                    self.bind(element, items[index])
                else:
                    loops = _loops_of(value)
                    self.bind(element, Tainted(loops) if loops else UNKNOWN)
        elif isinstance(target, nodes.Starred):
            self.bind(target.value, UNKNOWN)
        else:
            self.eval_target(target)
            owner = (
                self.env.get(target.expr.name)
                if isinstance(target, nodes.AssignAttr) and isinstance(target.expr, nodes.Name)
                else None
            )
            if isinstance(owner, ObjectOf) and not self.loops and isinstance(value, QuerySet | Collection):
                # Rows one method stores on ``self`` for another to iterate (``self.books = list(qs)``).
                key = (owner.qualname, target.attrname)
                self.flow.stored[key] = join(self.flow.stored.get(key), value)

    def eval_target(self, target: nodes.NodeNG) -> None:
        """Evaluate the parts of an assignment target that are read (``book.author`` in ``book.author.x = 1``)."""
        if isinstance(target, nodes.AssignAttr):
            self.eval(target.expr)
        elif isinstance(target, nodes.Subscript):
            self.eval(target.value)
            self.eval(target.slice)

    # -- expressions -------------------------------------------------------------------------------------------
    def eval(self, node: nodes.NodeNG) -> Value:
        if isinstance(node, nodes.Name):
            return self.lookup(node.name)
        if isinstance(node, nodes.Attribute):
            return self.attribute(self.eval(node.expr), node.attrname, node)
        if isinstance(node, nodes.Call):
            return self.call(node)
        if isinstance(node, nodes.Const):
            return UNKNOWN
        if isinstance(node, nodes.Subscript):
            return self.subscript(node)
        if isinstance(node, (nodes.ListComp, nodes.SetComp, nodes.GeneratorExp)):
            return Collection(self.comprehension(node.generators, node.elt))
        if isinstance(node, nodes.DictComp):
            key_value = self.comprehension(node.generators, node.key, node.value)
            if isinstance(key_value, TupleOf) and len(key_value.items) == 2:
                return DictOf(key_value.items[0], key_value.items[1])
            return DictOf(UNKNOWN, UNKNOWN)
        if isinstance(node, nodes.Lambda):
            closure = tuple((name, value) for name, value in self.env.items() if not isinstance(value, Unknown))
            return Function(node, self.modname, closure)
        if isinstance(node, nodes.JoinedStr):
            loops: frozenset[nodes.NodeNG] = frozenset()
            for part in node.values:
                if isinstance(part, nodes.FormattedValue):
                    value = self.eval(part.value)
                    if part.format_spec is not None:
                        self.eval(part.format_spec)
                    method = "__repr__" if part.conversion == ord("r") else "__str__"
                    self.stringify(value, part.value, method)
                    loops |= _loops_of(value)
            return Tainted(loops) if loops else UNKNOWN
        if isinstance(node, nodes.BinOp):
            left = self.eval(node.left)
            right = self.eval(node.right)
            if (
                node.op in ("|", "&", "^")
                and isinstance(left, QuerySet)
                and isinstance(right, QuerySet)
                and (left.model, left.prefix) == (right.model, right.prefix)
            ):
                # A combined queryset is the left one with another WHERE: its eager loading is the left one's.
                return replace(left, is_manager=False, taint=left.taint | right.taint)
            if node.op == "%" and isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
                parts = node.right.elts if isinstance(node.right, nodes.Tuple) else [node.right]
                values = right.items if isinstance(right, TupleOf) else (right,)
                for part, value in zip(parts, values, strict=False):
                    self.stringify(value, part, "__str__")
            loops = _loops_of(left) | _loops_of(right)
            return Tainted(loops) if loops else UNKNOWN
        if isinstance(node, nodes.BoolOp):
            result: Value | None = None
            for operand in node.values:
                result = join(result, self.eval(operand))
            return result if result is not None else UNKNOWN
        if isinstance(node, nodes.UnaryOp):
            if node.op == "not":
                return self.eval_test(node.operand)
            return self.taint_only(self.eval(node.operand))
        if isinstance(node, nodes.Compare):
            loops = _loops_of(self.eval(node.left))
            for _, comparator in node.ops:
                loops |= _loops_of(self.eval(comparator))
            return Tainted(loops) if loops else UNKNOWN
        if isinstance(node, nodes.IfExp):
            self.eval_test(node.test)
            return join(self.eval(node.body), self.eval(node.orelse))
        if isinstance(node, (nodes.List, nodes.Set)):
            element: Value | None = None
            for item in node.elts:
                element = join(element, self.eval(item))
            return Collection(element if element is not None else NOTHING)
        if isinstance(node, nodes.Tuple):
            return TupleOf(tuple(self.eval(item) for item in node.elts))
        if isinstance(node, nodes.Dict):
            key: Value | None = None
            value_joined: Value | None = None
            for item_key, item_value in node.items:
                if not isinstance(item_key, nodes.DictUnpack):
                    key = join(key, self.eval(item_key))
                value_joined = join(value_joined, self.eval(item_value))
            return DictOf(key or UNKNOWN, value_joined or UNKNOWN)
        if isinstance(node, nodes.Await):
            return self.eval(node.value)
        if isinstance(node, nodes.Starred):
            return self.eval(node.value)
        if isinstance(node, nodes.NamedExpr):
            value = self.eval(node.value)
            self.bind(node.target, value)
            return value
        if isinstance(node, (nodes.Yield, nodes.YieldFrom)):
            if node.value is not None:
                value = self.eval(node.value)
                if isinstance(node, nodes.YieldFrom):
                    value = self.iterate(value, None, node.value)
                self.yields = join(self.yields, value)
            return UNKNOWN
        for child in node.get_children():
            self.eval(child)
        return UNKNOWN

    def taint_only(self, value: Value) -> Value:
        loops = _loops_of(value)
        return Tainted(loops) if loops else UNKNOWN

    def lookup(self, name: str) -> Value:
        if name in self.env:
            return self.env[name]
        return self.flow.global_value(self.modname, name)

    def eval_test(self, node: nodes.NodeNG) -> Value:
        """A condition: ``if qs:`` evaluates the whole queryset just to test it."""
        if isinstance(node, nodes.BoolOp):
            for operand in node.values:
                self.eval_test(operand)
            return UNKNOWN
        if isinstance(node, nodes.UnaryOp) and node.op == "not":
            return self.eval_test(node.operand)
        value = self.eval(node)
        if isinstance(value, QuerySet) and not value.is_manager:
            self.truthiness(value, node, node)
        return self.taint_only(value)

    # -- attributes ------------------------------------------------------------------------------------------
    def attribute(self, base: Value, name: str, node: nodes.NodeNG) -> Value:
        if isinstance(base, Instance):
            return self.instance_attribute(base, name, node)
        if isinstance(base, ModelClass):
            return self.model_class_attribute(base, name, node)
        if isinstance(base, (QuerySet, RelatedManager, Collection, DictOf, Builtin)):
            return BoundMethod(base, name, node)
        if isinstance(base, ObjectOf):
            return self.object_attribute(base, name, node)
        if isinstance(base, ModuleRef):
            return self.flow.qualname_value(self.flow.resolver.canonical(f"{base.modname}.{name}"))
        if isinstance(base, Tainted):
            return base
        return UNKNOWN

    def model_class_attribute(self, base: ModelClass, name: str, node: nodes.NodeNG) -> Value:
        info = self.graph.get(base.model)
        managers = info.managers if info is not None else ("objects",)
        if name in managers or name in ("objects", "_default_manager", "_base_manager"):
            classes = info.manager_classes.get(name, ()) if info is not None else ()
            manager = QuerySet(
                model=base.model,
                state=QuerySetState(base.model),
                origin=Origin(self.path, node.lineno or 0, short_text(node), node),
                is_manager=True,
                manager_classes=classes,
            )
            return self.custom_get_queryset(manager, node)
        if info is not None and name in info.methods:
            return BoundMethod(base, name, node)
        return UNKNOWN

    def custom_get_queryset(self, manager: QuerySet, node: nodes.NodeNG) -> Value:
        """A custom manager's get_queryset() (e.g. one that adds select_related) shapes every queryset from it."""
        function = self.find_method(manager.manager_classes, "get_queryset")
        if function is None:
            return manager
        result = self.invoke(function, {}, (), {}, node, "function", self_value=manager)
        if isinstance(result, QuerySet) and result.model == manager.model:
            return replace(manager, state=result.state, taint=result.taint)
        return manager

    def find_method(self, classes: tuple[str, ...], name: str) -> nodes.FunctionDef | None:
        for qualname in classes:
            definition = self.flow.resolver.definition(qualname)
            if isinstance(definition, nodes.ClassDef):
                member = class_member(definition, name)
                if isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                    return member
        return None

    def object_attribute(self, base: ObjectOf, name: str, node: nodes.NodeNG) -> Value:
        definition = self.flow.resolver.definition(base.qualname)
        if not isinstance(definition, nodes.ClassDef):
            return UNKNOWN
        for classdef in self.class_chain(definition):
            member = class_member(classdef, name)
            if member is None:
                continue
            if isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                if _decorator_names(member) & {"property", "cached_property"}:
                    return self.invoke(member, {}, (), {}, node, "function", self_value=base)
                return BoundMethod(base, name, node)
            if isinstance(member, nodes.ClassDef):
                return UNKNOWN
            key = (classdef.root().name, f"{classdef.name}.{name}")
            if key not in self.flow.globals:
                self.flow.globals[key] = UNKNOWN
                frame = Frame(self.flow, classdef.root(), classdef.root().name, {}, (), MAX_CALL_DEPTH, ())
                self.flow.globals[key] = frame.eval(member)
            return self.flow.globals[key]
        return self.stored_attribute(base, definition, name)

    def stored_attribute(self, base: ObjectOf, definition: nodes.ClassDef, name: str) -> Value:
        """What the class's own methods store in ``self.<name>``: each method that assigns it is run once (with
        unknown arguments) and the rows it stores are kept; anything else stays unknown."""
        key = (base.qualname, name)
        for classdef in self.class_chain(definition):
            for method in classdef.body:
                if not isinstance(method, nodes.FunctionDef) or method in self.stack:
                    continue
                run_key = (base.qualname, method)
                if run_key in self.flow.stored_runs or not any(
                    assign.attrname == name for assign in nodes_of(method, nodes.AssignAttr)
                ):
                    continue
                self.flow.stored_runs.add(run_key)
                bindings = self.flow.default_bindings(method, classdef.root().name)
                arguments = method.args.arguments or []
                if arguments and not _is_staticmethod(method):
                    bindings[arguments[0].name] = base
                frame = Frame(self.flow, method, classdef.root().name, bindings, (), MAX_CALL_DEPTH - 1, (method,))
                try:
                    frame.run_function()
                except RecursionError:
                    continue
        return self.flow.stored.get(key, UNKNOWN)

    def class_chain(self, classdef: nodes.ClassDef) -> Iterator[nodes.ClassDef]:
        return iter(self.flow.class_chain(classdef))

    def is_per_row(self, instance: Instance) -> bool:
        row = instance.row
        return row is not None and row.loop is not None and row.loop in self.loops and not row.state.values_mode

    def instance_attribute(self, instance: Instance, name: str, node: nodes.NodeNG) -> Value:
        info = self.graph.get(instance.model)
        per_row = self.is_per_row(instance)
        loops = _loops_of(instance)
        plain: Value = Tainted(loops) if loops else UNKNOWN
        if info is None:
            return plain
        if name in ("pk", "id"):
            return plain
        relation = info.fields.get(name)
        if relation is None:
            return self.instance_other_attribute(instance, name, node, plain)
        row = instance.row
        path = f"{instance.prefix}__{name}" if instance.prefix else name
        if relation.kind is FieldKind.FIELD:
            if per_row and row is not None and not instance.prefix and row.state.is_deferred(name):
                how = "defer" if name in row.state.deferred_fields else "only"
                self.emit(EventKind.DEFERRED_FIELD, node, instance, relation, path, method=how)
            return plain
        if relation.is_manager:
            return RelatedManager(instance, relation, path, expression_text(node))
        if relation.kind is FieldKind.GENERIC_FOREIGN_KEY:
            if per_row and row is not None and not row.state.is_eager(path):
                self.emit(EventKind.GENERIC_RELATION, node, instance, relation, path)
            return plain
        if relation.target is None:
            return plain
        if relation.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE) and _reads_key_only(node):
            # obj.author.id: ORM407 (use obj.author_id) rather than ORM101; the key needs no query at all.
            if row is None or not row.state.is_eager(path):
                self.related_id(node, instance, relation)
            return plain
        if row is None:
            return Instance(relation.target, born_in=instance.born_in)
        if per_row and not row.state.is_eager(path):
            self.emit(EventKind.RELATED_ACCESS, node, instance, relation, path)
        return Instance(relation.target, row=row, prefix=path, born_in=instance.born_in)

    def related_id(self, node: nodes.NodeNG, instance: Instance, relation: FieldInfo) -> None:
        key = node.parent
        row = instance.row
        per_row = row is not None and self.is_per_row(instance)
        self.events.append(
            FlowEvent(
                kind=EventKind.RELATED_ID,
                node=key,
                path=self.path,
                line=key.lineno or 0,
                text=expression_text(key),
                loop=row.loop if row is not None and per_row else None,
                loop_line=loop_line(row.loop) if row is not None and per_row else None,
                model=relation.model,
                field=relation.name,
                target=relation.target,
                origin=row.origin if row is not None else None,
                method=key.attrname,
                detail=expression_text(node.expr) if isinstance(node, nodes.Attribute) else "",
            )
        )

    def instance_other_attribute(self, instance: Instance, name: str, node: nodes.NodeNG, plain: Value) -> Value:
        info = self.graph.get(instance.model)
        if info is None:
            return plain
        if name.endswith("_id") and name[:-3] in info.fields:
            return plain
        row = instance.row
        if row is not None:
            path = f"{instance.prefix}__{name}" if instance.prefix else name
            relation_path = row.state.to_attr_path(path)
            if relation_path is not None:
                resolved = self.graph.resolve_path(row.state.model, relation_path)
                if resolved and resolved[-1].target:
                    return Collection(Instance(resolved[-1].target, row=row, prefix=path, born_in=instance.born_in))
                return plain
        qualname = info.properties.get(name)
        if qualname is not None:
            function = self.flow.resolver.definition(qualname)
            if isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                return self.invoke(function, {}, (), {}, node, "property", self_value=instance)
            return plain
        if name in info.methods or name in ("save", "delete", "refresh_from_db"):
            return BoundMethod(instance, name, node)
        return plain

    def emit(
        self,
        kind: EventKind,
        node: nodes.NodeNG,
        instance: Instance,
        relation: FieldInfo,
        path: str,
        *,
        method: str | None = None,
        text: str | None = None,
    ) -> None:
        row = instance.row
        if row is None:
            return
        prefix_selected = bool(instance.prefix) and row.state.is_selected(instance.prefix)
        self.events.append(
            FlowEvent(
                kind=kind,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                text=text or expression_text(node),
                loop=row.loop,
                loop_line=loop_line(row.loop),
                model=relation.model,
                field=relation.name,
                target=relation.target,
                relation_path=path,
                origin=row.origin,
                method=method,
                prefix_selected=prefix_selected,
                through_prefetch=self.crosses_manager(row.state.model, instance.prefix),
                remote_field=relation.remote_field,
            )
        )

    def crosses_manager(self, model: str, prefix: str) -> bool:
        """True when a row path goes through a to-many relation: select_related cannot reach past it."""
        if not prefix:
            return False
        resolved = self.graph.resolve_path(model, prefix)
        return resolved is None or any(step.is_manager for step in resolved)

    def loop_event(self, kind: EventKind, node: nodes.NodeNG, loops: frozenset[nodes.NodeNG], **fields: object) -> None:
        active = [loop for loop in self.loops if loop in loops] or list(self.loops)
        loop = active[-1] if active else None
        self.events.append(
            FlowEvent(
                kind=kind,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                loop=loop,
                loop_line=loop_line(loop),
                **fields,  # type: ignore[arg-type]
            )
        )

    # -- calls -----------------------------------------------------------------------------------------------
    def call(self, node: nodes.Call) -> Value:
        func = self.eval(node.func)
        arguments = [self.eval(argument) for argument in node.args]
        keywords = {keyword.arg: self.eval(keyword.value) for keyword in node.keywords or () if keyword.arg}
        for keyword in node.keywords or ():
            if keyword.arg is None:
                self.eval(keyword.value)
        if isinstance(func, BoundMethod):
            return self.call_method(func, arguments, keywords, node)
        if isinstance(func, Builtin):
            return self.call_builtin(func.name, arguments, keywords, node)
        if isinstance(func, Function):
            return self.invoke(func.node, dict(func.closure), arguments, keywords, node, "function")
        if isinstance(func, ModelClass):
            return Instance(func.model, born_in=self.loops[-1] if self.loops else None, new=True)
        if isinstance(func, ClassRef):
            return ObjectOf(func.qualname)
        loops = frozenset().union(*(_loops_of(value) for value in (*arguments, *keywords.values())))
        return Tainted(loops) if loops else UNKNOWN

    def call_method(
        self, method: BoundMethod, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        receiver = method.receiver
        if isinstance(receiver, QuerySet):
            return self.queryset_method(receiver, method.name, arguments, keywords, node)
        if isinstance(receiver, RelatedManager):
            return self.related_manager_method(receiver, method.name, arguments, keywords, node)
        if isinstance(receiver, Instance):
            return self.instance_method(receiver, method.name, arguments, keywords, node)
        if isinstance(receiver, ObjectOf):
            definition = self.flow.resolver.definition(receiver.qualname)
            if isinstance(definition, nodes.ClassDef):
                for classdef in self.class_chain(definition):
                    member = class_member(classdef, method.name)
                    if isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                        return self.invoke(member, {}, arguments, keywords, node, "function", self_value=receiver)
            return UNKNOWN
        if isinstance(receiver, ModelClass):
            return UNKNOWN
        if isinstance(receiver, Collection):
            return self.collection_method(receiver, method.name, arguments, keywords, node)
        if isinstance(receiver, DictOf):
            if method.name == "values":
                return Collection(receiver.value)
            if method.name == "keys":
                return Collection(receiver.key)
            if method.name == "items":
                return Collection(TupleOf((receiver.key, receiver.value)))
            if method.name in ("get", "pop", "setdefault"):
                return receiver.value
        return UNKNOWN

    def collection_method(
        self, receiver: Collection, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        if name in ("append", "add", "extend") and arguments and isinstance(node.func, nodes.Attribute):
            added = arguments[0] if name != "extend" else self.element_of(arguments[0], node)
            target = node.func.expr
            if isinstance(target, nodes.Name) and target.name in self.env:
                # Unbound loop tags: the elements are per-row again only when a later loop iterates them.
                self.env[target.name] = Collection(join(receiver.element, retag_none(added)))
            return UNKNOWN
        if name == "sort" and "key" in keywords:
            self.apply_per_element(keywords["key"], receiver, node)
        if name == "pop":
            return receiver.element
        return UNKNOWN

    def instance_method(
        self, instance: Instance, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        in_loop = bool(_loops_of(instance) & set(self.loops))
        if name == "save":
            if in_loop:
                kind = EventKind.CREATE_IN_LOOP if instance.new else EventKind.SAVE_IN_LOOP
                self.instance_write(kind, instance, node)
            return UNKNOWN
        if name == "delete":
            if in_loop and not instance.new:
                self.instance_write(EventKind.DELETE_IN_LOOP, instance, node)
            return UNKNOWN
        if name == "refresh_from_db":
            return UNKNOWN
        info = self.graph.get(instance.model)
        qualname = info.methods.get(name) if info is not None else None
        function = self.flow.resolver.definition(qualname) if qualname else None
        if isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            return self.invoke(function, {}, arguments, keywords, node, "method", self_value=instance)
        return UNKNOWN

    def instance_write(self, kind: EventKind, instance: Instance, node: nodes.Call) -> None:
        receiver = node.func.expr if isinstance(node.func, nodes.Attribute) else node.func
        model = self.graph.get(instance.model)
        self.loop_event(
            kind,
            node,
            _loops_of(instance),
            text=expression_text(receiver),
            model=instance.model,
            target=model.name if model else instance.model,
            origin=instance.row.origin if instance.row is not None else None,
            detail=",".join(self.assigned_fields(receiver)),
        )

    def assigned_fields(self, receiver: nodes.NodeNG) -> list[str]:
        """Fields assigned on the saved object inside the innermost loop: what bulk_update() must list."""
        if not isinstance(receiver, nodes.Name) or not self.loops:
            return []
        names: list[str] = []
        for assign in self.loops[-1].nodes_of_class(nodes.AssignAttr):
            same_object = isinstance(assign.expr, nodes.Name) and assign.expr.name == receiver.name
            if same_object and assign.attrname not in names:
                names.append(assign.attrname)
        return names

    def stringify(self, value: Value, node: nodes.NodeNG, method: str) -> None:
        """``str(row)``, f"{row}", "%s" % row: runs the model's __str__ / __repr__ per row."""
        if not isinstance(value, Instance) or not self.is_per_row(value):
            return
        info = self.graph.get(value.model)
        qualname = info.methods.get(method) if info is not None else None
        function = self.flow.resolver.definition(qualname) if qualname else None
        if isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            self.invoke(function, {}, (), {}, node, "method", self_value=value)

    def call_builtin(self, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call) -> Value:
        first = arguments[0] if arguments else UNKNOWN
        if name in _COLLECTION_BUILTINS:
            if not arguments:
                return Collection(UNKNOWN)
            if "key" in keywords:
                self.apply_per_element(keywords["key"], first, node)
            return Collection(self.element_of(first, node))
        if name == "len":
            if isinstance(first, QuerySet) and not first.is_manager and node.args:
                self.length(first, node)
            return self.taint_only(first)
        if name == "bool":
            if isinstance(first, QuerySet) and not first.is_manager and node.args:
                self.truthiness(first, node, node.args[0])
            return self.taint_only(first)
        if name in _STRING_BUILTINS:
            for value, argument in zip(arguments, node.args, strict=False):
                self.stringify(value, argument, "__repr__" if name == "repr" else "__str__")
            return self.taint_only(first)
        if name == "enumerate":
            return Collection(TupleOf((UNKNOWN, self.element_of(first, node))))
        if name == "zip":
            return Collection(TupleOf(tuple(self.element_of(argument, node) for argument in arguments)))
        if name in ("map", "filter") and len(arguments) >= 2:
            result = self.apply_per_element(arguments[0], arguments[1], node)
            return Collection(result if name == "map" else self.element_of(arguments[1], node))
        if name == "next":
            return self.element_of(first, node)
        if name in ("max", "min", "sum", "any", "all"):
            if "key" in keywords:
                self.apply_per_element(keywords["key"], first, node)
            return self.element_of(first, node) if name in ("max", "min") else UNKNOWN
        if name == "super":
            self_value = self.env.get("self")
            return self_value if isinstance(self_value, QuerySet) else UNKNOWN
        if name == "get_user_model":
            return ModelClass(self.graph.auth_user_model)
        if name == "Prefetch":
            return self.prefetch_object(arguments, keywords, node)
        if name in ("get_object_or_404", "aget_object_or_404"):
            return self.shortcut_get(first, node)
        if name == "get_list_or_404":
            source = self.as_queryset(first, node)
            return Collection(self.element_of(source, node)) if source is not None else Collection(UNKNOWN)
        return self.taint_only(first)

    def prefetch_object(self, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call) -> Value:
        lookup_node = node.args[0] if node.args else call_keyword(node, "lookup")
        lookup = lookup_node.value if isinstance(lookup_node, nodes.Const) else None
        to_attr_node = call_keyword(node, "to_attr")
        if to_attr_node is None and len(node.args) >= 3:
            to_attr_node = node.args[2]
        to_attr = to_attr_node.value if isinstance(to_attr_node, nodes.Const) else None
        queryset = keywords.get("queryset", arguments[1] if len(arguments) >= 2 else None)
        inner = queryset.state if isinstance(queryset, QuerySet) else None
        unknown = (
            not isinstance(lookup, str)
            or (to_attr_node is not None and not isinstance(to_attr, str))
            or (queryset is not None and inner is None and not isinstance(queryset, Unknown))
        )
        return PrefetchObject(lookup if isinstance(lookup, str) else None, inner, to_attr, unknown)

    def as_queryset(self, value: Value, node: nodes.NodeNG) -> QuerySet | None:
        if isinstance(value, QuerySet):
            return value
        if isinstance(value, ModelClass):
            return QuerySet(
                model=value.model,
                state=QuerySetState(value.model),
                origin=Origin(self.path, node.lineno or 0, short_text(node), node),
            )
        return None

    def shortcut_get(self, first: Value, node: nodes.Call) -> Value:
        source = self.as_queryset(first, node)
        if source is None:
            return UNKNOWN
        argument_values = [self.eval(argument) for argument in node.args[1:]]
        argument_values += [self.eval(keyword.value) for keyword in node.keywords or ()]
        self.query_in_loop(source, "get_object_or_404", argument_values, node, text=short_text(node))
        return Instance(source.model, row=RowRef(source.state, source.origin), born_in=self.innermost_loop())

    def innermost_loop(self) -> nodes.NodeNG | None:
        return self.loops[-1] if self.loops else None

    def apply_per_element(self, function: Value, iterable: Value, node: nodes.Call) -> Value:
        """A ``key=`` / ``map()`` callable runs once per element: it sees per-row values."""
        element = self.iterate(iterable, node, node)
        if not isinstance(function, Function):
            return UNKNOWN
        self.loops = (*self.loops, node)
        try:
            return self.invoke(function.node, dict(function.closure), [element], {}, node, "function")
        finally:
            self.loops = self.loops[:-1]

    # -- iteration -----------------------------------------------------------------------------------------------
    def iterate(self, value: Value, loop: nodes.NodeNG | None, node: nodes.NodeNG) -> Value:
        """The loop variable for iterating ``value`` in ``loop``; iterating a queryset runs it."""
        if isinstance(value, QuerySet):
            if value.is_manager:
                return UNKNOWN
            self.evaluate_rows(value, node)
            if value.state.values_mode:
                return Tainted(frozenset({loop})) if loop is not None else UNKNOWN
            return Instance(
                value.model,
                row=RowRef(value.state, value.origin, loop),
                prefix=value.prefix,
                born_in=loop,
            )
        if isinstance(value, Collection):
            return retag(value.element, loop)
        if isinstance(value, DictOf):
            return retag(value.key, loop)
        if isinstance(value, TupleOf):
            joined: Value | None = None
            for item in value.items:
                joined = join(joined, item)
            return retag(joined if joined is not None else UNKNOWN, loop)
        if isinstance(value, RelatedManager):
            return UNKNOWN
        loops = _loops_of(value) | ({loop} if loop is not None else set())
        return Tainted(frozenset(loops)) if loops else UNKNOWN

    def element_of(self, value: Value, node: nodes.NodeNG) -> Value:
        return self.iterate(value, None, node)

    def evaluate_rows(self, queryset: QuerySet, node: nodes.NodeNG) -> None:
        """The queryset runs here: inside a loop, when it depends on the loop, that is one query per item."""
        self.query_in_loop(queryset, "iteration", [], node, text=queryset.origin.text)

    def query_in_loop(
        self, queryset: QuerySet, method: str, arguments: list[Value], node: nodes.NodeNG, *, text: str
    ) -> None:
        if not self.loops or queryset.from_related or queryset.related is not None:
            return
        loops = queryset.taint.union(*(_loops_of(value) for value in arguments)) & set(self.loops)
        if not loops:
            return
        model = self.graph.get(queryset.model)
        self.loop_event(
            EventKind.QUERY_IN_LOOP,
            node,
            frozenset(loops),
            text=text,
            model=queryset.model,
            target=model.name if model else queryset.model,
            method=method,
            origin=queryset.origin,
        )

    def comprehension(self, generators: list[nodes.Comprehension], *elements: nodes.NodeNG) -> Value:
        saved_env = dict(self.env)
        saved_loops = self.loops
        try:
            for generator in generators:
                iterable = self.eval(generator.iter)
                element = self.iterate(iterable, generator, generator.iter)
                self.loops = (*self.loops, generator)
                self.bind(generator.target, element)
                for condition in generator.ifs:
                    self.eval_test(condition)
            values = [self.eval(element) for element in elements]
        finally:
            self.loops = saved_loops
            self.env = saved_env
        # Outside the comprehension the elements are no longer per-row: a later loop over them makes them so.
        values = [retag_none(value) for value in values]
        return values[0] if len(values) == 1 else TupleOf(tuple(values))

    def subscript(self, node: nodes.Subscript) -> Value:
        base = self.eval(node.value)
        index = self.eval(node.slice)
        if isinstance(base, QuerySet) and not base.is_manager:
            if isinstance(node.slice, nodes.Slice):
                return base
            self.evaluate_rows(replace(base, taint=base.taint | _loops_of(index)), node)
            return Instance(
                base.model,
                row=RowRef(base.state, base.origin),
                prefix=base.prefix,
                born_in=self.innermost_loop(),
            )
        if isinstance(base, Collection):
            return base if isinstance(node.slice, nodes.Slice) else retag_none(base.element)
        if isinstance(base, TupleOf):
            index_value = node.slice.value if isinstance(node.slice, nodes.Const) else None
            if isinstance(index_value, int) and -len(base.items) <= index_value < len(base.items):
                return base.items[index_value]
            return UNKNOWN
        if isinstance(base, DictOf):
            return base.value
        loops = _loops_of(base) | _loops_of(index)
        return Tainted(loops) if loops else UNKNOWN

    # -- querysets -------------------------------------------------------------------------------------------
    def queryset_method(
        self, queryset: QuerySet, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        name = _ASYNC_METHODS.get(name, name)
        kind = method_kind(name)
        argument_loops = frozenset().union(*(_loops_of(value) for value in (*arguments, *keywords.values())))
        if queryset.related is not None and name in _BYPASS_METHODS:
            self.related_manager_method(queryset.related, name, arguments, keywords, node)
            queryset = self.fresh_related_queryset(queryset.related, node)
        if kind is None:
            return self.custom_queryset_method(queryset, name, arguments, keywords, node)
        origin = queryset.origin
        if isinstance(node.func, nodes.Attribute) and origin.node is node.func.expr:
            origin = Origin(self.path, origin.line, short_text(node), node)
        if kind is MethodKind.KEEP:
            state = self.apply_state(queryset.state, name, arguments, node)
            keeps_cache = name == "all" or name == "iterator"
            return replace(
                queryset,
                state=state,
                origin=origin,
                is_manager=False,
                taint=queryset.taint | argument_loops,
                related=queryset.related if keeps_cache else None,
            )
        text = f"{short_text(node.func)}(...)" if node.args or node.keywords else short_text(node)
        plain_count = name == "count" and not node.args and not node.keywords
        if (
            plain_count
            and queryset.related is None
            and not queryset.from_related
            and isinstance(node.func, nodes.Attribute)
        ):
            self.existence(queryset, node, node.func.expr, "count")
        if kind is MethodKind.WRITE:
            self.queryset_write(queryset, name, arguments + list(keywords.values()), node, text)
            return UNKNOWN
        if name == "create":
            if self.loops:
                model = self.graph.get(queryset.model)
                self.loop_event(
                    EventKind.CREATE_IN_LOOP,
                    node,
                    frozenset(self.loops),
                    text=text,
                    model=queryset.model,
                    target=model.name if model else queryset.model,
                )
            return Instance(queryset.model, born_in=self.innermost_loop(), new=False)
        self.query_in_loop(queryset, name, arguments + list(keywords.values()), node, text=text)
        row = RowRef(queryset.state, origin)
        instance = Instance(queryset.model, row=row, prefix=queryset.prefix, born_in=self.innermost_loop())
        if kind is MethodKind.INSTANCE:
            return instance
        if kind is MethodKind.INSTANCE_TUPLE:
            return TupleOf((instance, UNKNOWN))
        if kind is MethodKind.DICT_OF_INSTANCES:
            return DictOf(UNKNOWN, instance)
        loops = queryset.taint | argument_loops
        return Tainted(loops) if loops else UNKNOWN

    def queryset_write(
        self, queryset: QuerySet, name: str, arguments: list[Value], node: nodes.Call, text: str
    ) -> None:
        if name not in ("update", "delete") or not self.loops or queryset.related is not None:
            return
        loops = (queryset.taint | frozenset().union(*(_loops_of(value) for value in arguments))) & set(self.loops)
        if not loops:
            return
        model = self.graph.get(queryset.model)
        kind = EventKind.SAVE_IN_LOOP if name == "update" else EventKind.DELETE_IN_LOOP
        self.loop_event(
            kind,
            node,
            frozenset(loops),
            text=text,
            model=queryset.model,
            target=model.name if model else queryset.model,
            method=name,
            origin=queryset.origin,
        )

    def custom_queryset_method(
        self, queryset: QuerySet, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        function = self.find_method(queryset.manager_classes, name)
        if function is not None:
            result = self.invoke(function, {}, arguments, keywords, node, "function", self_value=queryset)
            if isinstance(result, QuerySet) and result.model == queryset.model:
                origin = queryset.origin
                if isinstance(node.func, nodes.Attribute) and origin.node is node.func.expr:
                    origin = Origin(self.path, origin.line, short_text(node), node)
                return replace(result, origin=origin, manager_classes=queryset.manager_classes, is_manager=False)
            return result
        # A method the analysis cannot find may return anything (ContentType.objects.get_for_id): stay quiet.
        return UNKNOWN

    def apply_state(self, state: QuerySetState, name: str, arguments: list[Value], node: nodes.Call) -> QuerySetState:
        literal = _literal_strings(node.args)
        if node.keywords and name in ("select_related", "prefetch_related", "only", "defer"):
            literal = None
        if name == "select_related":
            if len(node.args) == 1 and isinstance(node.args[0], nodes.Const) and node.args[0].value is None:
                return replace(state, select_related=frozenset())
            return state.with_select_related(literal, self.graph)
        if name == "prefetch_related":
            return self.apply_prefetch(state, arguments, node)
        if name == "only":
            return state.with_only(literal)
        if name == "defer":
            if len(node.args) == 1 and isinstance(node.args[0], nodes.Const) and node.args[0].value is None:
                return state.without_deferral()
            return state.with_defer(literal)
        if name == "annotate" or name == "alias":
            names = [keyword.arg for keyword in node.keywords or () if keyword.arg]
            for argument in node.args:
                if (
                    isinstance(argument, nodes.Call)
                    and argument.args
                    and isinstance(argument.args[0], nodes.Const)
                    and isinstance(argument.args[0].value, str)
                ):
                    function_name = short_text(argument.func).rpartition(".")[2].lower()
                    names.append(f"{argument.args[0].value}__{function_name}")
            return state.with_annotations(names)
        if name in ("values", "values_list"):
            return state.as_values()
        if name == "iterator":
            return state.as_iterator()
        return state

    def apply_prefetch(self, state: QuerySetState, arguments: list[Value], node: nodes.Call) -> QuerySetState:
        if len(node.args) == 1 and isinstance(node.args[0], nodes.Const) and node.args[0].value is None:
            return replace(state, prefetch_related=frozenset(), to_attr=())
        if any(isinstance(argument, nodes.Starred) for argument in node.args) or node.keywords:
            return state.with_prefetch(None)
        for argument_node, value in zip(node.args, arguments, strict=False):
            if isinstance(argument_node, nodes.Const) and isinstance(argument_node.value, str):
                state = state.with_prefetch([argument_node.value])
            elif isinstance(value, PrefetchObject) and not value.unknown and value.lookup:
                state = state.with_prefetch_object(value.lookup, value.queryset, value.to_attr)
            else:
                state = state.with_prefetch(None)
        return state

    def fresh_related_queryset(self, manager: RelatedManager, node: nodes.NodeNG) -> QuerySet:
        target = manager.relation.target or ""
        return QuerySet(
            model=target,
            state=QuerySetState(target),
            origin=Origin(self.path, node.lineno or 0, short_text(node), node),
            from_related=True,
        )

    def related_manager_method(
        self, manager: RelatedManager, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        owner = manager.owner
        row = owner.row
        name = _ASYNC_METHODS.get(name, name)
        prefetched = row is not None and row.state.is_eager(manager.path)
        per_row = self.is_per_row(owner)
        generic = manager.relation.kind is FieldKind.GENERIC_RELATION
        text = f"{manager.text}.{name}(...)" if node.args or node.keywords else f"{manager.text}.{name}()"
        if name == "all" or name == "iterator":
            if prefetched and row is not None:
                return QuerySet(
                    model=manager.relation.target or "",
                    state=row.state,
                    origin=row.origin,
                    prefix=manager.path,
                    from_related=True,
                    related=manager,
                )
            if per_row:
                kind = EventKind.GENERIC_RELATION if generic else EventKind.RELATED_MANAGER
                self.emit(kind, node, owner, manager.relation, manager.path, method=name, text=text)
            return self.fresh_related_queryset(manager, node)
        if name in _AGGREGATE_METHODS:
            if per_row and not (prefetched and name != "aggregate"):
                self.emit(
                    EventKind.RELATED_AGGREGATE, node, owner, manager.relation, manager.path, method=name, text=text
                )
            loops = _loops_of(owner)
            return Tainted(loops) if loops else UNKNOWN
        if name in _BYPASS_METHODS or name in ("annotate", "select_related", "prefetch_related", "only", "defer"):
            if per_row:
                if prefetched:
                    if name in _BYPASS_METHODS:
                        self.emit(
                            EventKind.PREFETCH_BYPASS,
                            node,
                            owner,
                            manager.relation,
                            manager.path,
                            method=name,
                            text=text,
                        )
                else:
                    kind = EventKind.GENERIC_RELATION if generic else EventKind.RELATED_MANAGER
                    self.emit(kind, node, owner, manager.relation, manager.path, method=name, text=text)
            fresh = self.fresh_related_queryset(manager, node)
            if name in ("first", "last", "get", "latest", "earliest"):
                return Instance(fresh.model, born_in=self.innermost_loop())
            state = self.apply_state(fresh.state, name, arguments, node)
            return replace(fresh, state=state)
        if name == "create" and self.loops and per_row:
            target = self.graph.get(manager.relation.target or "")
            self.loop_event(
                EventKind.CREATE_IN_LOOP,
                node,
                _loops_of(owner),
                text=text,
                model=manager.relation.target,
                target=target.name if target else manager.relation.target,
            )
        return UNKNOWN

    def length(self, queryset: QuerySet, node: nodes.Call) -> None:
        # A related manager's rows inside a loop are already reported per row (ORM102): one finding per access.
        if queryset.related is not None or (queryset.from_related and self.loops):
            return
        if not self.rows_unused(node.args[0]):
            return
        if self.existence(queryset, node, node.args[0], "len"):
            return  # ORM403's, with the better fix (exists() rather than count())
        self.events.append(
            FlowEvent(
                kind=EventKind.LEN_QUERYSET,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                text=expression_text(node.args[0]),
                model=queryset.model,
                origin=queryset.origin,
            )
        )

    def existence(self, queryset: QuerySet, node: nodes.Call, counted: nodes.NodeNG, method: str) -> bool:
        """Record ``qs.count() > 0`` / ``if len(qs):``: a count used only to learn whether there is a row."""
        test = existence_test(node)
        if test is None:
            return False
        self.events.append(
            FlowEvent(
                kind=EventKind.COUNT_FOR_EXISTENCE,
                node=test.node,
                path=self.path,
                line=test.node.lineno or 0,
                text=expression_text(counted),
                model=queryset.model,
                origin=queryset.origin,
                method=method,
                detail="positive" if test.positive else "negative",
            )
        )
        return True

    def truthiness(self, queryset: QuerySet, node: nodes.NodeNG, tested: nodes.NodeNG) -> None:
        if queryset.related is not None or (queryset.from_related and self.loops):
            return
        if not self.rows_unused(tested):
            return
        self.events.append(
            FlowEvent(
                kind=EventKind.QUERYSET_TRUTHINESS,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                text=expression_text(tested),
                model=queryset.model,
                origin=queryset.origin,
            )
        )

    def rows_unused(self, expression: nodes.NodeNG) -> bool:
        """True when nothing else reads the rows: a direct expression, or a name only counted or tested."""
        if not isinstance(expression, nodes.Name):
            return True
        # Comprehensions and lambdas that read the name use the rows too, so the whole frame is searched.
        for other in nodes_of(expression.frame(), nodes.Name):
            if other is expression or other.name != expression.name:
                continue
            if not _only_counts_or_tests(other):
                return False
        return True

    # -- calls into the project's functions ----------------------------------------------------------------------
    def invoke(
        self,
        function: nodes.NodeNG,
        closure: dict[str, Value],
        arguments: list[Value] | tuple[Value, ...],
        keywords: dict[str, Value],
        node: nodes.NodeNG,
        kind: str,
        *,
        self_value: Value | None = None,
    ) -> Value:
        if self.depth >= MAX_CALL_DEPTH or function in self.stack:
            return UNKNOWN
        bindings = dict(closure)
        bindings.update(self.bind_arguments(function, arguments, keywords, self_value))
        key = (function, tuple(sorted(bindings.items(), key=lambda item: item[0])), self.loops)
        try:
            hash(key)
        except TypeError:
            return UNKNOWN
        summary = self.flow.summaries.get(key)
        if summary is None:
            if key in self.flow.in_progress:
                return UNKNOWN
            self.flow.in_progress.add(key)
            try:
                frame = Frame(
                    self.flow,
                    function,
                    function.root().name,
                    bindings,
                    self.loops,
                    self.depth + 1,
                    (*self.stack, function),
                )
                result = frame.run_function()
                summary = Summary(result, tuple(frame.events))
            finally:
                self.flow.in_progress.discard(key)
            self.flow.summaries[key] = summary
        informative = any(not isinstance(value, Unknown) for value in bindings.values())
        for event in summary.events:
            self.adopt(event, function, node, kind, informative)
        return summary.result

    def bind_arguments(
        self,
        function: nodes.NodeNG,
        arguments: list[Value] | tuple[Value, ...],
        keywords: dict[str, Value],
        self_value: Value | None,
    ) -> dict[str, Value]:
        bindings: dict[str, Value] = {}
        parameters = list(function.args.posonlyargs or []) + list(function.args.args or [])
        is_method = isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)) and isinstance(
            function.parent, nodes.ClassDef
        )
        if is_method and parameters and not _is_staticmethod(function):
            first = parameters.pop(0)
            bindings[first.name] = self_value if self_value is not None else UNKNOWN
        for parameter, value in zip(parameters, arguments, strict=False):
            bindings[parameter.name] = value
        for parameter in [*parameters, *(function.args.kwonlyargs or [])]:
            if parameter.name in keywords:
                bindings[parameter.name] = keywords[parameter.name]
            bindings.setdefault(parameter.name, UNKNOWN)
        if function.args.vararg:
            bindings[function.args.vararg] = UNKNOWN
        if function.args.kwarg:
            bindings[function.args.kwarg] = UNKNOWN
        return bindings

    def adopt(self, event: FlowEvent, function: nodes.NodeNG, node: nodes.NodeNG, kind: str, informative: bool) -> None:
        """Bring a callee's event into this frame: per-row events of our loops are reported at the call."""
        if (
            event.loop is not None
            and event.loop in self.loops
            and event.kind
            not in (
                EventKind.LEN_QUERYSET,
                EventKind.QUERYSET_TRUTHINESS,
                EventKind.COUNT_FOR_EXISTENCE,
                EventKind.RELATED_ID,
            )
        ):
            where = RelatedLocation(event.path, event.line, f"{event.text} here")
            if kind in ("property", "method") and event.kind in _RELATION_EVENTS:
                # Nested calls report the outermost property or method used in the loop, and the innermost read.
                inner_text = event.detail.split("|", 2)[-1] if event.kind is EventKind.PROPERTY else event.text
                name = getattr(function, "name", "<lambda>")
                parent = function.parent
                owner = f"{parent.name}.{name}" if isinstance(parent, nodes.ClassDef) else name
                self.events.append(
                    replace(
                        event,
                        kind=EventKind.PROPERTY,
                        node=node,
                        path=self.path,
                        line=node.lineno or 0,
                        text=expression_text(node),
                        via=(where, *event.via),
                        inner_kind=event.inner_kind or event.kind,
                        detail=f"{owner}|{kind}|{inner_text}",
                    )
                )
            elif event.kind in _WRITE_EVENTS and kind in ("property", "method"):
                self.events.append(
                    replace(
                        event,
                        node=node,
                        path=self.path,
                        line=node.lineno or 0,
                        text=short_text(node),
                        method="call",
                        via=(where, *event.via),
                    )
                )
            elif event.kind is EventKind.QUERY_IN_LOOP:
                # A helper that caches its lookups (ContentType.objects.get_for_model) does not query per item.
                if not self.flow.mentions_cache(function):
                    self.events.append(
                        replace(
                            event,
                            node=node,
                            path=self.path,
                            line=node.lineno or 0,
                            text=short_text(node),
                            via=(where, *event.via),
                        )
                    )
            else:
                self.events.append(
                    replace(event, node=node, path=self.path, line=node.lineno or 0, via=(where, *event.via))
                )
        elif informative and event.loop not in self.outer_loops:
            self.events.append(event)


_RELATION_EVENTS = frozenset(
    {
        EventKind.RELATED_ACCESS,
        EventKind.RELATED_MANAGER,
        EventKind.GENERIC_RELATION,
        EventKind.PREFETCH_BYPASS,
        EventKind.DEFERRED_FIELD,
        EventKind.PROPERTY,
        EventKind.RELATED_AGGREGATE,
    }
)
_WRITE_EVENTS = frozenset({EventKind.SAVE_IN_LOOP, EventKind.CREATE_IN_LOOP, EventKind.DELETE_IN_LOOP})
_NON_EVALUATING_RECEIVER_METHODS = frozenset(
    {
        "count",
        "exists",
        "filter",
        "exclude",
        "order_by",
        "annotate",
        "aggregate",
        "update",
        "delete",
        "select_related",
        "prefetch_related",
        "only",
        "defer",
        "distinct",
        "none",
        "values",
        "values_list",
        "acount",
        "aexists",
    }
)


def _only_counts_or_tests(name: nodes.Name) -> bool:
    parent = name.parent
    if isinstance(parent, nodes.Call) and name in parent.args:
        return isinstance(parent.func, nodes.Name) and parent.func.name in ("len", "bool")
    if isinstance(parent, (nodes.If, nodes.While, nodes.IfExp)) and parent.test is name:
        return True
    if isinstance(parent, nodes.UnaryOp) and parent.op == "not":
        return True
    if isinstance(parent, nodes.BoolOp) and isinstance(parent.parent, (nodes.If, nodes.While)):
        return True
    return isinstance(parent, nodes.Attribute) and parent.attrname in _NON_EVALUATING_RECEIVER_METHODS


def _reads_key_only(node: nodes.NodeNG) -> bool:
    """``node`` (``obj.author``) is only read for its primary key: ``obj.author.id`` or ``obj.author.pk``."""
    parent = node.parent
    return (
        isinstance(node, nodes.Attribute)
        and isinstance(parent, nodes.Attribute)
        and parent.expr is node
        and parent.attrname in ("id", "pk")
    )


def retag_none(value: Value) -> Value:
    """Detach a value from the loop that produced it (it is stored for later, not used per row here)."""
    if isinstance(value, Instance) and value.row is not None and value.row.loop is not None:
        return replace(value, row=replace(value.row, loop=None))
    if isinstance(value, TupleOf):
        return TupleOf(tuple(retag_none(item) for item in value.items))
    return value


def loop_line(loop: nodes.NodeNG | None) -> int | None:
    """The line a loop starts on; comprehension generators have no line of their own."""
    while loop is not None and loop.lineno is None:
        loop = loop.parent
    return loop.lineno if loop is not None else None


def _join_envs(first: dict[str, Value], second: dict[str, Value]) -> dict[str, Value]:
    joined: dict[str, Value] = {}
    for name in first.keys() | second.keys():
        joined[name] = join(first.get(name), second.get(name))
    return joined


def flow_for(project: ProjectContext) -> FlowProject:
    """The project's flow, built once per run."""
    return project.shared("flow.project", lambda: FlowProject(project))
