"""django-tables2 tables, read statically: the rows a table view lists, and what each column reads per row.

A ``Table`` subclass (through the project's own base tables) declares columns as class attributes
(``Column``, ``LinkColumn``, ``TemplateColumn``, ... with ``accessor="a__b"``, ``accessor=A("a.b")``,
``template_name=`` or ``template_code=``), lists model fields in ``Meta.fields`` and may define
``render_<column>(self, value, record)``. A view with ``table_class`` (``SingleTableView``, ``SingleTableMixin``)
lists the rows of its queryset (``get_queryset()``, ``queryset`` or ``model``), each rendered by every column: the
accessor is walked on the row (a relation on the way is loaded per row), a column template is rendered with
``record`` bound to the row, and ``render_*`` methods run with ``record`` and ``value``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from astroid import nodes

from analyzer.context import ProjectContext, call_keyword, nodes_of
from analyzer.flow.evaluator import FlowProject, flow_for
from analyzer.flow.events import FlowEvent
from analyzer.flow.names import class_member, last_name
from analyzer.flow.values import UNKNOWN, ClassRef, Instance, ObjectOf, QuerySet, RowRef, Value
from analyzer.integrations.frames import DjangoFrame, call_as_engine, run_method
from analyzer.integrations.render_values import contributors
from analyzer.integrations.template_files import TemplateLoader, template_index, tokenize
from analyzer.integrations.templates import (
    RELATION_EVENTS,
    TEMPLATE_MODULE_PREFIX,
    TemplateRead,
    Translation,
    run_template,
    translate,
)
from analyzer.integrations.views import class_queryset

logger = logging.getLogger(__name__)

TABLE_VIEWS = frozenset({"SingleTableView", "SingleTableMixin"})
_TEMPLATE_COLUMNS = frozenset({"TemplateColumn"})


@dataclass(frozen=True)
class ColumnRead:
    """A relation read once per row of a table: the event, the table column that reads it and where."""

    event: FlowEvent
    table: str
    column: str
    node: nodes.NodeNG  # the column's declaration, a line of its render method, or its template's line
    path: str  # display path of the file the read is reported in
    line: int
    col: int
    view: str
    view_path: str  # display path of the view's file, which reports the finding
    origin_path: str
    origin_line: int
    origin_text: str
    in_code: bool  # read by a render method or template (its own text) rather than by the accessor


def _accessor(node: nodes.NodeNG | None) -> str | None:
    """``"a__b"``, ``A("a.b")`` or ``Accessor("a__b")`` -> "a.b"."""
    if isinstance(node, nodes.Call) and node.args:
        node = node.args[0]
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value.replace("__", ".")
    return None


def _callee(node: nodes.NodeNG) -> str:
    func = node.func if isinstance(node, nodes.Call) else None
    if isinstance(func, nodes.Name):
        return str(func.name)
    if isinstance(func, nodes.Attribute):
        return str(func.attrname)
    return ""


class _TableReader:
    def __init__(self, flow: FlowProject, project: ProjectContext) -> None:
        self.flow = flow
        self.loader = TemplateLoader(template_index(project))
        self.translations: dict[object, Translation] = {}
        self.count = 0

    def is_table(self, frame: DjangoFrame, classdef: nodes.ClassDef) -> bool:
        return any(
            name.startswith("django_tables2") and last_name(name) == "Table" for name in frame.base_qualnames(classdef)
        )

    def columns(self, frame: DjangoFrame, table: nodes.ClassDef) -> dict[str, nodes.Call]:
        """Declared columns, through the project's base tables (nearest wins)."""
        found: dict[str, nodes.Call] = {}
        for current in frame.class_chain(table):
            for statement in current.body:
                if not isinstance(statement, nodes.Assign) or not isinstance(statement.value, nodes.Call):
                    continue
                if not _callee(statement.value).endswith("Column"):
                    continue
                for target in statement.targets:
                    if isinstance(target, nodes.AssignName):
                        found.setdefault(target.name, statement.value)
        return found

    def meta_fields(self, frame: DjangoFrame, table: nodes.ClassDef) -> list[tuple[str, nodes.NodeNG]]:
        for current in frame.class_chain(table):
            meta = class_member(current, "Meta")
            fields = class_member(meta, "fields") if isinstance(meta, nodes.ClassDef) else None
            if isinstance(fields, nodes.List | nodes.Tuple):
                return [
                    (str(item.value), item)
                    for item in fields.elts
                    if isinstance(item, nodes.Const) and isinstance(item.value, str)
                ]
        return []

    def reads(self, view: nodes.ClassDef, table: nodes.ClassDef, queryset: QuerySet) -> list[ColumnRead]:
        view_name = f"{view.root().name}.{view.name}"
        frame = DjangoFrame(self.flow, table.root(), table.root().name, {}, (view,), 0, ())
        row = Instance(
            queryset.model, row=RowRef(queryset.state, queryset.origin, view), prefix=queryset.prefix, born_in=view
        )
        origin = queryset.origin
        found: list[ColumnRead] = []

        def keep(event: FlowEvent, column: str, node: nodes.NodeNG, at: tuple[str, int, int], in_code: bool) -> None:
            if event.kind in RELATION_EVENTS and event.loop is view and event.origin is not None:
                found.append(
                    ColumnRead(
                        event,
                        table.name,
                        column,
                        node,
                        *at,
                        view_name,
                        self.flow.path_of(view),
                        origin.path,
                        origin.line,
                        origin.text,
                        in_code,
                    )
                )

        columns = self.columns(frame, table)
        names = [*columns, *(name for name, _ in self.meta_fields(frame, table) if name not in columns)]
        nodes_by_name = {name: node for name, node in self.meta_fields(frame, table)}
        for name in names:
            call = columns.get(name)
            node: nodes.NodeNG = call if call is not None else nodes_by_name[name]
            accessor = _accessor(call_keyword(call, "accessor")) if call is not None else None
            method = frame.class_method(table, f"render_{name}")
            is_template = call is not None and _callee(call) in _TEMPLATE_COLUMNS
            value: Value = UNKNOWN
            if not is_template or accessor is not None:
                before = len(frame.events)
                value = self.walk(frame, row, accessor or name, node)
                at = (self.flow.path_of(node), node.lineno or 0, (node.col_offset or 0) + 1)
                for event in frame.events[before:]:
                    keep(event, name, node, at, False)
            if method is not None:
                bindings: dict[str, Value] = {"record": row, "value": value}
                parameters = [argument.name for argument in method.args.args or []]
                if parameters:
                    bindings[parameters[0]] = ObjectOf(f"{table.root().name}.{table.name}")
                try:
                    method_frame = run_method(self.flow, method, bindings, loops=(view,))
                except RecursionError:
                    continue
                for event in method_frame.events:
                    at = (self.flow.path_of(event.node), event.node.lineno or 0, (event.node.col_offset or 0) + 1)
                    keep(event, name, event.node, at, True)
            elif is_template and call is not None:
                for read in self.template_reads(call, row, value, view):
                    location = read.location
                    keep(read.event, name, read.event.node, (location.path, location.line, location.column), True)
        return found

    def walk(self, frame: DjangoFrame, row: Value, accessor: str, node: nodes.NodeNG) -> Value:
        value = row
        for step in accessor.split("."):
            if not step:
                return UNKNOWN
            # Like the template engine, tables2's Accessor calls what it finds callable (``orders__count``).
            value = call_as_engine(frame, frame.attribute(value, step, node), node)
        return value

    def template_reads(self, call: nodes.Call, row: Value, value: Value, view: nodes.ClassDef) -> list[TemplateRead]:
        translation: Translation | None = None
        path: Path | None = None
        name_node = call_keyword(call, "template_name")
        code_node = call_keyword(call, "template_code")
        if isinstance(name_node, nodes.Const) and isinstance(name_node.value, str):
            template = self.loader.index.find(name_node.value)
            if template is None:
                return []
            path = template.path
            if template.path not in self.translations:
                self.translations[template.path] = translate(self.loader, self.loader.tokens_of(template))
            translation = self.translations[template.path]
        elif isinstance(code_node, nodes.Const) and isinstance(code_node.value, str):
            display = self.flow.path_of(code_node)
            path = Path(code_node.root().file or display)
            if id(code_node) not in self.translations:
                tokens = tokenize(
                    code_node.value,
                    "<inline template>",
                    display,
                    line_offset=(code_node.lineno or 1) - 1,
                    column_offset=(code_node.col_offset or 0) + 1,
                )
                self.translations[id(code_node)] = translate(self.loader, tokens)
            translation = self.translations[id(code_node)]
        if translation is None or path is None:
            return []
        self.count += 1
        context = {"record": row, "value": value}
        return run_template(
            self.flow, translation, context, path, f"{TEMPLATE_MODULE_PREFIX}table{self.count}__", loops=(view,)
        )


def _table_class(frame: DjangoFrame, view: nodes.ClassDef) -> nodes.ClassDef | None:
    found = frame.class_attribute(view, "table_class")
    if found is None or not isinstance(found[0], ClassRef):
        return None
    definition = frame.flow.resolver.definition(found[0].qualname)
    return definition if isinstance(definition, nodes.ClassDef) else None


def table_views(flow: FlowProject, module: nodes.Module) -> bool:
    """Whether a module defines a django-tables2 table view (``SingleTableView``, ``SingleTableMixin``)."""
    frame = DjangoFrame(flow, module, module.name, {}, (), 0, ())
    return any(
        {last_name(name) for name in frame.base_qualnames(view) if name.startswith("django_tables2")} & TABLE_VIEWS
        for view in nodes_of(module, nodes.ClassDef)
        if view.bases
    )


def project_table_reads(project: ProjectContext) -> list[ColumnRead]:
    """Every relation a django-tables2 column reads once per row of a table view's queryset."""

    def compute() -> list[ColumnRead]:
        flow = flow_for(project)
        reader = _TableReader(flow, project)
        reads: list[ColumnRead] = []
        for source in project.files:
            module = project.modules.get(source.modname)
            if module is None or module.file != str(source.path):
                continue
            before = len(reads)
            for view in nodes_of(module, nodes.ClassDef):
                if not view.bases:
                    continue
                frame = DjangoFrame(flow, module, module.name, {}, (), 0, ())
                bases = {last_name(name) for name in frame.base_qualnames(view) if name.startswith("django_tables2")}
                if not bases & TABLE_VIEWS:
                    continue
                try:
                    table = _table_class(frame, view)
                    if table is None or not reader.is_table(frame, table):
                        continue
                    queryset = class_queryset(flow, frame, view, ObjectOf(f"{module.name}.{view.name}"))
                    if queryset is not None:
                        reads += reader.reads(view, table, replace(queryset, is_manager=False))
                except RecursionError:
                    logger.error(
                        "[%(path)s:%(view)s] %(message)s",
                        {"path": source.display_path, "view": view.name, "message": "too deep"},
                    )
            if len(reads) > before:
                contributors(project).add(source.modname)
        return reads

    return project.shared("integrations.table_reads", compute)
