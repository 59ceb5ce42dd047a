"""``ViewFrame``: runs a class-based view's own methods the way Django calls them on one concrete view class,
with the view's class constants and what Django's own code gives it (``ViewState``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from astroid import nodes

from analyzer.flow.conditions import static_truth
from analyzer.flow.evaluator import FlowProject, Frame
from analyzer.flow.names import class_member, last_name
from analyzer.flow.values import (
    UNKNOWN,
    Constant,
    ModelClass,
    ObjectOf,
    QuerySet,
    Unknown,
    Value,
    join,
)
from analyzer.integrations.frames import DjangoFrame
from analyzer.integrations.render_values import (
    ContextDict,
    RequestOf,
)

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
MODEL_VIEW_DEFAULTS = ("model", "queryset")


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


def lenient_env(first: dict[str, Value], second: dict[str, Value]) -> dict[str, Value]:
    return {name: lenient_join(first.get(name), second.get(name)) for name in {**first, **second}}


@dataclass(frozen=True)
class ViewState:
    """What Django's own code gives one concrete view class: ``super().get_queryset()`` / ``get_context_data()``
    results past the project's classes, and the ``self`` attributes set before they run (``object_list``)."""

    super_values: dict[str, Value] = field(default_factory=dict)
    self_values: dict[str, Value] = field(default_factory=dict)


def _model_class_is_true(value: Value) -> bool | None:
    return True if isinstance(value, ModelClass) else None


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
            return Constant(node.value)
        if isinstance(node, nodes.IfExp):
            truth = self.static_truth(node.test)
            if truth is not None:
                return self.eval(node.body if truth else node.orelse)
            return lenient_join(self.eval(node.body), self.eval(node.orelse))
        return super().eval(node)

    def attribute(self, base: Value, name: str, node: nodes.NodeNG) -> Value:
        if isinstance(base, RequestOf):
            return Constant(base.method) if name == "method" else UNKNOWN
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
        return static_truth(test, self.eval, self.none_test, _model_class_is_true)

    def decided(self, test: nodes.NodeNG) -> bool | None:
        return self.static_truth(test)

    @staticmethod
    def none_test(value: Value) -> bool | None:
        if isinstance(value, Constant):
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
            self.stopped = True
            return
        super().run(statement)

    def run_branches(self, body: list[nodes.NodeNG], orelse: list[nodes.NodeNG]) -> None:
        before = dict(self.env)
        self.run_block(body)
        after_body, body_stopped = self.env, self.stopped
        self.env = dict(before)
        self.stopped = False
        self.run_block(orelse)
        # A branch that returns leaves nothing to join: the code after the if runs with the other branch's names.
        if body_stopped and not self.stopped:
            return
        if self.stopped and not body_stopped:
            self.env, self.stopped = after_body, False
            return
        self.env = lenient_env(after_body, self.env)

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


def view_constant(frame: Frame, qualname: str, name: str) -> Constant | None:
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
            return Constant(member.value)
        return None
    if name not in MODEL_VIEW_DEFAULTS:
        return None
    for classdef in frame.class_chain(definition):
        for base in classdef.bases:
            qualname_of_base = frame.flow.resolver.resolve_expr(classdef.root().name, base)
            if (
                qualname_of_base
                and qualname_of_base.startswith("django.")
                and last_name(qualname_of_base) in MODEL_VIEW_BASES
            ):
                return Constant(None)
    return None
