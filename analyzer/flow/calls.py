"""Calls, bindings and summaries across modules: dispatching a call to a builtin, a queryset or related
manager, an instance method or a project function; binding arguments to parameters; running a callee once per
distinct binding (a memoised summary) and bringing its events into the caller."""

from __future__ import annotations

from dataclasses import replace

from astroid import nodes

from analyzer.findings import RelatedLocation
from analyzer.flow.core import MAX_CALL_DEPTH, FrameBase, Summary, is_staticmethod
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.names import class_member
from analyzer.flow.support import expression_text, loops_of, short_text
from analyzer.flow.values import (
    UNKNOWN,
    BoundMethod,
    Builtin,
    ClassRef,
    Collection,
    DictOf,
    Function,
    Instance,
    ModelClass,
    ObjectOf,
    QuerySet,
    RelatedManager,
    Tainted,
    TupleOf,
    Unknown,
    Value,
)

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


class CallBinder(FrameBase):
    """Calls builtins, methods and project functions."""

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
        loops = frozenset().union(*(loops_of(value) for value in (*arguments, *keywords.values())))
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
                frame = self.flow.frame_type(
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
        if is_method and parameters and not is_staticmethod(function):
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
