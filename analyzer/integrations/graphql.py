"""GraphQL schemas built with graphene-django, read statically: which rows a list field resolves, and what each
row's fields read.

A ``DjangoObjectType`` names its model in ``Meta.model``; a list field of it (``graphene.List(BookType)``,
``DjangoListField(BookType)``, ``DjangoConnectionField(BookType)``) on any class is resolved by that class's
``resolve_<field>()`` (or, for the Django fields, by the type's model manager). Each row of that queryset is read
by the type's fields once per row: its forward relations exposed by ``Meta.fields`` (or all fields, less
``Meta.exclude``) to a model with a type of its own, the reverse and many-to-many relations ``Meta.fields`` lists
by name, and every ``resolve_<name>(self, info)`` method of the type, which the flow runs with ``self`` bound to the
row. A relation those reads load per row is reported at the type's field or resolver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from astroid import nodes

from analyzer.context import ProjectContext, nodes_of
from analyzer.flow.evaluator import FlowProject, flow_for
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.names import class_member, last_name
from analyzer.flow.values import UNKNOWN, Instance, ModelClass, QuerySet, RelatedManager, RowRef, Value
from analyzer.integrations.frames import DjangoFrame, run_method
from analyzer.integrations.render_values import contributors
from analyzer.modelgraph import FieldKind

logger = logging.getLogger(__name__)

OBJECT_TYPES = frozenset({"DjangoObjectType"})
LIST_FIELDS = frozenset({"List"})
# Fields that list the type's rows by themselves, from the model's manager when no resolver says otherwise.
DJANGO_LIST_FIELDS = frozenset({"DjangoListField", "DjangoConnectionField", "DjangoFilterConnectionField"})
_WRAPPERS = frozenset({"NonNull", "List", "Field"})
READ_EVENTS = frozenset(
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


@dataclass(frozen=True)
class ObjectType:
    """A ``DjangoObjectType`` subclass and its model."""

    classdef: nodes.ClassDef
    model: str


@dataclass(frozen=True)
class GraphQLRead:
    """A relation read once per row of a list field: the event, the type field that reads it and where."""

    event: FlowEvent
    type_name: str
    field_name: str
    node: nodes.NodeNG  # where the read is reported: the type's field declaration or a line of its resolver
    listed_by: str  # "schema.Query.all_books"
    origin_path: str
    origin_line: int
    origin_text: str
    in_resolver: bool


def _callee_name(node: nodes.NodeNG) -> str:
    func = node.func if isinstance(node, nodes.Call) else None
    if isinstance(func, nodes.Name):
        return str(func.name)
    if isinstance(func, nodes.Attribute):
        return str(func.attrname)
    return ""


class _Schema:
    def __init__(self, flow: FlowProject) -> None:
        self.flow = flow
        self.types: dict[str, ObjectType] = {}

    def frame(self, module: nodes.Module) -> DjangoFrame:
        return DjangoFrame(self.flow, module, module.name, {}, (), 0, ())

    def collect_types(self) -> None:
        for module in self.flow.project.modules.values():
            frame: DjangoFrame | None = None
            for classdef in nodes_of(module, nodes.ClassDef):
                if not classdef.bases:
                    continue
                frame = frame or self.frame(module)
                if not {last_name(name) for name in frame.base_qualnames(classdef)} & OBJECT_TYPES:
                    continue
                model = self.meta_model(frame, classdef)
                if model is not None:
                    self.types[f"{module.name}.{classdef.name}"] = ObjectType(classdef, model)

    def meta_model(self, frame: DjangoFrame, classdef: nodes.ClassDef) -> str | None:
        meta = class_member(classdef, "Meta")
        model_node = class_member(meta, "model") if isinstance(meta, nodes.ClassDef) else None
        if model_node is None:
            return None
        value = frame.eval(model_node)
        return value.model if isinstance(value, ModelClass) else None

    def type_of(self, modname: str, node: nodes.NodeNG | None, depth: int = 0) -> ObjectType | None:
        """The object type a field declares, through ``NonNull(...)``/``List(...)`` and ``lambda: T``."""
        if node is None or depth > 4:
            return None
        if isinstance(node, nodes.Lambda):
            return self.type_of(modname, node.body, depth + 1)
        if isinstance(node, nodes.Call) and _callee_name(node) in _WRAPPERS:
            return self.type_of(modname, node.args[0] if node.args else None, depth + 1)
        qualname = self.flow.resolver.resolve_expr(modname, node)
        return self.types.get(qualname) if qualname else None

    def list_fields(self, classdef: nodes.ClassDef) -> list[tuple[str, nodes.Assign, ObjectType, bool]]:
        """``name = graphene.List(T)``-style attributes: name, node, type, and whether Django lists the rows."""
        found: list[tuple[str, nodes.Assign, ObjectType, bool]] = []
        modname = classdef.root().name
        for statement in classdef.body:
            if not isinstance(statement, nodes.Assign) or not isinstance(statement.value, nodes.Call):
                continue
            targets = [target.name for target in statement.targets if isinstance(target, nodes.AssignName)]
            call = statement.value
            callee = _callee_name(call)
            if callee == "Field" and call.args and isinstance(call.args[0], nodes.Call):
                call, callee = call.args[0], _callee_name(call.args[0])
            if not targets or (callee not in LIST_FIELDS and callee not in DJANGO_LIST_FIELDS):
                continue
            object_type = self.type_of(modname, call.args[0] if call.args else None)
            if object_type is not None:
                found.append((targets[0], statement, object_type, callee in DJANGO_LIST_FIELDS))
        return found

    def rows(
        self, classdef: nodes.ClassDef, name: str, node: nodes.Assign, object_type: ObjectType, listed: bool
    ) -> QuerySet | None:
        frame = self.frame(classdef.root())
        resolver = frame.class_method(classdef, f"resolve_{name}")
        if resolver is not None:
            parameters = [argument.name for argument in resolver.args.args or []]
            bindings: dict[str, Value] = dict.fromkeys(parameters, UNKNOWN)
            result = run_method(self.flow, resolver, bindings).returns
            if isinstance(result, QuerySet) and result.model == object_type.model:
                return replace(result, is_manager=False)
            return None
        if not listed:
            return None
        meta = class_member(object_type.classdef, "Meta")
        model_node = class_member(meta, "model") if isinstance(meta, nodes.ClassDef) else None
        if model_node is None:
            return None
        type_frame = self.frame(object_type.classdef.root())
        manager = type_frame.attribute(type_frame.eval(model_node), "objects", node.value)
        return replace(manager, is_manager=False) if isinstance(manager, QuerySet) else None

    def reads(
        self, object_type: ObjectType, queryset: QuerySet, loop: nodes.NodeNG, listed_by: str
    ) -> list[GraphQLRead]:
        classdef = object_type.classdef
        row_frame = DjangoFrame(self.flow, classdef.root(), classdef.root().name, {}, (loop,), 0, ())
        row = Instance(
            queryset.model, row=RowRef(queryset.state, queryset.origin, loop), prefix=queryset.prefix, born_in=loop
        )
        origin = queryset.origin
        found: list[GraphQLRead] = []

        def keep(events: list[FlowEvent], field_name: str, node: nodes.NodeNG | None, in_resolver: bool) -> None:
            for event in events:
                if event.kind in READ_EVENTS and event.loop is loop and event.origin is not None:
                    found.append(
                        GraphQLRead(
                            event,
                            classdef.name,
                            field_name,
                            node or event.node,
                            listed_by,
                            origin.path,
                            origin.line,
                            origin.text,
                            in_resolver,
                        )
                    )

        resolvers: set[str] = set()
        for current in row_frame.class_chain(classdef):
            for statement in current.body:
                if isinstance(statement, nodes.FunctionDef) and statement.name.startswith("resolve_"):
                    resolvers.add(statement.name)
        for field_name, node in self.exposed_relations(object_type):
            if f"resolve_{field_name}" in resolvers:
                continue
            before = len(row_frame.events)
            value = row_frame.attribute(row, field_name, node)
            if isinstance(value, RelatedManager):
                row_frame.related_manager_method(value, "all", [], {}, _call_at(node))
            keep(row_frame.events[before:], field_name, node, False)
        for name in sorted(resolvers):
            method = row_frame.class_method(classdef, name)
            if method is None:
                continue
            parameters = [argument.name for argument in method.args.args or []]
            if not parameters:
                continue
            bindings: dict[str, Value] = {parameters[0]: row}
            try:
                frame = run_method(self.flow, method, bindings, loops=(loop,))
            except RecursionError:
                continue
            keep(frame.events, name.removeprefix("resolve_"), None, True)
        return found

    def exposed_relations(self, object_type: ObjectType) -> list[tuple[str, nodes.NodeNG]]:
        """Relations the type's default resolvers read: forward ones to a model with a type (graphene-django
        skips the others), and reverse or many-to-many ones ``Meta.fields`` names."""
        info = self.flow.graph.get(object_type.model)
        meta = class_member(object_type.classdef, "Meta")
        if info is None or not isinstance(meta, nodes.ClassDef):
            return []
        fields_node = class_member(meta, "fields")
        exclude_node = class_member(meta, "exclude")
        listed = _strings(fields_node)
        excluded = set(_strings(exclude_node) or [])
        typed_models = {known.model for known in self.types.values()}
        node = fields_node or exclude_node or object_type.classdef
        found: list[tuple[str, nodes.NodeNG]] = []
        for name, relation in info.fields.items():
            if name in excluded or relation.target not in typed_models:
                continue
            named = listed is not None and name in listed
            if relation.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE):
                if listed is None or named:
                    found.append((name, node))
            elif relation.is_manager and named:
                found.append((name, node))
        return found


def _call_at(node: nodes.NodeNG) -> nodes.Call:
    """A call with no arguments at ``node``: graphene-django's default resolver calls ``.all()`` on a manager."""
    call = nodes.Call(
        lineno=node.lineno,
        col_offset=node.col_offset,
        parent=node.parent,
        end_lineno=node.end_lineno,
        end_col_offset=node.end_col_offset,
    )
    call.postinit(func=node, args=[], keywords=[])
    return call


def _strings(node: nodes.NodeNG | None) -> list[str] | None:
    """``("a", "b")`` -> ["a", "b"]; None for ``"__all__"``, a missing option or what is not a literal list."""
    if isinstance(node, nodes.List | nodes.Tuple):
        return [str(item.value) for item in node.elts if isinstance(item, nodes.Const) and isinstance(item.value, str)]
    return None


def graphql_list_fields(flow: FlowProject, module: nodes.Module) -> bool:
    """Whether a module declares a list field (``graphene.List(...)``, ``DjangoListField(...)``) on a class: a
    cheap, generous test of whether it feeds the GraphQL results."""
    del flow  # the test reads the module alone
    return any(
        isinstance(statement, nodes.Assign)
        and isinstance(statement.value, nodes.Call)
        and (
            _callee_name(statement.value) in LIST_FIELDS | DJANGO_LIST_FIELDS
            or _callee_name(statement.value) == "Field"
        )
        for classdef in nodes_of(module, nodes.ClassDef)
        for statement in classdef.body
    )


def project_graphql_reads(project: ProjectContext) -> list[GraphQLRead]:
    """Every relation read once per row of a graphene-django list field in the project."""

    def compute() -> list[GraphQLRead]:
        schema = _Schema(flow_for(project))
        schema.collect_types()
        if not schema.types:
            return []
        reads: list[GraphQLRead] = []
        for source in project.files:
            module = project.modules.get(source.modname)
            if module is None or module.file != str(source.path):
                continue
            before = len(reads)
            for classdef in nodes_of(module, nodes.ClassDef):
                try:
                    for name, node, object_type, listed in schema.list_fields(classdef):
                        queryset = schema.rows(classdef, name, node, object_type, listed)
                        if queryset is not None:
                            listed_by = f"{module.name}.{classdef.name}.{name}"
                            reads += schema.reads(object_type, queryset, node, listed_by)
                except RecursionError:
                    logger.error(
                        "[%(path)s:%(view)s] %(message)s",
                        {"path": source.display_path, "view": classdef.name, "message": "too deep"},
                    )
            if len(reads) > before:
                contributors(project).add(source.modname)
        return reads

    return project.shared("integrations.graphql_reads", compute)
