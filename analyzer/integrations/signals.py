"""Model signal receivers: which functions Django calls when a model's rows are saved or deleted, and what they
query when that happens once per loop item.

Receivers are read from ``@receiver(post_save, sender=Book)`` (one signal or a list, stacked decorators too) and
``post_save.connect(handler, sender=Book)`` calls anywhere (module level or ``AppConfig.ready()``, with the
function-level imports ``ready()`` usually makes). A save, create or delete of a row inside a loop (the writes
ORM301-ORM303 see) sends the model's signals once per item: each receiver is run with ``instance`` bound to that
row, ``sender`` to its model, inside the loop, and the queries it makes for the row are per-item queries at the
write. ``QuerySet.update()`` sends no signal and is not followed.
"""

from __future__ import annotations

from dataclasses import dataclass

from astroid import nodes

from analyzer.context import ProjectContext, call_keyword, nodes_of
from analyzer.flow.evaluator import FlowProject, Frame, flow_for
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.names import absolute_module, last_name
from analyzer.flow.values import UNKNOWN, Constant, Instance, ModelClass, Origin, RowRef, Value
from analyzer.queryset import QuerySetState

SAVE_SIGNALS = frozenset({"pre_save", "post_save"})
DELETE_SIGNALS = frozenset({"pre_delete", "post_delete"})
MODEL_SIGNALS = SAVE_SIGNALS | DELETE_SIGNALS
# What a receiver does per written row that surely costs a query: a query or write it makes always runs; a related
# manager of a row just created has no prefetched rows to answer from. (A loaded row's relations may have been
# loaded by the queryset it came from, which the write does not tell, so those reads are not counted.)
_ALWAYS = frozenset(
    {EventKind.QUERY_IN_LOOP, EventKind.SAVE_IN_LOOP, EventKind.CREATE_IN_LOOP, EventKind.DELETE_IN_LOOP}
)
RECEIVER_EVENTS = {
    EventKind.SAVE_IN_LOOP: _ALWAYS,
    EventKind.DELETE_IN_LOOP: _ALWAYS,
    EventKind.CREATE_IN_LOOP: _ALWAYS | {EventKind.RELATED_MANAGER, EventKind.RELATED_AGGREGATE},
}
_WRITES = {
    EventKind.SAVE_IN_LOOP: SAVE_SIGNALS,
    EventKind.CREATE_IN_LOOP: SAVE_SIGNALS,
    EventKind.DELETE_IN_LOOP: DELETE_SIGNALS,
}


@dataclass(frozen=True)
class Receiver:
    """A function connected to one model signal for one sender model."""

    signal: str  # "post_save"
    model: str  # the sender's label
    function: nodes.FunctionDef
    qualname: str  # "shop.signals.update_stats"


@dataclass(frozen=True)
class ReceiverQuery:
    """A query a receiver runs for the row written once per loop item: ``event`` is in the receiver."""

    event: FlowEvent
    write: FlowEvent
    receiver: Receiver


def _signal_names(node: nodes.NodeNG | None) -> list[str]:
    """``post_save``, ``signals.post_save`` or ``[pre_save, post_save]`` -> the model signals named."""
    if isinstance(node, nodes.List | nodes.Tuple):
        return [name for element in node.elts for name in _signal_names(element)]
    if isinstance(node, nodes.Name):
        name = node.name
    elif isinstance(node, nodes.Attribute):
        name = node.attrname
    else:
        return []
    return [name] if name in MODEL_SIGNALS else []


class _ReceiverFinder:
    def __init__(self, flow: FlowProject) -> None:
        self.flow = flow
        self.resolver = flow.resolver

    def model_label(self, modname: str, node: nodes.NodeNG | None, scope: nodes.NodeNG) -> str | None:
        if isinstance(node, nodes.Const) and isinstance(node.value, str) and node.value.count(".") == 1:
            return node.value if node.value in self.flow.graph.models else None
        qualname = self.qualname(modname, node, scope)
        return self.flow.graph.label_for_class(qualname) if qualname else None

    def qualname(self, modname: str, node: nodes.NodeNG | None, scope: nodes.NodeNG) -> str | None:
        """A name as the module or the enclosing function's own imports give it (``ready()`` imports its
        receivers module: ``from . import signals``)."""
        if not isinstance(node, nodes.Name | nodes.Attribute):
            return None
        head = node
        parts: list[str] = []
        while isinstance(head, nodes.Attribute):
            parts.insert(0, head.attrname)
            head = head.expr
        if not isinstance(head, nodes.Name):
            return None
        local = self.local_import(modname, head.name, scope)
        if local is None:
            return self.resolver.resolve_expr(modname, node)
        return self.resolver.canonical(".".join([local, *parts]))

    def local_import(self, modname: str, name: str, scope: nodes.NodeNG) -> str | None:
        function = scope if isinstance(scope, nodes.FunctionDef) else None
        if function is None:
            return None
        module = self.resolver.modules.get(modname)
        for statement in nodes_of(function, (nodes.Import, nodes.ImportFrom)):
            if isinstance(statement, nodes.ImportFrom) and module is not None:
                source = absolute_module(module, statement.modname, statement.level)
                for imported, alias in statement.names:
                    if (alias or imported) == name:
                        return f"{source}.{imported}" if source else str(imported)
            elif isinstance(statement, nodes.Import):
                for imported, alias in statement.names:
                    if alias == name or (alias is None and imported == name):
                        return str(imported)
        return None

    def function(self, modname: str, node: nodes.NodeNG | None, scope: nodes.NodeNG) -> nodes.FunctionDef | None:
        qualname = self.qualname(modname, node, scope)
        definition = self.resolver.definition(qualname) if qualname else None
        return definition if isinstance(definition, nodes.FunctionDef) else None

    def receivers(self, module: nodes.Module) -> list[Receiver]:
        found: list[Receiver] = []
        modname = module.name
        for function in nodes_of(module, nodes.FunctionDef):
            for decorator in function.decorators.nodes if function.decorators else []:
                if not isinstance(decorator, nodes.Call) or last_name(self.dotted(decorator.func)) != "receiver":
                    continue
                signal_node = decorator.args[0] if decorator.args else call_keyword(decorator, "signal")
                model = self.model_label(modname, call_keyword(decorator, "sender"), module)
                if model is None:
                    continue
                qualname = f"{modname}.{function.name}"
                found += [Receiver(signal, model, function, qualname) for signal in _signal_names(signal_node)]
        for call in nodes_of(module, nodes.Call):
            func = call.func
            if not isinstance(func, nodes.Attribute) or func.attrname != "connect":
                continue
            signals = _signal_names(func.expr)
            if not signals:
                continue
            scope = call.scope()
            handler_node = call.args[0] if call.args else call_keyword(call, "receiver")
            handler = self.function(modname, handler_node, scope)
            model = self.model_label(modname, call_keyword(call, "sender"), scope)
            if handler is None or model is None:
                continue
            qualname = f"{handler.root().name}.{handler.name}"
            found += [Receiver(signal, model, handler, qualname) for signal in signals]
        return found

    @staticmethod
    def dotted(node: nodes.NodeNG) -> str:
        if isinstance(node, nodes.Name):
            return str(node.name)
        if isinstance(node, nodes.Attribute):
            return str(node.attrname)
        return ""


def project_receivers(project: ProjectContext) -> dict[str, tuple[Receiver, ...]]:
    """Every model signal receiver in the project, by sender model label."""

    def compute() -> dict[str, tuple[Receiver, ...]]:
        finder = _ReceiverFinder(flow_for(project))
        by_model: dict[str, list[Receiver]] = {}
        for module in project.modules.values():
            for receiver in finder.receivers(module):
                known = by_model.setdefault(receiver.model, [])
                if receiver not in known:
                    known.append(receiver)
        return {model: tuple(receivers) for model, receivers in by_model.items()}

    return project.shared("integrations.signal_receivers", compute)


def receiver_queries(project: ProjectContext, writes: list[FlowEvent]) -> list[ReceiverQuery]:
    """The per-item queries of the receivers that the writes in loops (``writes``) trigger."""
    receivers = project_receivers(project)
    if not receivers:
        return []
    flow = flow_for(project)
    found: list[ReceiverQuery] = []
    for write in writes:
        signals = _WRITES.get(write.kind)
        if signals is None or write.method == "update" or write.loop is None or write.model is None:
            continue
        for receiver in receivers.get(write.model, ()):
            if receiver.signal not in signals or _inside(write.loop, receiver.function):
                continue  # a receiver that writes its own sender's rows in a loop is its own problem (ORM30x)
            found += [
                ReceiverQuery(event, write, receiver)
                for event in _run_receiver(flow, receiver, write)
                if event.kind in RECEIVER_EVENTS[write.kind] and event.loop is write.loop
            ]
    return found


def _inside(node: nodes.NodeNG, ancestor: nodes.NodeNG) -> bool:
    current: nodes.NodeNG | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


def _run_receiver(flow: FlowProject, receiver: Receiver, write: FlowEvent) -> list[FlowEvent]:
    """Run the receiver as Django does for the row written at ``write`` (``sender``, ``instance`` and the other
    keyword arguments), inside the write's loop; its events keep their own places in the receiver."""
    loop = write.loop
    if loop is None or write.model is None:
        return []
    origin = write.origin or Origin(write.path, write.line, write.text, write.node)
    row = Instance(write.model, row=RowRef(QuerySetState(write.model), origin, loop), born_in=loop)
    keywords: dict[str, Value] = {"sender": ModelClass(write.model), "instance": row}
    created = _created(write)
    if created is not None:
        # post_save's ``created`` decides the receiver's ``if created:`` branches as it does at run time.
        keywords["created"] = created
    function = receiver.function
    arguments = function.args
    bindings: dict[str, Value] = {
        parameter.name: keywords.get(parameter.name, UNKNOWN)
        for parameter in [*(arguments.posonlyargs or []), *(arguments.args or []), *(arguments.kwonlyargs or [])]
    }
    for rest in (arguments.vararg, arguments.kwarg):
        if rest:
            bindings[rest] = UNKNOWN
    frame = Frame(flow, function, function.root().name, bindings, (loop,), 1, (function,))
    try:
        frame.run_function()
    except RecursionError:
        return []
    return frame.events


def _created(write: FlowEvent) -> Constant | None:
    """What Django passes as ``created`` for the write: True for ``objects.create()``, False for ``save()`` of a row
    the loop read from a queryset, unknown for the ``save()`` of an object built in the loop or for a delete."""
    if write.kind is EventKind.CREATE_IN_LOOP:
        return Constant(True)
    if write.kind is EventKind.SAVE_IN_LOOP and write.origin is not None:
        return Constant(False)
    return None
