"""Instances and their attributes: model fields and relations read from an instance (per-row loads, deferred
fields, related ids), properties, methods and attributes of project classes, writes on instances in loops."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from analyzer.flow.core import MAX_CALL_DEPTH, FrameBase, decorator_names, is_staticmethod
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.names import class_member
from analyzer.flow.support import expression_text, loop_line, loops_of, short_text
from analyzer.flow.values import (
    UNKNOWN,
    BoundMethod,
    Builtin,
    Collection,
    DictOf,
    Instance,
    ModelClass,
    ModuleRef,
    ObjectOf,
    Origin,
    QuerySet,
    RelatedManager,
    Tainted,
    Value,
)
from analyzer.modelgraph import FieldInfo, FieldKind
from analyzer.queryset import QuerySetState


def _reads_key_only(node: nodes.NodeNG) -> bool:
    """``node`` (``obj.author``) is only read for its primary key: ``obj.author.id`` or ``obj.author.pk``."""
    parent = node.parent
    return (
        isinstance(node, nodes.Attribute)
        and isinstance(parent, nodes.Attribute)
        and parent.expr is node
        and parent.attrname in ("id", "pk")
    )


class InstanceAttributes(FrameBase):
    """Reads and writes attributes of instances and objects."""

    def attribute(self, base: Value, name: str, node: nodes.NodeNG) -> Value:
        if isinstance(base, Instance):
            return self.instance_attribute(base, name, node)
        if isinstance(base, ModelClass):
            return self.model_class_attribute(base, name, node)
        if isinstance(base, (QuerySet, RelatedManager, Collection, DictOf, Builtin)):
            return BoundMethod(base, name, node)
        if isinstance(base, ObjectOf):
            return self.object_attribute(base, name, node)
        if isinstance(base, ModuleRef):
            return self.flow.qualname_value(self.flow.resolver.canonical(f"{base.modname}.{name}"))
        if isinstance(base, Tainted):
            return base
        return UNKNOWN

    def model_class_attribute(self, base: ModelClass, name: str, node: nodes.NodeNG) -> Value:
        info = self.graph.get(base.model)
        managers = info.managers if info is not None else ("objects",)
        if name in managers or name in ("objects", "_default_manager", "_base_manager"):
            classes = info.manager_classes.get(name, ()) if info is not None else ()
            manager = QuerySet(
                model=base.model,
                state=QuerySetState(base.model),
                origin=Origin(self.path, node.lineno or 0, short_text(node), node),
                is_manager=True,
                manager_classes=classes,
            )
            return self.custom_get_queryset(manager, node)
        if info is not None and name in info.methods:
            return BoundMethod(base, name, node)
        return UNKNOWN

    def find_method(self, classes: tuple[str, ...], name: str) -> nodes.FunctionDef | None:
        for qualname in classes:
            definition = self.flow.resolver.definition(qualname)
            if isinstance(definition, nodes.ClassDef):
                member = class_member(definition, name)
                if isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                    return member
        return None

    def object_attribute(self, base: ObjectOf, name: str, node: nodes.NodeNG) -> Value:
        definition = self.flow.resolver.definition(base.qualname)
        if not isinstance(definition, nodes.ClassDef):
            return UNKNOWN
        for classdef in self.class_chain(definition):
            member = class_member(classdef, name)
            if member is None:
                continue
            if isinstance(member, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                if decorator_names(member) & {"property", "cached_property"}:
                    return self.invoke(member, {}, (), {}, node, "function", self_value=base)
                return BoundMethod(base, name, node)
            if isinstance(member, nodes.ClassDef):
                return UNKNOWN
            key = (classdef.root().name, f"{classdef.name}.{name}")
            if key not in self.flow.globals:
                self.flow.globals[key] = UNKNOWN
                frame = self.flow.frame_type(
                    self.flow, classdef.root(), classdef.root().name, {}, (), MAX_CALL_DEPTH, ()
                )
                self.flow.globals[key] = frame.eval(member)
            return self.flow.globals[key]
        return self.stored_attribute(base, definition, name)

    def stored_attribute(self, base: ObjectOf, definition: nodes.ClassDef, name: str) -> Value:
        """What the class's own methods store in ``self.<name>``: each method that assigns it is run once (with
        unknown arguments) and the rows it stores are kept; anything else stays unknown."""
        for classdef in self.class_chain(definition):
            for method in self.flow.self_assigners(classdef).get(name, ()):
                run_key = (base.qualname, method)
                if method in self.stack or run_key in self.flow.stored_runs:
                    continue
                self.flow.stored_runs.add(run_key)
                bindings = self.flow.default_bindings(method, classdef.root().name)
                arguments = method.args.arguments or []
                if arguments and not is_staticmethod(method):
                    bindings[arguments[0].name] = base
                frame = self.flow.frame_type(
                    self.flow, method, classdef.root().name, bindings, (), MAX_CALL_DEPTH - 1, (method,)
                )
                try:
                    frame.run_function()
                except RecursionError:
                    continue
        return self.flow.stored.get((base.qualname, name), UNKNOWN)

    def class_chain(self, classdef: nodes.ClassDef) -> Iterator[nodes.ClassDef]:
        return iter(self.flow.class_chain(classdef))

    def is_per_row(self, instance: Instance) -> bool:
        row = instance.row
        return row is not None and row.loop is not None and row.loop in self.loops and not row.state.values_mode

    def instance_attribute(self, instance: Instance, name: str, node: nodes.NodeNG) -> Value:
        info = self.graph.get(instance.model)
        per_row = self.is_per_row(instance)
        loops = loops_of(instance)
        plain: Value = Tainted(loops) if loops else UNKNOWN
        if info is None:
            return plain
        if name in ("pk", "id"):
            return plain
        relation = info.fields.get(name)
        if relation is None:
            return self.instance_other_attribute(instance, name, node, plain)
        row = instance.row
        path = f"{instance.prefix}__{name}" if instance.prefix else name
        if relation.kind is FieldKind.FIELD:
            if per_row and row is not None and not instance.prefix and row.state.is_deferred(name):
                how = "defer" if name in row.state.deferred_fields else "only"
                self.per_row_load(EventKind.DEFERRED_FIELD, node, instance, relation, path, method=how)
            return plain
        if relation.is_manager:
            return RelatedManager(instance, relation, path, expression_text(node))
        if relation.kind is FieldKind.GENERIC_FOREIGN_KEY:
            if per_row and row is not None and not row.state.is_eager(path):
                self.per_row_load(EventKind.GENERIC_RELATION, node, instance, relation, path)
            return plain
        if relation.target is None:
            return plain
        if relation.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE) and _reads_key_only(node):
            # obj.author.id: ORM407 (use obj.author_id) rather than ORM101; the key needs no query at all.
            if row is None or not row.state.is_eager(path):
                self.related_id(node, instance, relation)
            return plain
        if row is None:
            return Instance(relation.target, born_in=instance.born_in)
        if per_row and not row.state.is_eager(path):
            self.per_row_load(EventKind.RELATED_ACCESS, node, instance, relation, path)
        return Instance(relation.target, row=row, prefix=path, born_in=instance.born_in)

    def related_id(self, node: nodes.NodeNG, instance: Instance, relation: FieldInfo) -> None:
        key = node.parent
        row = instance.row
        per_row = row is not None and self.is_per_row(instance)
        self.events.append(
            FlowEvent(
                kind=EventKind.RELATED_ID,
                node=key,
                path=self.path,
                line=key.lineno or 0,
                text=expression_text(key),
                loop=row.loop if row is not None and per_row else None,
                loop_line=loop_line(row.loop) if row is not None and per_row else None,
                model=relation.model,
                field=relation.name,
                target=relation.target,
                origin=row.origin if row is not None else None,
                method=key.attrname,
                detail=expression_text(node.expr) if isinstance(node, nodes.Attribute) else "",
            )
        )

    def instance_other_attribute(self, instance: Instance, name: str, node: nodes.NodeNG, plain: Value) -> Value:
        info = self.graph.get(instance.model)
        if info is None:
            return plain
        if name.endswith("_id") and name[:-3] in info.fields:
            return plain
        row = instance.row
        if row is not None:
            path = f"{instance.prefix}__{name}" if instance.prefix else name
            relation_path = row.state.to_attr_path(path)
            if relation_path is not None:
                resolved = self.graph.resolve_path(row.state.model, relation_path)
                if resolved and resolved[-1].target:
                    return Collection(Instance(resolved[-1].target, row=row, prefix=path, born_in=instance.born_in))
                return plain
        qualname = info.properties.get(name)
        if qualname is not None:
            function = self.flow.resolver.definition(qualname)
            if isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                return self.invoke(function, {}, (), {}, node, "property", self_value=instance)
            return plain
        if name in info.methods or name in ("save", "delete", "refresh_from_db"):
            return BoundMethod(instance, name, node)
        return plain

    def instance_method(
        self, instance: Instance, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        in_loop = bool(loops_of(instance) & set(self.loops))
        if name == "save":
            if in_loop:
                kind = EventKind.CREATE_IN_LOOP if instance.new else EventKind.SAVE_IN_LOOP
                self.instance_write(kind, instance, node)
            return UNKNOWN
        if name == "delete":
            if in_loop and not instance.new:
                self.instance_write(EventKind.DELETE_IN_LOOP, instance, node)
            return UNKNOWN
        if name == "refresh_from_db":
            return UNKNOWN
        info = self.graph.get(instance.model)
        qualname = info.methods.get(name) if info is not None else None
        function = self.flow.resolver.definition(qualname) if qualname else None
        if isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            return self.invoke(function, {}, arguments, keywords, node, "method", self_value=instance)
        return UNKNOWN

    def instance_write(self, kind: EventKind, instance: Instance, node: nodes.Call) -> None:
        receiver = node.func.expr if isinstance(node.func, nodes.Attribute) else node.func
        model = self.graph.get(instance.model)
        self.loop_event(
            kind,
            node,
            loops_of(instance),
            text=expression_text(receiver),
            model=instance.model,
            target=model.name if model else instance.model,
            origin=instance.row.origin if instance.row is not None else None,
            detail=",".join(self.assigned_fields(receiver)),
        )

    def assigned_fields(self, receiver: nodes.NodeNG) -> list[str]:
        """Fields assigned on the saved object inside the innermost loop: what bulk_update() must list."""
        if not isinstance(receiver, nodes.Name) or not self.loops:
            return []
        names: list[str] = []
        for assign in self.loops[-1].nodes_of_class(nodes.AssignAttr):
            same_object = isinstance(assign.expr, nodes.Name) and assign.expr.name == receiver.name
            if same_object and assign.attrname not in names:
                names.append(assign.attrname)
        return names
