"""A flow frame that knows what Django does with a queryset between a view and its template.

It adds string-keyed context dicts (``{"books": qs}``, ``context["x"] = ...``, ``context.update(...)``,
``{**super().get_context_data(), ...}``), ``Paginator``/``Page`` (``page.object_list`` and iterating a page give
the rows of the paginated queryset) and records ``render()``-style calls with their template names and context
(the values are in ``analyzer.integrations.render_values``). Callees run in the same kind of frame, so a project
helper such as ``paginate(qs, page)`` keeps the queryset, and a project function that hands its template name and
context parameters to a render call counts as one. ``analyzer.integrations.view_frame`` runs class-based views.
"""

from __future__ import annotations

from dataclasses import replace

from astroid import nodes

from analyzer.context import call_keyword
from analyzer.flow.evaluator import MAX_CALL_DEPTH, FlowProject, Frame
from analyzer.flow.events import FlowEvent
from analyzer.flow.names import class_member
from analyzer.flow.values import (
    UNKNOWN,
    BoundMethod,
    Collection,
    DictOf,
    ObjectOf,
    TupleOf,
    Unknown,
    Value,
    join,
)
from analyzer.integrations.render_values import (
    CONTEXT_CLASSES,
    INLINE_TEMPLATES,
    PAGINATORS,
    RENDER_FUNCTIONS,
    REQUEST_CONTEXT_CLASSES,
    TEMPLATE_KEYWORDS,
    TEMPLATE_LOADERS,
    ContextDict,
    PageOf,
    PaginatorOf,
    RenderCall,
    TemplateRef,
    call_argument,
    render_wrappers,
    template_names_of,
)


class DjangoFrame(Frame):
    """A flow frame that also understands context dicts, pagination and render calls."""

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
        super().__init__(flow, scope, modname, env, loops, depth, stack)
        self.renders: list[RenderCall] = []
        # ``super().name(...)`` inside a view method: what Django's own implementation returns.
        self.super_values: dict[str, Value] = {}
        # ``self.name`` inside a view method: attributes Django sets before calling it (object_list, object).
        self.self_values: dict[str, Value] = {}

    # -- calls -----------------------------------------------------------------------------------------------
    def qualname_of(self, func: nodes.NodeNG) -> str | None:
        if isinstance(func, nodes.Name) and func.name in self.env:
            return None
        return self.flow.resolver.resolve_expr(self.modname, func)

    def call(self, node: nodes.Call) -> Value:
        func = node.func
        if isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Call):
            inner = func.expr.func
            if isinstance(inner, nodes.Name) and inner.name == "super" and func.attrname in self.super_values:
                self.evaluate_arguments(node)
                return self.super_values[func.attrname]
        if isinstance(func, nodes.Name) and func.name == "dict" and "dict" not in self.env and not node.args:
            return ContextDict(
                tuple((keyword.arg, self.eval(keyword.value)) for keyword in node.keywords if keyword.arg)
            )
        qualname = self.qualname_of(func) if isinstance(func, (nodes.Name, nodes.Attribute)) else None
        if qualname is None:
            return super().call(node)
        if qualname in PAGINATORS:
            values = self.evaluate_arguments(node)
            rows = values[0] if values else self.keyword_value(node, "object_list")
            return PaginatorOf(rows)
        if qualname in RENDER_FUNCTIONS:
            name_index, context_index = RENDER_FUNCTIONS[qualname]
            self.evaluate_arguments(node)
            names = template_names_of(call_argument(node, name_index, TEMPLATE_KEYWORDS))
            self.record_render(node, names, call_argument(node, context_index, ("context",)))
            return UNKNOWN
        wrapper = render_wrappers(self.flow).get(qualname)
        if wrapper is not None:
            self.evaluate_arguments(node)
            names = template_names_of(call_argument(node, wrapper.name_index, (wrapper.name_keyword,)))
            self.record_render(node, names, call_argument(node, wrapper.context_index, (wrapper.context_keyword,)))
            return UNKNOWN
        if qualname in TEMPLATE_LOADERS:
            self.evaluate_arguments(node)
            return TemplateRef(template_names_of(call_argument(node, 0, ("template_name", "template_name_list"))))
        if qualname in INLINE_TEMPLATES:
            self.evaluate_arguments(node)
            source = call_argument(node, 0, ("template_string",))
            if isinstance(source, nodes.Const) and isinstance(source.value, str):
                return TemplateRef((), source)
            return UNKNOWN
        dict_index = CONTEXT_CLASSES.get(qualname, REQUEST_CONTEXT_CLASSES.get(qualname))
        if dict_index is not None:
            values = self.evaluate_arguments(node)
            return values[dict_index] if len(values) > dict_index else ContextDict()
        return super().call(node)

    def evaluate_arguments(self, node: nodes.Call) -> list[Value]:
        values = [self.eval(argument) for argument in node.args]
        for keyword in node.keywords or ():
            self.eval(keyword.value)
        return values

    def keyword_value(self, node: nodes.Call, name: str) -> Value:
        found = call_keyword(node, name)
        return self.eval(found) if found is not None else UNKNOWN

    def record_render(self, node: nodes.Call, names: tuple[str, ...], context_node: nodes.NodeNG | None) -> None:
        context = self.eval(context_node) if context_node is not None else ContextDict()
        self.renders.append(RenderCall(node, names, context if isinstance(context, ContextDict) else None))

    def call_method(
        self, method: BoundMethod, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        receiver = method.receiver
        if isinstance(receiver, TemplateRef) and method.name == "render":
            context_node = call_argument(node, 0, ("context",))
            value = arguments[0] if arguments else keywords.get("context", ContextDict())
            if context_node is None:
                value = ContextDict()
            self.renders.append(
                RenderCall(
                    node, receiver.names, value if isinstance(value, ContextDict) else None, inline=receiver.source
                )
            )
            return UNKNOWN
        if isinstance(receiver, PaginatorOf) and method.name in ("page", "get_page"):
            return PageOf(receiver.rows)
        if isinstance(receiver, ContextDict):
            return self.context_method(receiver, method.name, arguments, node)
        return super().call_method(method, arguments, keywords, node)

    def context_method(self, receiver: ContextDict, name: str, arguments: list[Value], node: nodes.Call) -> Value:
        if name == "update" and arguments and isinstance(arguments[0], ContextDict):
            target = node.func.expr if isinstance(node.func, nodes.Attribute) else None
            if isinstance(target, nodes.Name) and target.name in self.env:
                self.env[target.name] = receiver.merged(arguments[0])
            return UNKNOWN
        if name in ("get", "setdefault", "pop") and isinstance(node.args[0] if node.args else None, nodes.Const):
            key = node.args[0]
            assert isinstance(key, nodes.Const)
            found = receiver.get(str(key.value))
            return found if found is not None else (arguments[1] if len(arguments) > 1 else UNKNOWN)
        if name == "values":
            return Collection(self.joined_values(receiver))
        if name == "items":
            return Collection(TupleOf((UNKNOWN, self.joined_values(receiver))))
        return UNKNOWN

    @staticmethod
    def joined_values(receiver: ContextDict) -> Value:
        joined: Value | None = None
        for _, value in receiver.items:
            joined = join(joined, value)
        return joined if joined is not None else UNKNOWN

    # -- values ----------------------------------------------------------------------------------------------
    def lookup(self, name: str) -> Value:
        value = super().lookup(name)
        if name in self.env or not isinstance(value, Unknown):
            return value
        # A module-level constant the base flow leaves unknown, such as ``PAGE = Template("...")``.
        qualname = self.flow.resolver.resolve_name(self.modname, name)
        definition = self.flow.resolver.definition(qualname) if qualname else None
        if (
            qualname is None
            or not isinstance(definition, nodes.Call)
            or not isinstance(definition.parent, (nodes.Assign, nodes.AnnAssign))
        ):
            return value
        if not isinstance(definition.parent.parent, nodes.Module):
            return value
        memo: dict[str, Value] = self.flow.project.shared("integrations.globals", dict)
        if qualname not in memo:
            memo[qualname] = UNKNOWN  # guards against cycles
            module = definition.root()
            memo[qualname] = type(self)(self.flow, module, module.name, {}, (), 0, ()).eval(definition)
        return memo[qualname]

    def eval(self, node: nodes.NodeNG) -> Value:
        if isinstance(node, nodes.Dict):
            literal = self.context_dict(node)
            if literal is not None:
                return literal
        return super().eval(node)

    def context_dict(self, node: nodes.Dict) -> ContextDict | None:
        """A dict display with string keys (and ``**`` of such dicts); None for any other dict."""
        result = ContextDict()
        for key, value in node.items:
            if isinstance(key, nodes.DictUnpack):
                unpacked = self.eval(value)
                if not isinstance(unpacked, ContextDict):
                    return None
                result = result.merged(unpacked)
            elif isinstance(key, nodes.Const) and isinstance(key.value, str):
                result = result.with_item(key.value, self.eval(value))
            else:
                return None
        return result

    def run(self, statement: nodes.NodeNG) -> None:
        if isinstance(statement, nodes.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if (
                isinstance(target, nodes.Subscript)
                and isinstance(target.value, nodes.Name)
                and isinstance(target.slice, nodes.Const)
                and isinstance(target.slice.value, str)
            ):
                current = self.env.get(target.value.name)
                if isinstance(current, ContextDict):
                    self.env[target.value.name] = current.with_item(target.slice.value, self.eval(statement.value))
                    return
        super().run(statement)

    def attribute(self, base: Value, name: str, node: nodes.NodeNG) -> Value:
        if isinstance(base, PaginatorOf):
            if name == "object_list":
                return base.rows
            return BoundMethod(base, name, node) if name in ("page", "get_page") else UNKNOWN
        if isinstance(base, PageOf):
            if name == "object_list":
                return base.rows
            if name == "paginator":
                return PaginatorOf(base.rows)
            return UNKNOWN
        if isinstance(base, (ContextDict, TemplateRef)):
            return BoundMethod(base, name, node)
        if (
            isinstance(base, ObjectOf)
            and name in self.self_values
            and isinstance(node, nodes.Attribute)
            and isinstance(node.expr, nodes.Name)
            and node.expr.name == "self"
        ):
            return self.self_values[name]
        return super().attribute(base, name, node)

    def subscript(self, node: nodes.Subscript) -> Value:
        if isinstance(node.slice, nodes.Const) and isinstance(node.slice.value, str):
            base = self.eval(node.value)
            if isinstance(base, ContextDict):
                found = base.get(node.slice.value)
                return found if found is not None else UNKNOWN
            if isinstance(base, DictOf):
                return base.value
            return UNKNOWN
        return super().subscript(node)

    def iterate(self, value: Value, loop: nodes.NodeNG | None, node: nodes.NodeNG) -> Value:
        if isinstance(value, PageOf):
            return self.iterate(value.rows, loop, node)
        if isinstance(value, ContextDict):
            return UNKNOWN
        return super().iterate(value, loop, node)

    # -- project functions -------------------------------------------------------------------------------------
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
        """Run a project function in a frame of this class, so Django values survive helper functions.

        Only the result matters here (the ORM1xx rules report the callee's own events), so it is memoised
        without events, apart from the base evaluator's summaries.
        """
        if self.depth >= MAX_CALL_DEPTH or function in self.stack:
            return UNKNOWN
        bindings = dict(closure)
        bindings.update(self.bind_arguments(function, arguments, keywords, self_value))
        key = (type(self).__name__, function, tuple(sorted(bindings.items(), key=lambda item: item[0])), self.loops)
        try:
            hash(key)
        except TypeError:
            return UNKNOWN
        memo: dict[tuple[object, ...], tuple[Value, tuple[FlowEvent, ...]]] = self.flow.project.shared(
            "integrations.summaries", dict
        )
        found = memo.get(key)
        if found is None:
            if key in self.flow.in_progress:
                return UNKNOWN
            self.flow.in_progress.add(key)
            try:
                frame = type(self)(
                    self.flow,
                    function,
                    function.root().name,
                    bindings,
                    self.loops,
                    self.depth + 1,
                    (*self.stack, function),
                )
                result = frame.run_function()
                found = (result, tuple(frame.events))
            finally:
                self.flow.in_progress.discard(key)
            memo[key] = found
        result, events = found
        informative = any(not isinstance(value, Unknown) for value in bindings.values())
        for event in events:
            self.adopt(event, function, node, kind, informative)
        return result

    # -- classes ---------------------------------------------------------------------------------------------
    def class_attribute(self, classdef: nodes.ClassDef, name: str) -> tuple[Value, nodes.NodeNG] | None:
        """The value of a class attribute (through the project's base classes) and the node that assigns it."""
        for current in self.class_chain(classdef):
            member = class_member(current, name)
            if member is None or isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.ClassDef)):
                continue
            frame = type(self)(self.flow, current.root(), current.root().name, {}, (), 0, ())
            return frame.eval(member), member
        return None

    def class_method(self, classdef: nodes.ClassDef, name: str) -> nodes.FunctionDef | None:
        for current in self.class_chain(classdef):
            member = class_member(current, name)
            if isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                return member
            if member is not None:
                return None
        return None

    def base_qualnames(self, classdef: nodes.ClassDef) -> set[str]:
        """Qualified names of every base class, project or external, through the project's classes."""
        found: set[str] = set()
        for current in self.class_chain(classdef):
            for base in current.bases:
                qualname = self.flow.resolver.resolve_expr(current.root().name, base)
                if qualname:
                    found.add(qualname)
        return found


def run_method(
    flow: FlowProject,
    function: nodes.FunctionDef,
    bindings: dict[str, Value],
    *,
    loops: tuple[nodes.NodeNG, ...] = (),
    super_values: dict[str, Value] | None = None,
    self_values: dict[str, Value] | None = None,
    frame_class: type[DjangoFrame] = DjangoFrame,
) -> DjangoFrame:
    """Run one function with the given parameter values; unbound parameters are unknown."""
    env = dict(bindings)
    arguments = function.args
    for argument in [*(arguments.posonlyargs or []), *(arguments.args or []), *(arguments.kwonlyargs or [])]:
        env.setdefault(argument.name, UNKNOWN)
    for name in (arguments.vararg, arguments.kwarg):
        if name:
            env.setdefault(name, UNKNOWN)
    frame = frame_class(flow, function, function.root().name, env, loops, 0, (function,))
    frame.super_values = dict(super_values or {})
    frame.self_values = dict(self_values or {})
    frame.run_function()
    return frame


def per_row(value: Value, loop: nodes.NodeNG) -> Value:
    """The value as a row of a loop that Django (not the code) runs, such as a serializer's many=True."""
    from analyzer.flow.values import Instance

    if isinstance(value, Instance) and value.row is not None:
        return replace(value, row=replace(value.row, loop=loop), born_in=loop)
    return value


def call_as_engine(frame: Frame, value: Value, node: nodes.NodeNG) -> Value:
    """Call a method found by a lookup with no arguments, as templates and DRF's ``source=`` do."""
    if not isinstance(value, BoundMethod):
        return value
    call = nodes.Call(
        lineno=node.lineno,
        col_offset=node.col_offset,
        parent=node.parent,
        end_lineno=node.end_lineno,
        end_col_offset=node.end_col_offset,
    )
    call.postinit(func=node, args=[], keywords=[])
    return frame.call_method(value, [], {}, call)
