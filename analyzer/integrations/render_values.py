"""What Django does with a queryset between a view and its template, as abstract values and facts: string-keyed
context dicts, constants, ``Paginator``/``Page``, template references, the ``render()``-style calls a frame records,
and the project functions that hand a template name and context on to one (render wrappers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from astroid import nodes

from analyzer.context import ProjectContext, nodes_of
from analyzer.flow.evaluator import FlowProject
from analyzer.flow.names import last_name
from analyzer.flow.values import (
    Value,
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
TEMPLATE_KEYWORDS = ("template_name", "template")


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
class RequestOf(Value):
    """``self.request`` of a view as Django runs it for the rows it lists: a GET request."""

    method: str


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
        template = _parameter(function, call_argument(call, name_index, TEMPLATE_KEYWORDS))
        context = _parameter(function, call_argument(call, context_index, ("context",)))
        if template is not None and context is not None:
            return RenderWrapper(template[0], template[1], context[0], context[1])
    return None


def contributors(project: ProjectContext) -> set[str]:
    """The modules whose own code produced a render, a viewset's serializer reads or an admin registration this run:
    the project-wide integration results depend only on them and what they import (the cache keys them so)."""
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


def call_argument(node: nodes.Call, index: int, keywords: tuple[str, ...]) -> nodes.NodeNG | None:
    if len(node.args) > index and not any(isinstance(argument, nodes.Starred) for argument in node.args[: index + 1]):
        return node.args[index]
    return next((keyword.value for keyword in node.keywords or () if keyword.arg in keywords), None)
