"""The flow's shared ground: ``FlowProject`` (project-wide facts: name resolution, the model graph, memoised
function summaries and module-level values) and ``FrameBase``, the state of one evaluation and the operations each
of the frame's concerns offers to the others. The concerns live in their own modules and ``analyzer.flow.evaluator``
composes them into ``Frame``.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from astroid import nodes

from analyzer.context import nodes_of
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.names import NameResolver, last_name
from analyzer.flow.values import (
    UNKNOWN,
    Builtin,
    ClassRef,
    Collection,
    Function,
    Instance,
    ModelClass,
    ModuleRef,
    ObjectOf,
    QuerySet,
    RelatedManager,
    Value,
)
from analyzer.modelgraph import FieldInfo, ModelGraph

if TYPE_CHECKING:
    from analyzer.context import ProjectContext


logger = logging.getLogger(__name__)

MAX_CALL_DEPTH = 4
_BUILTIN_NAMES = frozenset(dir(builtins))
_DJANGO_HELPERS = frozenset(
    {"Prefetch", "get_object_or_404", "get_list_or_404", "aget_object_or_404", "get_user_model"}
)


@dataclass(frozen=True)
class Summary:
    result: Value
    events: tuple[FlowEvent, ...]


class FlowProject:
    """Project-wide flow facts: name resolution, the model graph, and memoised function summaries."""

    def __init__(self, project: ProjectContext, frame_type: type[FrameBase]) -> None:
        self.frame_type = frame_type  # the frame that runs a module, a function or a callee
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
        self._self_assigners: dict[nodes.ClassDef, dict[str, tuple[nodes.FunctionDef, ...]]] = {}
        self.cache_mentions: dict[int, bool] = {}

    def mentions_cache(self, function: nodes.NodeNG) -> bool:
        key = id(function)
        if key not in self.cache_mentions:
            self.cache_mentions[key] = any(
                "cache" in (child.name if isinstance(child, nodes.Name) else child.attrname).lower()
                for child in nodes_of(function, (nodes.Name, nodes.Attribute, nodes.AssignAttr))
            )
        return self.cache_mentions[key]

    def self_assigners(self, classdef: nodes.ClassDef) -> dict[str, tuple[nodes.FunctionDef, ...]]:
        """The class's own methods by the ``self.<name>`` attributes they assign, read once per class."""
        found = self._self_assigners.get(classdef)
        if found is None:
            by_name: dict[str, list[nodes.FunctionDef]] = {}
            for method in classdef.body:
                if not isinstance(method, nodes.FunctionDef) or not method.args.arguments:
                    continue
                first = method.args.arguments[0].name
                for assign in nodes_of(method, nodes.AssignAttr):
                    if isinstance(assign.expr, nodes.Name) and assign.expr.name == first:
                        methods = by_name.setdefault(assign.attrname, [])
                        if method not in methods:
                            methods.append(method)
            found = self._self_assigners[classdef] = {name: tuple(methods) for name, methods in by_name.items()}
        return found

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
                frame = self.frame_type(self, scope, module.name, {}, (), 0, ())
            else:
                bindings = self.default_bindings(scope, module.name)
                frame = self.frame_type(self, scope, module.name, bindings, (), 0, (scope,))
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
        if isinstance(parent, nodes.ClassDef) and arguments and not is_staticmethod(function):
            qualname = f"{modname}.{parent.name}"
            label = self.graph.label_for_class(qualname)
            first = arguments[0].name
            if is_classmethod(function):
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
                frame = self.frame_type(self, definition.root(), definition.root().name, {}, (), MAX_CALL_DEPTH, ())
                return frame.eval(definition)
            return UNKNOWN
        if qualname.startswith("django.") and last_name(qualname) in _DJANGO_HELPERS:
            return Builtin(last_name(qualname))
        return UNKNOWN


def decorator_names(function: nodes.FunctionDef) -> set[str]:
    decorators = function.decorators.nodes if function.decorators else []
    return {
        decorator.name if isinstance(decorator, nodes.Name) else getattr(decorator, "attrname", "")
        for decorator in decorators
    }


def is_staticmethod(function: nodes.FunctionDef) -> bool:
    return "staticmethod" in decorator_names(function)


def is_classmethod(function: nodes.FunctionDef) -> bool:
    return "classmethod" in decorator_names(function)


class FrameBase:
    """One evaluation of a function body (or module body) with bound names and the loops active around it.

    The methods below are the operations one concern calls in another, declared here so that each concern
    type-checks on its own; ``analyzer.flow.evaluator.Frame`` composes the concerns that define them."""

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
        # The statements run so far always return or raise: what follows them in the block never runs.
        self.stopped = False
        # Names of row lists whose rows a loop gave a relation by hand (``book.author = author``).
        self.filled_rows: set[str] = set()
        self.path = flow.path_of(scope)

    def apply_per_element(self, function: Value, iterable: Value, node: nodes.Call) -> Value:
        raise NotImplementedError

    def as_queryset(self, value: Value, node: nodes.NodeNG) -> QuerySet | None:
        raise NotImplementedError

    def attribute(self, base: Value, name: str, node: nodes.NodeNG) -> Value:
        raise NotImplementedError

    def bind(self, target: nodes.NodeNG, value: Value) -> None:
        raise NotImplementedError

    def call(self, node: nodes.Call) -> Value:
        raise NotImplementedError

    def call_builtin(self, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call) -> Value:
        raise NotImplementedError

    def class_chain(self, classdef: nodes.ClassDef) -> Iterator[nodes.ClassDef]:
        raise NotImplementedError

    def collection_method(
        self, receiver: Collection, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        raise NotImplementedError

    def custom_get_queryset(self, manager: QuerySet, node: nodes.NodeNG) -> Value:
        raise NotImplementedError

    def element_of(self, value: Value, node: nodes.NodeNG) -> Value:
        raise NotImplementedError

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
        inner_kind: EventKind | None = None,
    ) -> None:
        raise NotImplementedError

    def per_row_load(
        self,
        kind: EventKind,
        node: nodes.NodeNG,
        instance: Instance,
        relation: FieldInfo,
        path: str,
        *,
        method: str | None = None,
    ) -> None:
        raise NotImplementedError

    def eval(self, node: nodes.NodeNG) -> Value:
        raise NotImplementedError

    def eval_test(self, node: nodes.NodeNG) -> Value:
        raise NotImplementedError

    def decided(self, test: nodes.NodeNG) -> bool | None:
        raise NotImplementedError

    def assign_relation(self, name: str, attribute: str) -> None:
        raise NotImplementedError

    def evaluate_rows(self, queryset: QuerySet, node: nodes.NodeNG) -> None:
        raise NotImplementedError

    def find_method(self, classes: tuple[str, ...], name: str) -> nodes.FunctionDef | None:
        raise NotImplementedError

    def innermost_loop(self) -> nodes.NodeNG | None:
        raise NotImplementedError

    def instance_method(
        self, instance: Instance, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        raise NotImplementedError

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
        raise NotImplementedError

    def is_per_row(self, instance: Instance) -> bool:
        raise NotImplementedError

    def iterate(self, value: Value, loop: nodes.NodeNG | None, node: nodes.NodeNG) -> Value:
        raise NotImplementedError

    def length(self, queryset: QuerySet, node: nodes.Call) -> None:
        raise NotImplementedError

    def loop_event(self, kind: EventKind, node: nodes.NodeNG, loops: frozenset[nodes.NodeNG], **fields: object) -> None:
        raise NotImplementedError

    def prefetch_object(self, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call) -> Value:
        raise NotImplementedError

    def queryset_method(
        self, queryset: QuerySet, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        raise NotImplementedError

    def related_manager_method(
        self, manager: RelatedManager, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        raise NotImplementedError

    def run_function(self) -> Value:
        raise NotImplementedError

    def shortcut_get(self, first: Value, node: nodes.Call) -> Value:
        raise NotImplementedError

    def truthiness(self, queryset: QuerySet, node: nodes.NodeNG, tested: nodes.NodeNG) -> None:
        raise NotImplementedError
