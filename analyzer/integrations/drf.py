"""Django REST framework: which relations a serializer reads on each row of a list view's queryset.

List views (``ModelViewSet``, ``ReadOnlyModelViewSet``, ``ListAPIView``, ``ListModelMixin`` and friends, bases
resolved through imports) serialize every row of ``queryset`` / ``get_queryset()`` with ``serializer_class`` /
``get_serializer_class()``. Each row is a per-row instance for the flow, and the serializer's fields read it the way
DRF does: ``source="a.b"`` chains, nested serializers (``many=True`` iterates ``.all()``), ``SerializerMethodField``
methods run with the row, ``StringRelatedField`` (the related ``__str__``), primary-key and hyperlinked related
fields (free for a foreign key, a query per row for a to-many relation), ``Meta.fields``/``"__all__"`` defaults
and ``Meta.depth``. Retrieve-only views serialize one object and are not checked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from astroid import nodes

from analyzer.context import ProjectContext, call_keyword, nodes_of
from analyzer.flow.evaluator import FlowProject, flow_for
from analyzer.flow.events import FlowEvent
from analyzer.flow.names import last_name
from analyzer.flow.values import UNKNOWN, ClassRef, Instance, ObjectOf, QuerySet, RelatedManager, RowRef, Value
from analyzer.integrations.frames import DjangoFrame, call_as_engine, run_method
from analyzer.integrations.render_values import contributors
from analyzer.integrations.templates import RELATION_EVENTS
from analyzer.integrations.views import class_queryset
from analyzer.modelgraph import FieldKind

logger = logging.getLogger(__name__)

MAX_NESTING = 4
_LIST_VIEWS = frozenset({"ModelViewSet", "ReadOnlyModelViewSet", "ListModelMixin", "ListAPIView", "ListCreateAPIView"})
_SERIALIZERS = frozenset({"Serializer", "ModelSerializer", "HyperlinkedModelSerializer", "BaseSerializer"})
_FREE_FOR_FOREIGN_KEY = frozenset({"PrimaryKeyRelatedField", "HyperlinkedRelatedField", "HyperlinkedIdentityField"})
_RELATED_FIELDS = _FREE_FOR_FOREIGN_KEY | frozenset({"SlugRelatedField", "RelatedField", "StringRelatedField"})
_DEFAULT_FIELDS = frozenset({FieldKind.FIELD, FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE, FieldKind.MANY_TO_MANY})


@dataclass(frozen=True)
class SerializerRead:
    """A relation read per row by one serializer field of a list view."""

    event: FlowEvent
    serializer: str  # "BookSerializer"
    field_name: str
    view: str  # "catalog.api.views.BookViewSet"
    origin_path: str
    origin_line: int
    origin_text: str
    in_method: bool  # read by a SerializerMethodField's code (reported where the code reads it)
    node: nodes.NodeNG = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class DeclaredField:
    name: str
    node: nodes.NodeNG  # where a read is reported: the field's call, or the name in Meta.fields
    kind: str  # "method", "nested", "string", "related", "plain"
    type_name: str
    source: str | None
    many: bool = False
    nested: nodes.ClassDef | None = field(default=None, compare=False, hash=False)
    call: nodes.Call | None = field(default=None, compare=False, hash=False)


def _true(node: nodes.NodeNG | None) -> bool:
    return isinstance(node, nodes.Const) and node.value is True


class SerializerReader:
    """Runs serializers over per-row instances in one frame whose loop is the list view."""

    def __init__(self, flow: FlowProject, frame: DjangoFrame) -> None:
        self.flow = flow
        self.frame = frame
        self.reads: list[tuple[FlowEvent, str, str, nodes.NodeNG, bool]] = []
        self.recorded: set[int] = set()

    def kind_of(self, classdef: nodes.ClassDef) -> set[str]:
        return {last_name(name) for name in self.frame.base_qualnames(classdef) if name.startswith("rest_framework")}

    def is_serializer(self, classdef: nodes.ClassDef) -> bool:
        return bool(self.kind_of(classdef) & _SERIALIZERS)

    def string_list(self, node: nodes.NodeNG | None, modname: str, depth: int = 0) -> list[tuple[str, nodes.NodeNG]]:
        """String items of a list/tuple display, through ``*NAME``, ``NAME`` and ``+``."""
        if node is None or depth > 4:
            return []
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            return [(node.value, node)]
        if isinstance(node, (nodes.List, nodes.Tuple)):
            items: list[tuple[str, nodes.NodeNG]] = []
            for element in node.elts:
                items += self.string_list(
                    element.value if isinstance(element, nodes.Starred) else element, modname, depth + 1
                )
            return items
        if isinstance(node, nodes.BinOp) and node.op == "+":
            return self.string_list(node.left, modname, depth + 1) + self.string_list(node.right, modname, depth + 1)
        if isinstance(node, nodes.Name):
            qualname = self.flow.resolver.resolve_name(modname, node.name)
            definition = self.flow.resolver.definition(qualname) if qualname else None
            return self.string_list(definition, definition.root().name if definition else modname, depth + 1)
        return []

    def meta(self, classdef: nodes.ClassDef) -> nodes.ClassDef | None:
        for current in self.frame.class_chain(classdef):
            for statement in current.body:
                if isinstance(statement, nodes.ClassDef) and statement.name == "Meta":
                    return statement
        return None

    def meta_value(self, meta: nodes.ClassDef | None, name: str) -> nodes.NodeNG | None:
        if meta is None:
            return None
        for statement in meta.body:
            if isinstance(statement, nodes.Assign) and any(
                isinstance(target, nodes.AssignName) and target.name == name for target in statement.targets
            ):
                return statement.value
        return None

    def declared_fields(self, classdef: nodes.ClassDef) -> dict[str, DeclaredField]:
        declared: dict[str, DeclaredField] = {}
        for current in reversed(list(self.frame.class_chain(classdef))):
            for statement in current.body:
                if not isinstance(statement, nodes.Assign) or not isinstance(statement.value, nodes.Call):
                    continue
                for target in statement.targets:
                    if isinstance(target, nodes.AssignName):
                        found = self.declared_field(target.name, statement.value)
                        if found is not None:
                            declared[target.name] = found
        return declared

    def declared_field(self, name: str, call: nodes.Call) -> DeclaredField | None:
        modname = call.root().name
        qualname = self.flow.resolver.resolve_expr(modname, call.func)
        if qualname is None:
            return None
        source_node = call_keyword(call, "source")
        source = (
            source_node.value if isinstance(source_node, nodes.Const) and isinstance(source_node.value, str) else None
        )
        many = _true(call_keyword(call, "many"))
        definition = self.flow.resolver.definition(qualname)
        if isinstance(definition, nodes.ClassDef) and self.is_serializer(definition):
            return DeclaredField(name, call, "nested", definition.name, source, many, definition, call)
        if not qualname.startswith("rest_framework"):
            return None
        type_name = last_name(qualname)
        if type_name == "SerializerMethodField":
            method_node = call_keyword(call, "method_name") or (call.args[0] if call.args else None)
            method = method_node.value if isinstance(method_node, nodes.Const) else f"get_{name}"
            return DeclaredField(name, call, "method", type_name, str(method), call=call)
        if type_name in ("StringRelatedField",):
            return DeclaredField(name, call, "string", type_name, source, many, call=call)
        if type_name in _RELATED_FIELDS:
            return DeclaredField(name, call, "related", type_name, source, many, call=call)
        if type_name in ("SerializerMethodField", "HiddenField") or source == "*":
            return None
        return DeclaredField(name, call, "plain", type_name, source, call=call)

    # -- reading ---------------------------------------------------------------------------------------------
    def serialize(self, classdef: nodes.ClassDef, row: Value, nesting: int = 0) -> None:
        if nesting > MAX_NESTING:
            return
        declared = self.declared_fields(classdef)
        meta = self.meta(classdef)
        model = row.model if isinstance(row, Instance) else None
        depth_node = self.meta_value(meta, "depth")
        depth = depth_node.value if isinstance(depth_node, nodes.Const) and isinstance(depth_node.value, int) else 0
        for declared_field in declared.values():
            self.read_declared(classdef, declared_field, row, nesting)
        if model is None or meta is None:
            return
        for name, node in self.implicit_fields(meta, model):
            if name not in declared:
                self.read_implicit(classdef, name, node, row, depth, nesting)

    def implicit_fields(self, meta: nodes.ClassDef, model: str) -> list[tuple[str, nodes.NodeNG]]:
        fields_node = self.meta_value(meta, "fields")
        modname = meta.root().name
        info = self.flow.graph.get(model)
        if (isinstance(fields_node, nodes.Const) and fields_node.value == "__all__") or fields_node is None:
            if info is None or (fields_node is None and self.meta_value(meta, "exclude") is None):
                return []
            excluded = {name for name, _ in self.string_list(self.meta_value(meta, "exclude"), modname)}
            anchor = fields_node or self.meta_value(meta, "exclude") or meta
            return [
                (name, anchor)
                for name, relation in info.fields.items()
                if relation.kind in _DEFAULT_FIELDS and name not in excluded
            ]
        listed = self.string_list(fields_node, modname)
        # A name listed through a constant defined elsewhere is reported at this serializer's ``fields`` line.
        return [(name, node if node.frame() is meta else fields_node) for name, node in listed]

    def record(self, before: int, serializer: nodes.ClassDef, name: str, node: nodes.NodeNG) -> None:
        # Events of a nested serializer's own fields were recorded at those fields already.
        for event in self.frame.events[before:]:
            if event.kind in RELATION_EVENTS and id(event) not in self.recorded:
                self.recorded.add(id(event))
                self.reads.append((event, serializer.name, name, node, False))

    def walk(self, row: Value, source: str, node: nodes.NodeNG) -> Value:
        value = row
        for step in source.split("."):
            value = call_as_engine(self.frame, self.frame.attribute(value, step, node), node)
        return value

    def rows_of(self, value: Value, node: nodes.NodeNG) -> Value:
        """DRF calls ``.all()`` on a related manager and iterates it; the rows are per-row of a new loop."""
        if isinstance(value, RelatedManager):
            value = self.frame.related_manager_method(value, "all", [], {}, _call_node(node))
        if isinstance(value, QuerySet):
            self.frame.loops = (*self.frame.loops, node)
            return self.frame.iterate(value, node, node)
        return UNKNOWN

    def read_declared(self, serializer: nodes.ClassDef, declared: DeclaredField, row: Value, nesting: int) -> None:
        before = len(self.frame.events)
        loops = self.frame.loops
        try:
            if declared.kind == "method":
                self.read_method(serializer, declared, row)
                return
            if declared.type_name == "HyperlinkedIdentityField":
                return  # the row itself: its primary key
            source = declared.source or declared.name
            if declared.kind == "related" and declared.type_name in _FREE_FOR_FOREIGN_KEY and not declared.many:
                head, _, last = source.rpartition(".")
                owner = self.walk(row, head, declared.node) if head else row
                self.walk_related(owner, last, declared.node, free=True)
                return
            value = self.walk(row, source, declared.node)
            if declared.kind == "nested" and declared.nested is not None:
                nested_row = self.rows_of(value, declared.node) if declared.many else value
                self.serialize(declared.nested, nested_row, nesting + 1)
            elif declared.kind == "string":
                rows = self.rows_of(value, declared.node) if declared.many else value
                self.frame.stringify(rows, declared.node, "__str__")
            elif declared.kind == "related" and (declared.many or isinstance(value, RelatedManager)):
                self.rows_of(value, declared.node)
        finally:
            self.frame.loops = loops
            self.record(before, serializer, declared.name, declared.node)

    def walk_related(self, row: Value, name: str, node: nodes.NodeNG, free: bool) -> Value:
        """A related field read the DRF way: a foreign key's primary key is free (``author_id``)."""
        if free and isinstance(row, Instance):
            relation = self.flow.graph.field(row.model, name)
            if relation is not None and relation.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE):
                return UNKNOWN
        return self.walk(row, name, node)

    def read_method(self, serializer: nodes.ClassDef, declared: DeclaredField, row: Value) -> None:
        method = self.frame.class_method(serializer, declared.source or f"get_{declared.name}")
        if method is None:
            return
        parameters = [argument.name for argument in method.args.args or []]
        bindings: dict[str, Value] = {}
        if parameters:
            bindings[parameters[0]] = ObjectOf(f"{serializer.root().name}.{serializer.name}")
        if len(parameters) > 1:
            bindings[parameters[1]] = row
        frame = run_method(self.flow, method, bindings, loops=self.frame.loops)
        for event in frame.events:
            if event.kind in RELATION_EVENTS:
                self.reads.append((event, serializer.name, declared.name, event.node, True))

    def read_implicit(
        self, serializer: nodes.ClassDef, name: str, node: nodes.NodeNG, row: Value, depth: int, nesting: int
    ) -> None:
        if not isinstance(row, Instance):
            return
        relation = self.flow.graph.field(row.model, name)
        before = len(self.frame.events)
        loops = self.frame.loops
        try:
            if relation is None or relation.kind is FieldKind.FIELD:
                self.walk(row, name, node)
            elif relation.is_manager:
                rows = self.rows_of(self.walk(row, name, node), node)
                if depth > 0:
                    self.serialize_model(rows, node, depth - 1, nesting + 1)
            elif depth > 0:
                self.serialize_model(self.walk(row, name, node), node, depth - 1, nesting + 1)
            else:
                self.walk_related(row, name, node, free=relation.kind is not FieldKind.REVERSE_ONE_TO_ONE)
        finally:
            self.frame.loops = loops
            self.record(before, serializer, name, node)

    def serialize_model(self, row: Value, node: nodes.NodeNG, depth: int, nesting: int) -> None:
        """``Meta.depth``: a nested ModelSerializer of the related model with all its default fields."""
        if not isinstance(row, Instance) or nesting > MAX_NESTING:
            return
        info = self.flow.graph.get(row.model)
        if info is None:
            return
        for name, relation in info.fields.items():
            if relation.kind not in _DEFAULT_FIELDS:
                continue
            if relation.is_manager:
                rows = self.rows_of(self.walk(row, name, node), node)
                if depth > 0:
                    self.serialize_model(rows, node, depth - 1, nesting + 1)
            elif relation.kind is FieldKind.FIELD:
                self.walk(row, name, node)
            elif depth > 0:
                self.serialize_model(self.walk(row, name, node), node, depth - 1, nesting + 1)


def _call_node(node: nodes.NodeNG) -> nodes.Call:
    call = nodes.Call(
        lineno=node.lineno,
        col_offset=node.col_offset,
        parent=node.parent,
        end_lineno=node.end_lineno,
        end_col_offset=node.end_col_offset,
    )
    call.postinit(func=node, args=[], keywords=[])
    return call


def _serializer_classes(frame: DjangoFrame, viewset: nodes.ClassDef) -> list[nodes.ClassDef]:
    found: list[nodes.ClassDef] = []
    attribute = frame.class_attribute(viewset, "serializer_class")
    values: list[Value] = [attribute[0]] if attribute is not None else []
    method = frame.class_method(viewset, "get_serializer_class")
    if method is not None:
        module_frame = DjangoFrame(frame.flow, method.root(), method.root().name, {}, (), 0, ())
        values += [
            module_frame.eval(returned.value) for returned in method.nodes_of_class(nodes.Return) if returned.value
        ]
    for value in values:
        if isinstance(value, ClassRef):
            definition = frame.flow.resolver.definition(value.qualname)
            if isinstance(definition, nodes.ClassDef) and definition not in found:
                found.append(definition)
    return found


def viewset_reads(flow: FlowProject, viewset: nodes.ClassDef) -> list[SerializerRead]:
    frame = DjangoFrame(flow, viewset.root(), viewset.root().name, {}, (), 0, ())
    bases = {last_name(name) for name in frame.base_qualnames(viewset) if name.startswith("rest_framework")}
    lists = bool(bases & _LIST_VIEWS) or (bool(bases) and frame.class_method(viewset, "list") is not None)
    if not lists:
        return []
    view_name = f"{viewset.root().name}.{viewset.name}"
    queryset = class_queryset(flow, frame, viewset, ObjectOf(view_name))
    if queryset is None:
        return []
    reads: list[SerializerRead] = []
    for serializer in _serializer_classes(frame, viewset):
        row_frame = DjangoFrame(flow, serializer.root(), serializer.root().name, {}, (viewset,), 0, ())
        row = Instance(queryset.model, row=RowRef(queryset.state, queryset.origin, viewset), prefix=queryset.prefix)
        reader = SerializerReader(flow, row_frame)
        reader.serialize(serializer, replace(row, born_in=viewset))
        origin = queryset.origin
        for event, serializer_name, field_name, node, in_method in reader.reads:
            if event.origin is None:
                continue
            reads.append(
                SerializerRead(
                    event,
                    serializer_name,
                    field_name,
                    view_name,
                    origin.path,
                    origin.line,
                    origin.text,
                    in_method,
                    node,
                )
            )
    return reads


def project_serializer_reads(project: ProjectContext) -> list[SerializerRead]:
    def compute() -> list[SerializerRead]:
        flow = flow_for(project)
        reads: list[SerializerRead] = []
        for source in project.files:
            module = project.modules.get(source.modname)
            if module is None or module.file != str(source.path):
                continue
            before = len(reads)
            for classdef in nodes_of(module, nodes.ClassDef):
                if not classdef.bases:
                    continue
                try:
                    reads += viewset_reads(flow, classdef)
                except RecursionError:
                    logger.error(
                        "[%(path)s:%(view)s] %(message)s",
                        {"path": source.display_path, "view": classdef.name, "message": "too deep"},
                    )
            if len(reads) > before:
                contributors(project).add(source.modname)
        return reads

    return project.shared("integrations.serializer_reads", compute)
