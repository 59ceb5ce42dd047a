"""Shared plumbing for the review rules (ORM4xx queryset API misuse, ORM5xx model design, ORM9xx opt-in).

These rules read the syntax of one file against the project's model graph: which models a file declares, which
names resolve to models, views or Django helpers, and which expressions are querysets of a known model. The
per-row flow is not needed for them; the helpers keep each rule module down to its own pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from astroid import nodes
from astroid.const import Context

from analyzer.context import FileContext, nodes_of
from analyzer.findings import Finding
from analyzer.flow.evaluator import flow_for
from analyzer.flow.names import NameResolver, last_name
from analyzer.modelgraph import ModelInfo
from analyzer.queryset_methods import KEEP_METHODS

# Methods that return another queryset of the same model: a chain of them is still a queryset.
QUERYSET_CHAIN_METHODS = KEEP_METHODS - {"iterator", "union", "intersection", "difference"}
MODEL_ROOTS = frozenset({"django.db.models.Model", "django.db.models.base.Model"})


def in_migrations(context: FileContext) -> bool:
    """Migrations are generated history: never reported, whatever they contain."""
    return "migrations" in context.source.path.parts[:-1]


def resolver(context: FileContext) -> NameResolver:
    return flow_for(context.project).resolver


def resolve(context: FileContext, expr: nodes.NodeNG) -> str | None:
    """The qualified name of a Name or dotted Attribute in this file, following the project's imports."""
    return resolver(context).resolve_expr(context.source.modname, expr)


def model_label(context: FileContext, expr: nodes.NodeNG) -> str | None:
    """The model label ("catalog.Book") a Name or Attribute expression refers to, or None."""
    if not isinstance(expr, (nodes.Name, nodes.Attribute)):
        return None
    qualname = resolve(context, expr)
    if qualname is None:
        return None
    return context.project.graph.label_for_class(qualname)


@dataclass(frozen=True)
class DeclaredModel:
    """A model declared in the file under check, with its class node."""

    info: ModelInfo
    node: nodes.ClassDef


def declared_models(context: FileContext) -> list[DeclaredModel]:
    """The models (abstract ones included) whose class statement is in this file, in source order."""

    def compute() -> list[DeclaredModel]:
        if in_migrations(context):
            return []
        found: list[DeclaredModel] = []
        graph = context.project.graph
        for classdef in nodes_of(context.module, nodes.ClassDef):
            if not isinstance(classdef.parent, nodes.Module):
                continue
            label = graph.label_for_class(f"{context.source.modname}.{classdef.name}")
            info = graph.get(label) if label else None
            if info is not None and info.qualname == f"{context.source.modname}.{classdef.name}":
                found.append(DeclaredModel(info, classdef))
        return found

    return context.shared("review.declared_models", compute)


def field_statements(classdef: nodes.ClassDef) -> Iterator[tuple[nodes.AssignName, nodes.Call]]:
    """``name = SomeField(...)`` statements in a class body: the target and the call."""
    for statement in classdef.body:
        if isinstance(statement, nodes.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, nodes.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, nodes.AssignName) and isinstance(value, nodes.Call):
            yield target, value


def class_body_names(classdef: nodes.ClassDef) -> dict[str, nodes.NodeNG]:
    """Names bound directly in a class body (attributes and methods), mapped to their value or definition."""
    names: dict[str, nodes.NodeNG] = {}
    for statement in classdef.body:
        if isinstance(statement, (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.ClassDef)):
            names[statement.name] = statement
        elif isinstance(statement, nodes.Assign):
            for target in statement.targets:
                if isinstance(target, nodes.AssignName):
                    names[target.name] = statement.value
        elif (
            isinstance(statement, nodes.AnnAssign)
            and isinstance(statement.target, nodes.AssignName)
            and statement.value is not None
        ):
            names[statement.target.name] = statement.value
    return names


@dataclass(frozen=True)
class ClassChain:
    """A class and its project base classes (nearest first), and the external bases they derive from."""

    classes: tuple[tuple[str, nodes.ClassDef], ...]  # (module name, class) pairs
    external_bases: frozenset[str]  # qualnames of bases outside the analysed project
    unresolved: bool  # some base could not be resolved at all

    def attribute(self, name: str) -> nodes.NodeNG | None:
        """The nearest definition of ``name`` in the chain, as a class body binds it."""
        for _, classdef in self.classes:
            found = class_body_names(classdef).get(name)
            if found is not None:
                return found
        return None

    def defines(self, name: str) -> bool:
        return self.attribute(name) is not None


def class_chain(context: FileContext, modname: str, classdef: nodes.ClassDef, limit: int = 30) -> ClassChain:
    """Walk a class's bases through the project's imports; what lies outside the project is named, not read."""
    names = resolver(context)
    classes: list[tuple[str, nodes.ClassDef]] = []
    external: set[str] = set()
    unresolved = False
    pending: list[tuple[str, nodes.ClassDef]] = [(modname, classdef)]
    seen: set[int] = set()
    while pending and len(classes) < limit:
        current_mod, current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        classes.append((current_mod, current))
        for base in current.bases:
            expr = base.value if isinstance(base, nodes.Subscript) else base
            qualname = names.resolve_expr(current_mod, expr)
            if qualname is None:
                unresolved = True
                continue
            definition = names.definition(qualname)
            if isinstance(definition, nodes.ClassDef):
                pending.append((definition.root().name, definition))
            else:
                external.add(qualname)
    return ClassChain(tuple(classes), frozenset(external), unresolved)


def at_class_name(finding: Finding, classdef: nodes.ClassDef) -> Finding:
    """Narrow a finding on a class statement to ``class Name`` instead of the whole body."""
    keyword_length = len("class ")
    return replace(finding, end_line=finding.line, end_column=finding.column + keyword_length + len(classdef.name))


# -- querysets -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuerySetExpr:
    """An expression recognised as a queryset of ``model``, with the methods applied along its chain."""

    model: str
    calls: tuple[nodes.Call, ...] = field(compare=False, hash=False)  # the method calls, in call order
    text: str = ""  # as written, elided when long
    node: nodes.NodeNG | None = field(default=None, compare=False, hash=False)

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods applied along the chain, in call order: ("filter", "order_by")."""
        return tuple(str(call.func.attrname) for call in self.calls if isinstance(call.func, nodes.Attribute))


def _manager_names(info: ModelInfo) -> set[str]:
    return {*info.managers, "objects", "_default_manager", "_base_manager"}


def _chain(context: FileContext, node: nodes.NodeNG, depth: int) -> tuple[str, tuple[nodes.Call, ...]] | None:
    calls: list[nodes.Call] = []
    current = node
    while isinstance(current, nodes.Call) and isinstance(current.func, nodes.Attribute):
        if current.func.attrname not in QUERYSET_CHAIN_METHODS:
            return None
        calls.append(current)
        current = current.func.expr
    if isinstance(current, nodes.Attribute):
        label = model_label(context, current.expr)
        info = context.project.graph.get(label) if label else None
        if info is not None and current.attrname in _manager_names(info):
            return info.label, tuple(reversed(calls))
        return None
    if isinstance(current, nodes.Name) and depth > 0:
        assigned = single_local_value(current)
        if assigned is None:
            return None
        inner = _chain(context, assigned, depth - 1)
        if inner is None:
            return None
        return inner[0], inner[1] + tuple(reversed(calls))
    return None


def queryset_expr(context: FileContext, node: nodes.NodeNG) -> QuerySetExpr | None:
    """``Model.objects.filter(...)...`` (or a local name assigned once from one): the model and methods, or None.

    Only chains of queryset-returning methods on a model's manager are recognised; querysets that come from
    other functions, related managers or ``get_queryset()`` are left alone, so the rules stay quiet on them.
    """
    chain = _chain(context, node, depth=3)
    if chain is None:
        return None
    label, calls = chain
    return QuerySetExpr(label, calls, short_text(node), node)


def single_local_value(name: nodes.Name) -> nodes.NodeNG | None:
    """The value a local name is bound to when its function binds it exactly once, by plain assignment."""
    scope = name.scope()
    if isinstance(scope, nodes.Module):
        return None
    values: list[nodes.NodeNG] = []
    for assigned in nodes_of(scope, nodes.AssignName):
        if assigned.name != name.name or assigned.scope() is not scope:
            continue
        parent = assigned.parent
        if (isinstance(parent, nodes.Assign) and assigned in parent.targets) or (
            isinstance(parent, nodes.AnnAssign) and parent.value is not None
        ):
            values.append(parent.value)
        else:
            return None  # a loop target, parameter, with-target, augmented assignment...
    if any(isinstance(argument, nodes.AssignName) and argument.name == name.name for argument in _parameters(scope)):
        return None
    return values[0] if len(values) == 1 else None


def _parameters(scope: nodes.NodeNG) -> list[nodes.AssignName]:
    arguments = getattr(scope, "args", None)
    if not isinstance(arguments, nodes.Arguments):
        return []
    found = [*(arguments.posonlyargs or []), *(arguments.args or []), *(arguments.kwonlyargs or [])]
    found.extend(item for item in (arguments.vararg_node, arguments.kwarg_node) if item is not None)
    return [item for item in found if isinstance(item, nodes.AssignName)]


_MAX_TEXT = 60


def short_text(node: nodes.NodeNG) -> str:
    """An expression as written, with call arguments elided when it is long: ``Book.objects.filter(...)``."""
    text: str = node.as_string()
    if len(text) <= _MAX_TEXT:
        return text
    return _elided(node)


def _elided(node: nodes.NodeNG) -> str:
    if isinstance(node, nodes.Call):
        return f"{_elided(node.func)}({'...' if node.args or node.keywords else ''})"
    if isinstance(node, nodes.Attribute):
        return f"{_elided(node.expr)}.{node.attrname}"
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Subscript):
        return f"{_elided(node.value)}[...]"
    return "..."


def callee_name(call: nodes.Call) -> str:
    """The last name of what is called: ``render`` for ``shortcuts.render(...)``."""
    if isinstance(call.func, nodes.Name):
        return str(call.func.name)
    if isinstance(call.func, nodes.Attribute):
        return str(call.func.attrname)
    return ""


def callee_is(context: FileContext, call: nodes.Call, names: frozenset[str]) -> bool:
    """True when the callee resolves to one of ``names`` (qualnames or bare names of imported helpers)."""
    qualname = resolve(context, call.func)
    if qualname is not None:
        return qualname in names or last_name(qualname) in names
    return callee_name(call) in names


# -- class-based list views ---------------------------------------------------------------------------------------

LIST_VIEW_BASES = frozenset(
    {
        "django.views.generic.ListView",
        "django.views.generic.list.ListView",
        "django.views.generic.list.BaseListView",
        "django.views.generic.BaseListView",
        "django.views.generic.list.MultipleObjectMixin",
        "django.views.generic.MultipleObjectMixin",
        "django.views.generic.dates.ArchiveIndexView",
        "django.views.generic.ArchiveIndexView",
    }
)


@dataclass(frozen=True)
class ListViewClass:
    """A class-based view in this file that lists a queryset (a ListView subclass, directly or through bases)."""

    node: nodes.ClassDef
    chain: ClassChain


def list_views(context: FileContext) -> list[ListViewClass]:
    def compute() -> list[ListViewClass]:
        if in_migrations(context):
            return []
        found: list[ListViewClass] = []
        for classdef in nodes_of(context.module, nodes.ClassDef):
            if not isinstance(classdef.parent, nodes.Module):
                continue
            chain = class_chain(context, context.source.modname, classdef)
            if chain.external_bases & LIST_VIEW_BASES:
                found.append(ListViewClass(classdef, chain))
        return found

    return context.shared("review.list_views", compute)


AGGREGATES = frozenset({"Count", "Sum", "Avg", "Max", "Min", "StdDev", "Variance", "ArrayAgg", "StringAgg"})


def model_has_default_ordering(context: FileContext, label: str) -> bool:
    """True when the model (or a base whose Meta it inherits) sets ``Meta.ordering``.

    The graph keeps ``ordering`` only when it is a literal list of strings; an ordering written another way
    (``[F("name").asc()]``, a constant) is looked up in the class statements and counts as set.
    """
    info = context.project.graph.get(label)
    if info is None:
        return True  # a model the analysis cannot see: assume it is ordered (quiet)
    if info.ordering is not None:
        return bool(info.ordering)
    names = resolver(context)
    for qualname in (info.qualname, *info.bases):
        classdef = names.definition(qualname)
        if not isinstance(classdef, nodes.ClassDef):
            continue
        meta = class_body_names(classdef).get("Meta")
        if isinstance(meta, nodes.ClassDef) and "ordering" in class_body_names(meta):
            return True
    return False


def queryset_is_ordered(context: FileContext, queryset: QuerySetExpr) -> bool:
    """Django's ``QuerySet.ordered``: an order_by(), or the model's default ordering without a GROUP BY."""
    grouped = False
    explicit: bool | None = None
    for call in queryset.calls:
        name = call.func.attrname if isinstance(call.func, nodes.Attribute) else ""
        if name == "order_by":
            # order_by() with no arguments clears the ordering, default ordering included.
            explicit = bool(call.args or call.keywords)
        elif name == "annotate" and any(
            isinstance(argument, nodes.Call) and callee_name(argument) in AGGREGATES
            for argument in [*call.args, *(item.value for item in call.keywords or ())]
        ):
            grouped = True
    if explicit is not None:
        return explicit
    return not grouped and model_has_default_ordering(context, queryset.model)


# -- qs[0] -----------------------------------------------------------------------------------------------------

_INDEX_ERROR_CATCHERS = frozenset({"IndexError", "LookupError", "Exception", "BaseException"})


@dataclass(frozen=True)
class IndexZero:
    """``qs[0]`` on a known queryset, not guarded against an empty result."""

    node: nodes.Subscript
    queryset: QuerySetExpr


def _catches_index_error(handler: nodes.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    caught = handler.type.elts if isinstance(handler.type, nodes.Tuple) else [handler.type]
    return any(
        (isinstance(item, nodes.Name) and item.name in _INDEX_ERROR_CATCHERS)
        or (isinstance(item, nodes.Attribute) and item.attrname in _INDEX_ERROR_CATCHERS)
        for item in caught
    )


def is_guarded_against_empty(node: nodes.NodeNG, tested: str) -> bool:
    """Inside ``try`` catching IndexError, or in the body of an ``if`` that tests ``tested`` first."""
    child = node
    parent = node.parent
    while parent is not None and not isinstance(parent, (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.Module)):
        if (
            isinstance(parent, nodes.Try)
            and child in parent.body
            and any(_catches_index_error(handler) for handler in parent.handlers)
        ):
            return True
        if (
            isinstance(parent, (nodes.If, nodes.IfExp))
            and child is not parent.test
            and tested in parent.test.as_string()
        ):
            return True
        if isinstance(parent, nodes.BoolOp) and child is not parent.values[0]:
            # ``qs.exists() and qs[0]``: an earlier operand tested the queryset.
            earlier = parent.values[: parent.values.index(child)]
            if any(tested in operand.as_string() for operand in earlier):
                return True
        child, parent = parent, parent.parent
    return False


def index_zero_sites(context: FileContext) -> list[IndexZero]:
    def compute() -> list[IndexZero]:
        if in_migrations(context):
            return []
        found: list[IndexZero] = []
        for subscript in nodes_of(context.module, nodes.Subscript):
            index = subscript.slice
            if not (isinstance(index, nodes.Const) and index.value == 0 and not isinstance(index.value, bool)):
                continue
            if subscript.ctx is not Context.Load:
                continue  # qs[0] = ... is an error of its own, not a read
            queryset = queryset_expr(context, subscript.value)
            if queryset is None or is_guarded_against_empty(subscript, subscript.value.as_string()):
                continue
            found.append(IndexZero(subscript, queryset))
        return found

    return context.shared("review.index_zero_sites", compute)


def last_order_by(queryset: QuerySetExpr) -> nodes.Call | None:
    """The call that decides the order: the last ``order_by(...)`` of the chain, if it has arguments."""
    calls = [
        call for call in queryset.calls if isinstance(call.func, nodes.Attribute) and call.func.attrname == "order_by"
    ]
    if not calls or not (calls[-1].args or calls[-1].keywords):
        return None
    return calls[-1]


def extended_classes(context: FileContext) -> frozenset[str]:
    """Qualnames of the project classes that another project class derives from (base views, mixins)."""

    def compute() -> frozenset[str]:
        names = resolver(context)
        extended: set[str] = set()
        for modname, module in context.project.modules.items():
            for classdef in nodes_of(module, nodes.ClassDef):
                for base in classdef.bases:
                    expr = base.value if isinstance(base, nodes.Subscript) else base
                    qualname = names.resolve_expr(modname, expr)
                    if qualname is not None:
                        extended.add(qualname)
        return frozenset(extended)

    return context.project.shared("review.extended_classes", compute)


def returns_no_queryset(function: nodes.NodeNG) -> bool:
    """A ``get_queryset()`` whose every return is ``None`` or a literal list: it lists no model rows."""
    if not isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
        return False
    returns = [
        item
        for item in function.nodes_of_class(nodes.Return, skip_klass=(nodes.FunctionDef, nodes.Lambda))
        if item.scope() is function
    ]
    return bool(returns) and all(
        item.value is None
        or (isinstance(item.value, nodes.Const) and item.value.value is None)
        or isinstance(item.value, (nodes.List, nodes.Tuple))
        for item in returns
    )
