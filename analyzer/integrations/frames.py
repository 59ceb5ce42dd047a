"""A flow frame that knows what Django does with a queryset between a view and its template.

It adds string-keyed context dicts (``{"books": qs}``, ``context["x"] = ...``, ``context.update(...)``,
``{**super().get_context_data(), ...}``), ``Paginator``/``Page`` (``page.object_list`` and iterating a page give
the rows of the paginated queryset) and records ``render()``-style calls with their template names and context.
Callees run in the same kind of frame, so a project helper such as ``paginate(qs, page)`` keeps the queryset, and
a project function that hands its template name and context parameters to a render call counts as one.
``ViewFrame`` runs a class-based view's own methods with the view's class constants (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from astroid import nodes

from analyzer.context import ProjectContext, call_keyword, nodes_of
from analyzer.flow.evaluator import MAX_CALL_DEPTH, FlowProject, Frame
from analyzer.flow.events import FlowEvent
from analyzer.flow.names import class_member, last_name
from analyzer.flow.values import (
    UNKNOWN,
    BoundMethod,
    Collection,
    DictOf,
    ModelClass,
    ObjectOf,
    QuerySet,
    TupleOf,
    Unknown,
    Value,
    join,
)

PAGINATORS = frozenset({"django.core.paginator.Paginator"})
# Callable -> (positional index of the template name, positional index of the context).
RENDER_FUNCTIONS = {
    "django.shortcuts.render": (1, 2),
    "django.shortcuts.render_to_response": (0, 1),
    "django.template.response.TemplateResponse": (1, 2),
    "django.template.response.SimpleTemplateResponse": (0, 1),
    "django.template.loader.render_to_string": (0, 1),
}
RENDER_FUNCTION_NAMES = frozenset(last_name(qualname) for qualname in RENDER_FUNCTIONS)
TEMPLATE_LOADERS = frozenset(
    {
        "django.template.loader.get_template",
        "django.template.loader.select_template",
        "django.template.engines",
    }
)
INLINE_TEMPLATES = frozenset(
    {"django.template.Template", "django.template.base.Template", "jinja2.Template", "jinja2.environment.Template"}
)
CONTEXT_CLASSES = {"django.template.Context": 0, "django.template.context.Context": 0}
REQUEST_CONTEXT_CLASSES = {"django.template.RequestContext": 1, "django.template.context.RequestContext": 1}
_TEMPLATE_KEYWORDS = ("template_name", "template")
# Django's generic views that read ``model`` / ``queryset`` (both ``None`` unless a subclass sets them).
MODEL_VIEW_BASES = frozenset(
    {
        "ListView",
        "BaseListView",
        "MultipleObjectMixin",
        "MultipleObjectTemplateResponseMixin",
        "DetailView",
        "BaseDetailView",
        "SingleObjectMixin",
        "SingleObjectTemplateResponseMixin",
        "UpdateView",
        "DeleteView",
        "BaseUpdateView",
        "BaseDeleteView",
        "CreateView",
        "BaseCreateView",
        "ModelFormMixin",
    }
)
_MODEL_VIEW_DEFAULTS = ("model", "queryset")


@dataclass(frozen=True)
class ContextDict(Value):
    """A dict with string keys, such as a template context; values are kept per key."""

    items: tuple[tuple[str, Value], ...] = ()

    def get(self, key: str) -> Value | None:
        return next((value for name, value in reversed(self.items) if name == key), None)

    def with_item(self, key: str, value: Value) -> ContextDict:
        return ContextDict((*((name, old) for name, old in self.items if name != key), (key, value)))

    def merged(self, other: ContextDict) -> ContextDict:
        result = self
        for key, value in other.items:
            result = result.with_item(key, value)
        return result

    def as_dict(self) -> dict[str, Value]:
        return dict(self.items)


@dataclass(frozen=True)
class ConstValue(Value):
    """A constant a view's code sets: a template name in a class attribute, or ``None`` for an option left unset."""

    value: str | bool | None


@dataclass(frozen=True)
class PaginatorOf(Value):
    rows: Value


@dataclass(frozen=True)
class PageOf(Value):
    """One page of a paginator: ``object_list`` and iteration give the paginated rows."""

    rows: Value


@dataclass(frozen=True)
class TemplateRef(Value):
    """A template loaded by name (``get_template("x.html")``) or built from a string (``Template("...")``)."""

    names: tuple[str, ...] = ()
    source: nodes.Const | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class RenderCall:
    """A template rendered with a context: the link from Python code to a template."""

    node: nodes.NodeNG = field(compare=False, hash=False, repr=False)
    template_names: tuple[str, ...]
    context: ContextDict | None  # None: a context the flow cannot see into
    inline: nodes.Const | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class RenderWrapper:
    """A project function that renders the template and context its caller passes (``render_modal(request,
    "x.html", context)``): a call to it is read as a render call with the caller's literal template name."""

    name_index: int
    name_keyword: str
    context_index: int
    context_keyword: str


def _parameter(function: nodes.FunctionDef, node: nodes.NodeNG | None) -> tuple[int, str] | None:
    """The positional index and name of the parameter ``node`` passes on unchanged (``context`` or
    ``context or {}``)."""
    if isinstance(node, nodes.BoolOp) and node.op == "or" and node.values:
        node = node.values[0]
    if not isinstance(node, nodes.Name):
        return None
    positional = [*(function.args.posonlyargs or []), *(function.args.args or [])]
    names = [argument.name for argument in positional]
    if node.name not in names or node.lookup(node.name)[0] is not function:
        return None
    return names.index(node.name), node.name


def _render_wrapper(flow: FlowProject, function: nodes.FunctionDef) -> RenderWrapper | None:
    modname = function.root().name
    for call in nodes_of(function, nodes.Call):
        if call.scope() is not function or not isinstance(call.func, (nodes.Name, nodes.Attribute)):
            continue
        qualname = flow.resolver.resolve_expr(modname, call.func)
        if qualname not in RENDER_FUNCTIONS:
            continue
        name_index, context_index = RENDER_FUNCTIONS[qualname]
        template = _parameter(function, _argument(call, name_index, _TEMPLATE_KEYWORDS))
        context = _parameter(function, _argument(call, context_index, ("context",)))
        if template is not None and context is not None:
            return RenderWrapper(template[0], template[1], context[0], context[1])
    return None


def contributors(project: ProjectContext) -> set[str]:
    """The modules whose own code produced a render, a viewset's serializer reads or an admin registration this run:
    the project-wide integration results depend only on them and what they import (``engine`` keys its cache so)."""
    found: set[str] = project.shared("integrations.contributors", set)
    return found


def render_wrappers(flow: FlowProject) -> dict[str, RenderWrapper]:
    """Module-level project functions that pass a template name and a context parameter to a render call."""

    def compute() -> dict[str, RenderWrapper]:
        found: dict[str, RenderWrapper] = {}
        for module in flow.project.modules.values():
            for statement in module.body:
                if isinstance(statement, nodes.FunctionDef) and any(
                    isinstance(call.func, (nodes.Name, nodes.Attribute))
                    and (getattr(call.func, "name", None) or getattr(call.func, "attrname", None))
                    in RENDER_FUNCTION_NAMES
                    for call in nodes_of(statement, nodes.Call)
                ):
                    wrapper = _render_wrapper(flow, statement)
                    if wrapper is not None:
                        found[f"{module.name}.{statement.name}"] = wrapper
        return found

    return flow.project.shared("integrations.render_wrappers", compute)


def template_names_of(node: nodes.NodeNG | None) -> tuple[str, ...]:
    """The literal template name(s) of a render argument: a string or a list/tuple of strings."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return tuple(item.value for item in node.elts if isinstance(item, nodes.Const) and isinstance(item.value, str))
    return ()


def _argument(node: nodes.Call, index: int, keywords: tuple[str, ...]) -> nodes.NodeNG | None:
    if len(node.args) > index and not any(isinstance(argument, nodes.Starred) for argument in node.args[: index + 1]):
        return node.args[index]
    return next((keyword.value for keyword in node.keywords or () if keyword.arg in keywords), None)


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
            names = template_names_of(_argument(node, name_index, _TEMPLATE_KEYWORDS))
            self.record_render(node, names, _argument(node, context_index, ("context",)))
            return UNKNOWN
        wrapper = render_wrappers(self.flow).get(qualname)
        if wrapper is not None:
            self.evaluate_arguments(node)
            names = template_names_of(_argument(node, wrapper.name_index, (wrapper.name_keyword,)))
            self.record_render(node, names, _argument(node, wrapper.context_index, (wrapper.context_keyword,)))
            return UNKNOWN
        if qualname in TEMPLATE_LOADERS:
            self.evaluate_arguments(node)
            return TemplateRef(template_names_of(_argument(node, 0, ("template_name", "template_name_list"))))
        if qualname in INLINE_TEMPLATES:
            self.evaluate_arguments(node)
            source = _argument(node, 0, ("template_string",))
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
            context_node = _argument(node, 0, ("context",))
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


def lenient_join(first: Value | None, second: Value | None) -> Value:
    """``join`` for the paths of a view's own code: a queryset (or model class) on one path and a value the flow
    cannot see on the other (search results from a backend, a model picked from a form) stays the queryset, since
    the rows of the path that is known are still rendered on that path."""
    if isinstance(first, (QuerySet, ModelClass)) and type(second) is Unknown:
        return first
    if isinstance(second, (QuerySet, ModelClass)) and type(first) is Unknown:
        return second
    if isinstance(first, ContextDict) and isinstance(second, ContextDict) and first != second:
        # ``if ...: context["x"] = ...``: a key set on one path is still rendered on that path.
        merged = dict(first.items)
        for key, value in second.items:
            merged[key] = lenient_join(merged[key], value) if key in merged else value
        return ContextDict(tuple(merged.items()))
    return join(first, second)


def _lenient_env(first: dict[str, Value], second: dict[str, Value]) -> dict[str, Value]:
    return {name: lenient_join(first.get(name), second.get(name)) for name in {**first, **second}}


@dataclass(frozen=True)
class ViewState:
    """What Django's own code gives one concrete view class: ``super().get_queryset()`` / ``get_context_data()``
    results past the project's classes, and the ``self`` attributes set before they run (``object_list``)."""

    super_values: dict[str, Value] = field(default_factory=dict)
    self_values: dict[str, Value] = field(default_factory=dict)


def set_view_state(flow: FlowProject, qualname: str, state: ViewState) -> None:
    states: dict[str, ViewState] = flow.project.shared("integrations.view_states", dict)
    states[qualname] = state


class ViewFrame(DjangoFrame):
    """Runs a class-based view's own methods the way Django calls them on one concrete view class.

    On top of ``DjangoFrame`` it knows the view's class constants (``self.model``, ``self.queryset``, template names,
    including Django's ``None`` defaults for ``model``/``queryset``), skips ``if`` branches whose test those constants
    decide (``if self.queryset is not None:``), follows ``super().method()`` to the next class in the project that
    defines it, and keeps a queryset through branches where another path is unknown (``lenient_join``).
    """

    # -- constants ---------------------------------------------------------------------------------------------
    def eval(self, node: nodes.NodeNG) -> Value:
        if isinstance(node, nodes.Const) and (node.value is None or isinstance(node.value, (str, bool))):
            return ConstValue(node.value)
        if isinstance(node, nodes.IfExp):
            truth = self.static_truth(node.test)
            if truth is not None:
                return self.eval(node.body if truth else node.orelse)
            return lenient_join(self.eval(node.body), self.eval(node.orelse))
        return super().eval(node)

    def attribute(self, base: Value, name: str, node: nodes.NodeNG) -> Value:
        if isinstance(base, ObjectOf) and name not in self.self_values:
            known = self.view_state(base.qualname).self_values.get(name)
            if known is not None:
                return known
            constant = view_constant(self, base.qualname, name)
            if constant is not None:
                return constant
        return super().attribute(base, name, node)

    def view_state(self, qualname: str) -> ViewState:
        states: dict[str, ViewState] = self.flow.project.shared("integrations.view_states", dict)
        return states.get(qualname, ViewState())

    # -- branches ----------------------------------------------------------------------------------------------
    def static_truth(self, test: nodes.NodeNG) -> bool | None:
        """The test's truth when the view's constants decide it; None when it depends on the request."""
        if isinstance(test, nodes.UnaryOp) and test.op == "not":
            inner = self.static_truth(test.operand)
            return None if inner is None else not inner
        if isinstance(test, nodes.BoolOp):
            truths = [self.static_truth(value) for value in test.values]
            decisive: bool = test.op == "or"
            if decisive in truths:
                return decisive
            return None if None in truths else not decisive
        if (
            isinstance(test, nodes.Compare)
            and len(test.ops) == 1
            and test.ops[0][0] in ("is", "is not")
            and isinstance(test.ops[0][1], nodes.Const)
            and test.ops[0][1].value is None
        ):
            is_none = self.none_test(self.eval(test.left))
            if is_none is None:
                return None
            return is_none if test.ops[0][0] == "is" else not is_none
        value = self.eval(test)
        if isinstance(value, ConstValue):
            return bool(value.value)
        if isinstance(value, ModelClass):
            return True
        return None

    @staticmethod
    def none_test(value: Value) -> bool | None:
        if isinstance(value, ConstValue):
            return value.value is None
        if isinstance(value, (QuerySet, ModelClass, ContextDict)):
            return False
        return None

    def run(self, statement: nodes.NodeNG) -> None:
        if isinstance(statement, nodes.If):
            truth = self.static_truth(statement.test)
            if truth is None:
                self.run_branches(statement.body, statement.orelse)
            else:
                self.run_block(statement.body if truth else statement.orelse)
            return
        if isinstance(statement, nodes.Return) and statement.value is not None:
            self.returns = lenient_join(self.returns, self.eval(statement.value))
            return
        super().run(statement)

    def run_branches(self, body: list[nodes.NodeNG], orelse: list[nodes.NodeNG]) -> None:
        before = dict(self.env)
        self.run_block(body)
        after_body = self.env
        self.env = dict(before)
        self.run_block(orelse)
        self.env = _lenient_env(after_body, self.env)

    # -- super() -----------------------------------------------------------------------------------------------
    def call(self, node: nodes.Call) -> Value:
        func = node.func
        if (
            isinstance(func, nodes.Attribute)
            and isinstance(func.expr, nodes.Call)
            and isinstance(func.expr.func, nodes.Name)
            and func.expr.func.name == "super"
        ):
            method = self.next_method(func.attrname)
            self_value = self.env.get("self", UNKNOWN)
            if method is not None:
                values = self.evaluate_arguments(node)
                keywords = {keyword.arg: self.eval(keyword.value) for keyword in node.keywords or () if keyword.arg}
                return self.invoke(method, {}, values, keywords, node, "function", self_value=self_value)
            if isinstance(self_value, ObjectOf) and func.attrname not in self.super_values:
                django_value = self.view_state(self_value.qualname).super_values.get(func.attrname)
                if django_value is not None:
                    self.evaluate_arguments(node)
                    return django_value
        return super().call(node)

    def next_method(self, name: str) -> nodes.FunctionDef | None:
        """The method ``super().name`` reaches in the project: the next definition after the running function's
        class in the class chain of ``self``'s class (breadth-first, which matches the MRO of usual mixins)."""
        owner = self.scope.parent if isinstance(self.scope, (nodes.FunctionDef, nodes.AsyncFunctionDef)) else None
        if not isinstance(owner, nodes.ClassDef):
            return None
        self_value = self.env.get("self")
        start = owner
        if isinstance(self_value, ObjectOf):
            definition = self.flow.resolver.definition(self_value.qualname)
            if isinstance(definition, nodes.ClassDef):
                start = definition
        chain = list(self.class_chain(start))
        if owner not in chain:
            return None
        for classdef in chain[chain.index(owner) + 1 :]:
            member = class_member(classdef, name)
            if isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                return member
            if member is not None:
                return None
        return None


def view_constant(frame: Frame, qualname: str, name: str) -> ConstValue | None:
    """A class attribute of a project view class that is a constant (``results_template_name = "x.html"``), or
    Django's ``None`` for ``model``/``queryset`` on a generic view whose project classes do not set them."""
    definition = frame.flow.resolver.definition(qualname)
    if not isinstance(definition, nodes.ClassDef):
        return None
    for classdef in frame.class_chain(definition):
        member = class_member(classdef, name)
        if member is None:
            continue
        if isinstance(member, nodes.Const) and (member.value is None or isinstance(member.value, (str, bool))):
            return ConstValue(member.value)
        return None
    if name not in _MODEL_VIEW_DEFAULTS:
        return None
    for classdef in frame.class_chain(definition):
        for base in classdef.bases:
            qualname_of_base = frame.flow.resolver.resolve_expr(classdef.root().name, base)
            if (
                qualname_of_base
                and qualname_of_base.startswith("django.")
                and last_name(qualname_of_base) in MODEL_VIEW_BASES
            ):
                return ConstValue(None)
    return None


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
