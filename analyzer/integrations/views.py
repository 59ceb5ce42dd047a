"""Views and the templates they render: which template, with which context values.

Function views (and any project function) are found by their ``render()``, ``TemplateResponse(...)``,
``render_to_string(...)``, ``get_template(...).render(...)`` or ``Template("...").render(...)`` calls and run with the
flow, so a context value is the queryset the view (or a selector in another module) built. Class-based views are
read the way Django runs them: ListView/DetailView/TemplateView subclasses (bases resolved through imports) get
their queryset from ``queryset``, ``model`` or ``get_queryset()``, the context Django builds (``object_list``,
``<model>_list``, ``context_object_name``, ``page_obj``, ``object``, ``<model>``) plus ``get_context_data()``
additions, and ``template_name`` or Django's default ``<app_label>/<model>_list.html`` / ``_detail.html``. Each
concrete class is run on its own (``ViewFrame``), so a ``get_queryset()`` inherited from a project base view sees
the subclass's ``model``; a project ``render_to_response(context)`` is run with the context, and a class with a
``template_name`` and ``get_context_data()`` (a panel or component) renders that template with that context.
``{% include view.results_template_name %}`` is resolved from the render's context before translating.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from astroid import nodes

from analyzer.context import ProjectContext, nodes_of
from analyzer.flow.evaluator import FlowProject, flow_for, short_text
from analyzer.flow.names import last_name
from analyzer.flow.values import UNKNOWN, Instance, ModelClass, ObjectOf, Origin, QuerySet, RowRef, Value
from analyzer.integrations.frames import DjangoFrame, run_method
from analyzer.integrations.jinja import JINJA_MODULE_PREFIX, JinjaTranslations, is_jinja_inline, jinja_available
from analyzer.integrations.render_values import ContextDict, PageOf, PaginatorOf, contributors, render_wrappers
from analyzer.integrations.template_files import TemplateLoader, Token, template_index, tokenize
from analyzer.integrations.templates import (
    TEMPLATE_MODULE_PREFIX,
    IncludeResolver,
    TemplateRead,
    Translation,
    include_names,
    run_template,
    translate,
)
from analyzer.integrations.view_frame import ViewFrame, ViewState, set_view_state, view_constant
from analyzer.queryset import QuerySetState

logger = logging.getLogger(__name__)

# Names a render call is spelled with; a cheap filter before a function is run with the flow.
_RENDER_NAMES = frozenset(
    {
        "render",
        "render_to_response",
        "TemplateResponse",
        "SimpleTemplateResponse",
        "render_to_string",
        "get_template",
        "select_template",
        "Template",
    }
)
_LIST_VIEWS = frozenset({"ListView", "BaseListView", "MultipleObjectMixin", "MultipleObjectTemplateResponseMixin"})
_DETAIL_VIEWS = frozenset(
    {
        "DetailView",
        "BaseDetailView",
        "SingleObjectMixin",
        "SingleObjectTemplateResponseMixin",
        "UpdateView",
        "DeleteView",
        "BaseUpdateView",
        "BaseDeleteView",
    }
)
_TEMPLATE_VIEWS = frozenset({"TemplateView", "TemplateResponseMixin"})


@dataclass(frozen=True)
class ViewRender:
    """A template rendered by a view, with the context the flow sees."""

    view: str  # "catalog.views.book_list"
    path: str  # display path of the view's file
    line: int  # the render call, or the class for a class-based view
    template_names: tuple[str, ...]
    context: ContextDict
    inline: nodes.Const | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class RenderedRead:
    """A per-row relation read in a template, and the view that rendered it."""

    read: TemplateRead
    render: ViewRender


def _inside(node: nodes.NodeNG, ancestor: nodes.NodeNG) -> bool:
    current: nodes.NodeNG | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


def _calls_render(function: nodes.FunctionDef, names: frozenset[str] = _RENDER_NAMES) -> bool:
    for call in nodes_of(function, nodes.Call):
        func = call.func
        name = func.name if isinstance(func, nodes.Name) else getattr(func, "attrname", "")
        if name in names and call.scope() is function:
            return True
    return False


def _qualified_function_name(function: nodes.FunctionDef) -> str:
    parent = function.parent
    owner = f"{parent.name}." if isinstance(parent, nodes.ClassDef) else ""
    return f"{function.root().name}.{owner}{function.name}"


def function_renders(flow: FlowProject, module: nodes.Module, path: str) -> list[ViewRender]:
    renders: list[ViewRender] = []
    names = _RENDER_NAMES | {qualname.rpartition(".")[2] for qualname in render_wrappers(flow)}
    for function in nodes_of(module, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
        if not _calls_render(function, names):
            continue
        try:
            frame = run_method(flow, function, flow.default_bindings(function, module.name))
        except RecursionError:
            logger.error(
                "[%(path)s:%(view)s] %(message)s", {"path": path, "view": function.name, "message": "too deep"}
            )
            continue
        for render in frame.renders:
            if render.context is None or (not render.template_names and render.inline is None):
                continue
            renders.append(
                ViewRender(
                    _qualified_function_name(function),
                    path,
                    render.node.lineno or function.lineno or 1,
                    render.template_names,
                    render.context,
                    render.inline,
                )
            )
    return renders


# -- class-based views -------------------------------------------------------------------------------------------
def _const_string(value: nodes.NodeNG | None) -> str | None:
    return value.value if isinstance(value, nodes.Const) and isinstance(value.value, str) else None


def class_queryset(
    flow: FlowProject,
    frame: DjangoFrame,
    classdef: nodes.ClassDef,
    self_value: Value,
    self_values: dict[str, Value] | None = None,
) -> QuerySet | None:
    """A generic view's rows: ``get_queryset()`` if the project overrides it, else ``queryset``, else ``model``'s
    default manager (what Django's and DRF's ``get_queryset()`` do). ``self_values`` are the attributes Django or
    DRF set on the view before (a DRF list runs with ``self.action == "list"``)."""
    base: QuerySet | None = None
    found = frame.class_attribute(classdef, "queryset")
    if found is not None and isinstance(found[0], QuerySet):
        base = replace(found[0], is_manager=False)
    if base is None:
        model = frame.class_attribute(classdef, "model")
        if model is not None and isinstance(model[0], ModelClass):
            node = model[1]
            origin = Origin(flow.path_of(node), node.lineno or 0, f"{short_text(node)}.objects.all()", node)
            base = QuerySet(model[0].model, QuerySetState(model[0].model), origin)
    method = frame.class_method(classdef, "get_queryset")
    super_values: dict[str, Value] = {"get_queryset": base} if base is not None else {}
    if isinstance(self_value, ObjectOf):
        set_view_state(flow, self_value.qualname, ViewState(dict(super_values), dict(self_values or {})))
    if method is None:
        return base
    result = run_method(flow, method, {"self": self_value}, super_values=super_values, frame_class=ViewFrame).returns
    return replace(result, is_manager=False) if isinstance(result, QuerySet) else None


class ClassView:
    """One class-based view, read the way Django runs it."""

    def __init__(self, flow: FlowProject, classdef: nodes.ClassDef, path: str) -> None:
        self.flow = flow
        self.classdef = classdef
        self.path = path
        self.frame = ViewFrame(flow, classdef.root(), classdef.root().name, {}, (), 0, ())
        self.bases = {last_name(name) for name in self.frame.base_qualnames(classdef) if name.startswith("django.")}
        self.name = f"{classdef.root().name}.{classdef.name}"
        self.self_value = ObjectOf(self.name)

    @property
    def kind(self) -> str | None:
        if self.bases & _LIST_VIEWS:
            return "list"
        if self.bases & _DETAIL_VIEWS:
            return "detail"
        if self.bases & _TEMPLATE_VIEWS:
            return "template"
        if (
            _const_string(self.attribute_node("template_name"))
            and self.frame.class_method(self.classdef, "get_context_data") is not None
        ):
            # A component in the Django convention (a template name and the context for it), such as admin panels:
            # whoever renders it passes get_context_data()'s result to template_name.
            return "component"
        return None

    def attribute_node(self, name: str) -> nodes.NodeNG | None:
        found = self.frame.class_attribute(self.classdef, name)
        return found[1] if found is not None else None

    def queryset(self) -> QuerySet | None:
        queryset = class_queryset(self.flow, self.frame, self.classdef, self.self_value)
        if queryset is None or _inside(queryset.origin.node, self.classdef):
            return queryset
        bases = list(self.frame.class_chain(self.classdef))[1:]
        if not any(_inside(queryset.origin.node, base) for base in bases):
            return queryset
        # Built by a base class shared with other views (from ``self.model``): the fix belongs to this view, which
        # names the model, not to the base class.
        node = self.attribute_node("model")
        anchor = node if node is not None and _inside(node, self.classdef) else self.classdef
        text = f"{self.classdef.name}.get_queryset()"
        return replace(queryset, origin=Origin(self.path, anchor.lineno or 1, text, anchor))

    def context(self, queryset: QuerySet | None) -> tuple[ContextDict, dict[str, Value]]:
        """Django's own context for this view, and the ``self`` attributes it sets before get_context_data()."""
        items: dict[str, Value] = {"view": self.self_value} if self.kind != "component" else {}
        self_values: dict[str, Value] = {}
        object_name = _const_string(self.attribute_node("context_object_name"))
        info = self.flow.graph.get(queryset.model) if queryset is not None else None
        if self.kind == "list" and queryset is not None:
            items.update({"object_list": queryset, "page_obj": PageOf(queryset), "paginator": PaginatorOf(queryset)})
            if info is not None:
                items[f"{info.name.lower()}_list"] = queryset
            if object_name:
                items[object_name] = queryset
            self_values["object_list"] = queryset
        elif self.kind == "detail" and queryset is not None:
            instance = Instance(queryset.model, row=RowRef(queryset.state, queryset.origin), prefix=queryset.prefix)
            items["object"] = instance
            if info is not None:
                items[info.name.lower()] = instance
            if object_name:
                items[object_name] = instance
            self_values["object"] = instance
        return ContextDict(tuple(items.items())), self_values

    def template_names(self, queryset: QuerySet | None) -> tuple[str, ...]:
        names: list[str] = []
        explicit = _const_string(self.attribute_node("template_name"))
        if explicit:
            names.append(explicit)
        method = self.frame.class_method(self.classdef, "get_template_names")
        if method is not None:
            for returned in method.nodes_of_class(nodes.Return):
                for constant in returned.nodes_of_class(nodes.Const):
                    if isinstance(constant.value, str) and constant.value.endswith((".html", ".txt", ".xml")):
                        names.append(constant.value)
        info = self.flow.graph.get(queryset.model) if queryset is not None else None
        if info is not None and self.kind in ("list", "detail"):
            suffix = _const_string(self.attribute_node("template_name_suffix"))
            suffix = suffix or ("_list" if self.kind == "list" else "_detail")
            names.append(f"{info.app_label}/{info.name.lower()}{suffix}.html")
        return tuple(dict.fromkeys(names))

    def renders(self) -> list[ViewRender]:
        if self.kind is None:
            return []
        queryset = self.queryset() if self.kind in ("list", "detail") else None
        names = self.template_names(queryset)
        custom = self.frame.class_method(self.classdef, "render_to_response")
        if not names and custom is None:
            return []
        context, self_values = self.context(queryset)
        method = self.frame.class_method(self.classdef, "get_context_data")
        if method is not None:
            set_view_state(self.flow, self.name, ViewState({"get_context_data": context}, dict(self_values)))
            frame = run_method(
                self.flow,
                method,
                {"self": self.self_value},
                super_values={"get_context_data": context},
                self_values=self_values,
                frame_class=ViewFrame,
            )
            if isinstance(frame.returns, ContextDict):
                context = frame.returns
        if custom is not None:
            found = self.custom_renders(custom, context)
            if found:
                return found
        return [ViewRender(self.name, self.path, self.classdef.lineno or 1, names, context)] if names else []

    def custom_renders(self, method: nodes.FunctionDef, context: ContextDict) -> list[ViewRender]:
        """The renders of a project ``render_to_response(self, context)``, which Django calls with the context."""
        parameters = [argument.name for argument in method.args.args or []]
        if len(parameters) < 2:
            return []
        frame = run_method(self.flow, method, {"self": self.self_value, parameters[1]: context}, frame_class=ViewFrame)
        return [
            ViewRender(
                self.name, self.path, render.node.lineno or 1, render.template_names, render.context, render.inline
            )
            for render in frame.renders
            if render.context is not None and (render.template_names or render.inline is not None)
        ]


def class_renders(flow: FlowProject, module: nodes.Module, path: str) -> list[ViewRender]:
    renders: list[ViewRender] = []
    for classdef in nodes_of(module, nodes.ClassDef):
        if not classdef.bases:
            continue
        try:
            renders += ClassView(flow, classdef, path).renders()
        except RecursionError:
            logger.error(
                "[%(path)s:%(view)s] %(message)s", {"path": path, "view": classdef.name, "message": "too deep"}
            )
            continue
    return renders


def project_renders(project: ProjectContext) -> list[ViewRender]:
    """Every template render the flow can see in the project, in file order."""

    def compute() -> list[ViewRender]:
        flow = flow_for(project)
        renders: list[ViewRender] = []
        for source in project.files:
            module = project.modules.get(source.modname)
            if module is None or module.file != str(source.path):
                continue
            found = function_renders(flow, module, source.display_path)
            found += class_renders(flow, module, source.display_path)
            if found:
                contributors(project).add(source.modname)
            renders += found
        return renders

    return project.shared("integrations.renders", compute)


def context_resolver(flow: FlowProject, context: ContextDict) -> IncludeResolver:
    """Reads a template variable from a render's context without running the template: context keys, and class
    constants of a view object (``view.results_template_name``)."""
    frame: ViewFrame | None = None

    def resolve(variable: str) -> Value:
        nonlocal frame
        head, *parts = variable.split(".")
        value: Value = context.get(head) or UNKNOWN
        for part in parts:
            if isinstance(value, ContextDict):
                value = value.get(part) or UNKNOWN
            elif isinstance(value, ObjectOf):
                if frame is None:
                    module = next(iter(flow.project.modules.values()))
                    frame = ViewFrame(flow, module, module.name, {}, (), 0, ())
                value = view_constant(frame, value.qualname, part) or UNKNOWN
            else:
                return UNKNOWN
        return value

    return resolve


class _Translations:
    """Translated templates, shared by the renders whose contexts resolve the variable includes the same way."""

    def __init__(self, loader: TemplateLoader) -> None:
        self.loader = loader
        self.cache: dict[object, list[Translation]] = {}

    def get(self, key: object, tokens: Callable[[], list[Token]], resolve: IncludeResolver) -> Translation:
        for translation in self.cache.get(key, []):
            if all(include_names(text, resolve) == names for text, names in translation.includes.items()):
                return translation
        translation = translate(self.loader, tokens(), resolve)
        self.cache.setdefault(key, []).append(translation)
        return translation


def rendered_reads(project: ProjectContext) -> list[RenderedRead]:
    """The per-row relation reads of every rendered template, with the view that rendered it."""

    def compute() -> list[RenderedRead]:
        flow = flow_for(project)
        loader = TemplateLoader(template_index(project))
        translations = _Translations(loader)
        jinja_translations = JinjaTranslations(loader)
        found: list[RenderedRead] = []
        for number, render in enumerate(project_renders(project)):
            resolve = context_resolver(flow, render.context)
            inline = render.inline
            if inline is not None and is_jinja_inline(inline, flow.resolver.resolve_expr):
                if jinja_available():
                    jinja_translation = jinja_translations.inline(inline, render.path, resolve)
                    if jinja_translation is not None:
                        path = Path(inline.root().file or render.path)
                        reads = run_template(
                            flow, jinja_translation, render.context.as_dict(), path, f"{JINJA_MODULE_PREFIX}{number}__"
                        )
                        found += [RenderedRead(read, render) for read in reads]
                continue
            if inline is not None:
                path = Path(inline.root().file or render.path)

                def inline_tokens(inline: nodes.Const = inline, render: ViewRender = render) -> list[Token]:
                    return tokenize(
                        str(inline.value),
                        "<inline template>",
                        render.path,
                        line_offset=(inline.lineno or 1) - 1,
                        column_offset=(inline.col_offset or 0) + 1,
                    )

                translation = translations.get(id(inline), inline_tokens, resolve)
            else:
                template = loader.index.find_first(render.template_names)
                if template is None:
                    continue
                path = template.path
                if jinja_translations.is_jinja(template):
                    jinja_translation = jinja_translations.get(template, resolve) if jinja_available() else None
                    if jinja_translation is not None:
                        reads = run_template(
                            flow, jinja_translation, render.context.as_dict(), path, f"{JINJA_MODULE_PREFIX}{number}__"
                        )
                        found += [RenderedRead(read, render) for read in reads]
                    continue
                translation = translations.get(template.path, partial(loader.tokens_of, template), resolve)
            reads = run_template(
                flow, translation, render.context.as_dict(), path, f"{TEMPLATE_MODULE_PREFIX}{number}__"
            )
            found += [RenderedRead(read, render) for read in reads]
        return found

    return project.shared("integrations.rendered_reads", compute)
