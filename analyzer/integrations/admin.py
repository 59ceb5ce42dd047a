"""The Django admin's changelist: which relations ``list_display`` reads on each row.

A ModelAdmin is tied to its model by ``@admin.register(Model, site=...)`` or ``<any site>.register(Model, Admin)``
(custom AdminSite instances included). The changelist's rows come from ``get_queryset()`` (if the project overrides
it) with Django's ``list_select_related`` rule on top: a tuple selects exactly those paths; ``True`` calls
``select_related()``; ``False`` (the default) calls ``select_related()`` only when a list_display entry is a foreign
key, and ``select_related()`` without arguments follows non-null foreign keys only. Each entry is then read per row:
a foreign key is loaded and rendered with the related model's ``__str__``; ModelAdmin methods, callables and model
properties or methods run with the row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from astroid import nodes

from analyzer.context import ProjectContext, nodes_of
from analyzer.flow.evaluator import FlowProject, flow_for
from analyzer.flow.events import FlowEvent
from analyzer.flow.names import last_name
from analyzer.flow.values import Instance, ObjectOf, Origin, QuerySet, RowRef, Value
from analyzer.integrations.frames import DjangoFrame, run_method
from analyzer.integrations.render_values import contributors
from analyzer.integrations.templates import RELATION_EVENTS
from analyzer.modelgraph import FieldKind
from analyzer.queryset import QuerySetState

logger = logging.getLogger(__name__)

_MODEL_ADMINS = frozenset({"ModelAdmin"})


@dataclass(frozen=True)
class AdminRead:
    """A relation read per changelist row by one list_display entry."""

    event: FlowEvent
    admin: str  # "BookAdmin"
    entry: str  # the list_display entry
    model: str
    select_related: tuple[str, ...] | bool  # the admin's list_select_related
    fix_line: int  # where list_select_related goes: the list_display line
    fix_path: str
    origin: Origin
    node: nodes.NodeNG = field(compare=False, hash=False, repr=False)
    classdef: nodes.ClassDef | None = field(default=None, compare=False, hash=False, repr=False)  # the admin
    # Without list_select_related, a foreign key in list_display makes Django call select_related() on its own.
    automatic_select_related: bool = False


def registered_models(flow: FlowProject, module: nodes.Module) -> dict[str, list[str]]:
    """Admin class qualname -> model labels, from ``@admin.register`` decorators and ``.register()`` calls."""
    found: dict[str, list[str]] = {}

    def labels(argument: nodes.NodeNG) -> list[str]:
        items = argument.elts if isinstance(argument, (nodes.List, nodes.Tuple)) else [argument]
        result: list[str] = []
        for item in items:
            qualname = flow.resolver.resolve_expr(module.name, item)
            label = flow.graph.label_for_class(qualname) if qualname else None
            if label:
                result.append(label)
        return result

    for classdef in nodes_of(module, nodes.ClassDef):
        for decorator in classdef.decorators.nodes if classdef.decorators else []:
            if isinstance(decorator, nodes.Call) and getattr(decorator.func, "attrname", None) == "register":
                qualname = f"{module.name}.{classdef.name}"
                for argument in decorator.args:
                    found.setdefault(qualname, []).extend(labels(argument))
    for call in nodes_of(module, nodes.Call):
        func = call.func
        if isinstance(func, nodes.Attribute) and func.attrname == "register" and len(call.args) >= 2:
            admin_qualname = flow.resolver.resolve_expr(module.name, call.args[1])
            if admin_qualname:
                found.setdefault(admin_qualname, []).extend(labels(call.args[0]))
    return found


class ChangeList:
    """One ModelAdmin's changelist for one model."""

    def __init__(self, flow: FlowProject, classdef: nodes.ClassDef, model: str) -> None:
        self.flow = flow
        self.classdef = classdef
        self.model = model
        self.frame = DjangoFrame(flow, classdef.root(), classdef.root().name, {}, (classdef,), 0, ())
        self.path = flow.path_of(classdef)
        self.self_value = ObjectOf(f"{classdef.root().name}.{classdef.name}")

    def entries(self) -> tuple[list[tuple[str, nodes.NodeNG]], nodes.NodeNG | None]:
        found = self.frame.class_attribute(self.classdef, "list_display")
        if found is None:
            return [], None
        node = found[1]
        return self.strings_or_callables(node, 0), node

    def strings_or_callables(self, node: nodes.NodeNG | None, depth: int) -> list[tuple[str, nodes.NodeNG]]:
        if node is None or depth > 4:
            return []
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            return [(node.value, node)]
        if isinstance(node, (nodes.List, nodes.Tuple)):
            items: list[tuple[str, nodes.NodeNG]] = []
            for element in node.elts:
                target = element.value if isinstance(element, nodes.Starred) else element
                items += self.strings_or_callables(target, depth + 1)
            return items
        if isinstance(node, nodes.BinOp) and node.op == "+":
            return self.strings_or_callables(node.left, depth + 1) + self.strings_or_callables(node.right, depth + 1)
        if isinstance(node, nodes.Name):
            modname = node.root().name
            qualname = self.flow.resolver.resolve_name(modname, node.name)
            definition = self.flow.resolver.definition(qualname) if qualname else None
            if isinstance(definition, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                return [(f"<callable>{qualname}", node)]
            return self.strings_or_callables(definition, depth + 1)
        if isinstance(node, nodes.Lambda):
            return [("<lambda>", node)]
        return []

    def list_select_related(self) -> tuple[tuple[str, ...] | bool, nodes.NodeNG | None]:
        found = self.frame.class_attribute(self.classdef, "list_select_related")
        if found is None:
            return False, None
        node = found[1]
        if isinstance(node, nodes.Const) and isinstance(node.value, bool):
            return node.value, node
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return tuple(item.value for item in node.elts if isinstance(item, nodes.Const)), node
        return True, node  # not literal: trust it

    def queryset(self, entries: list[tuple[str, nodes.NodeNG]], anchor: nodes.NodeNG) -> QuerySet:
        info = self.flow.graph.get(self.model)
        text = f"{info.name if info else self.model}.objects.all()"
        origin = Origin(self.path, anchor.lineno or 0, text, anchor)
        base = QuerySet(self.model, QuerySetState(self.model), origin)
        method = self.frame.class_method(self.classdef, "get_queryset")
        if method is not None:
            result = run_method(
                self.flow, method, {"self": self.self_value}, super_values={"get_queryset": base}
            ).returns
            if isinstance(result, QuerySet) and result.model == self.model:
                base = replace(result, is_manager=False)
            else:
                return replace(base, state=replace(base.state, eager_unknown=True))
        selected, _ = self.list_select_related()
        state = base.state
        if selected is True:
            state = state.with_select_related([], self.flow.graph)
        elif isinstance(selected, tuple):
            # An empty tuple selects nothing (Django skips select_related() for a falsy value).
            if selected:
                state = state.with_select_related(list(selected), self.flow.graph)
        elif any(self.is_foreign_key(name) for name, _ in entries):
            state = state.with_select_related([], self.flow.graph)
        return replace(base, state=state)

    def is_foreign_key(self, name: str) -> bool:
        relation = self.flow.graph.field(self.model, name)
        return relation is not None and relation.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE)

    def reads(self) -> list[AdminRead]:
        entries, display_node = self.entries()
        if not entries or display_node is None:
            return []
        queryset = self.queryset(entries, display_node)
        row = Instance(self.model, row=RowRef(queryset.state, queryset.origin, self.classdef), born_in=self.classdef)
        selected, _ = self.list_select_related()
        automatic = selected is False and any(self.is_foreign_key(name) for name, _ in entries)
        found: list[AdminRead] = []
        for name, node in entries:
            for event, at in self.read_entry(name, node, row):
                if event.kind in RELATION_EVENTS:
                    found.append(
                        AdminRead(
                            event,
                            self.classdef.name,
                            name.rpartition(">")[2].rpartition(".")[2],
                            self.model,
                            selected,
                            display_node.lineno or 0,
                            self.path,
                            queryset.origin,
                            at,
                            self.classdef,
                            automatic,
                        )
                    )
        return found

    def read_entry(self, name: str, node: nodes.NodeNG, row: Instance) -> list[tuple[FlowEvent, nodes.NodeNG]]:
        """The events of one list_display entry, each with the node where it is reported."""
        if name.startswith("<callable>"):
            definition = self.flow.resolver.definition(name.removeprefix("<callable>"))
            if isinstance(definition, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                return self.run_function(definition, [row])
            return []
        if name == "<lambda>" and isinstance(node, nodes.Lambda):
            frame = DjangoFrame(self.flow, node, node.root().name, {}, (self.classdef,), 0, ())
            frame.invoke(node, {}, [row], {}, node, "function")
            return [(event, event.node) for event in frame.events]
        if name == "__str__":
            return self.run_model_function(row, "__str__")
        method = self.frame.class_method(self.classdef, name)
        if method is not None:
            return self.run_function(method, [self.self_value, row])
        relation = self.flow.graph.field(self.model, name)
        info = self.flow.graph.get(self.model)
        if relation is not None and relation.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE):
            before = len(self.frame.events)
            related = self.frame.attribute(row, name, node)
            events = [(event, node) for event in self.frame.events[before:]]
            return events + self.stringified(related)
        if info is not None and (name in info.properties or name in info.methods):
            return self.run_model_function(row, name)
        return []

    def stringified(self, related: Value) -> list[tuple[FlowEvent, nodes.NodeNG]]:
        """The related object is shown with its ``__str__``: relations it reads are read per row too."""
        if not isinstance(related, Instance):
            return []
        return self.run_model_function(related, "__str__")

    def run_model_function(self, instance: Instance, name: str) -> list[tuple[FlowEvent, nodes.NodeNG]]:
        info = self.flow.graph.get(instance.model)
        qualname = (info.properties.get(name) or info.methods.get(name)) if info is not None else None
        definition = self.flow.resolver.definition(qualname) if qualname else None
        if not isinstance(definition, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            return []
        return self.run_function(definition, [instance])

    def run_function(self, function: nodes.FunctionDef, arguments: list[Value]) -> list[tuple[FlowEvent, nodes.NodeNG]]:
        parameters = [argument.name for argument in [*(function.args.posonlyargs or []), *(function.args.args or [])]]
        bindings = dict(zip(parameters, arguments, strict=False))
        frame = run_method(self.flow, function, bindings, loops=(self.classdef,))
        return [(event, event.node) for event in frame.events]


def _is_model_admin(frame: DjangoFrame, classdef: nodes.ClassDef) -> bool:
    bases = {last_name(name) for name in frame.base_qualnames(classdef) if name.startswith("django.contrib")}
    return bool(bases & _MODEL_ADMINS)


def project_admin_reads(project: ProjectContext) -> list[AdminRead]:
    def compute() -> list[AdminRead]:
        flow = flow_for(project)
        registered: dict[str, list[str]] = {}
        for source in project.files:
            module = project.modules.get(source.modname)
            if module is not None and module.file == str(source.path):
                found = registered_models(flow, module)
                if found:
                    contributors(project).add(source.modname)
                for qualname, labels in found.items():
                    registered.setdefault(qualname, []).extend(labels)
        reads: list[AdminRead] = []
        for qualname, labels in registered.items():
            classdef = flow.resolver.definition(qualname)
            if not isinstance(classdef, nodes.ClassDef):
                continue
            frame = DjangoFrame(flow, classdef.root(), classdef.root().name, {}, (), 0, ())
            if not _is_model_admin(frame, classdef):
                continue
            for label in dict.fromkeys(labels):
                try:
                    reads += ChangeList(flow, classdef, label).reads()
                except RecursionError:
                    logger.error(
                        "[%(path)s:%(view)s] %(message)s",
                        {"path": flow.path_of(classdef), "view": classdef.name, "message": "too deep"},
                    )
        return reads

    return project.shared("integrations.admin_reads", compute)
