"""Applying a file's edits to its source with libcst, in one pass, keeping everything else byte for byte.

Each edit names its target by span; the target is found by libcst's positions (which, like astroid's, leave out
the parentheses around an expression) and changed by the module for its kind. An edit whose span matches no
node of the expected type, or whose module refuses it, is reported and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from analyzer.findings import Edit
from analyzer.fix import targets
from analyzer.fix.admin import set_list_select_related
from analyzer.fix.annotations import add_count_annotation, read_annotation
from analyzer.fix.bulk_writes import (
    LOOP_KINDS,
    WriteSite,
    bulk_create,
    bulk_update,
    find_site,
    names_in,
    queryset_delete,
)
from analyzer.fix.expressions import count_instead_of_len, exists_instead_of_truth
from analyzer.fix.imports import models_reference, with_models_import
from analyzer.fix.prefetches import add_filtered_prefetch, filter_arguments, read_prefetched
from analyzer.fix.querysets import add_eager_loading, add_only_field
from analyzer.fix.refusal import Refused
from analyzer.fix.views import add_view_queryset

Span = tuple[int, int, int, int]
NodeT = TypeVar("NodeT", bound=cst.CSTNode)
BlockT = TypeVar("BlockT", cst.IndentedBlock, cst.Module)
ExpressionEdit = Callable[[cst.BaseExpression, Edit], cst.BaseExpression]

_EXPRESSION_EDITS: dict[str, ExpressionEdit] = {
    targets.SELECT_RELATED: lambda node, edit: add_eager_loading(node, targets.SELECT_RELATED, edit.arguments),
    targets.PREFETCH_RELATED: lambda node, edit: add_eager_loading(node, targets.PREFETCH_RELATED, edit.arguments),
    targets.ONLY: lambda node, edit: add_only_field(node, edit.arguments[0]),
    targets.COUNT: lambda node, edit: count_instead_of_len(node),
    targets.EXISTS: lambda node, edit: exists_instead_of_truth(node),
}
ALREADY_THERE = "the code already has what the fix adds"


# Edits of two places: the queryset, and the per-row read whose span is the edit's last argument. Each names a
# django.db.models class it may have to import.
TWO_PART_KINDS = {targets.ANNOTATE_COUNT: "Count", targets.PREFETCH_FILTERED: "Prefetch"}
KNOWN_KINDS = frozenset(
    {*_EXPRESSION_EDITS, targets.LIST_SELECT_RELATED, targets.VIEW_QUERYSET, *TWO_PART_KINDS, *LOOP_KINDS}
)
NOT_IN_A_LOOP = "the write is not in the body of a for loop"
_READ_SUFFIX = ":read"


def _read_span(edit: Edit) -> Span:
    line, column, end_line, end_column = (int(part) for part in edit.arguments[-1].split(":"))
    return (line, column - 1, end_line, end_column - 1)


@dataclass(frozen=True)
class EditOutcome:
    """What happened to one edit: ``done`` when the file now says what the edit asks (changed here, or by an
    earlier edit of the same run), else ``reason`` says why not."""

    edit: Edit
    done: bool
    reason: str = ""


@dataclass(frozen=True)
class FileOutcome:
    source: str
    fixed: str
    outcomes: tuple[EditOutcome, ...]


def _span(edit: Edit) -> Span:
    # Edits count columns from 1, libcst from 0.
    return (edit.line, edit.column - 1, edit.end_line, edit.end_column - 1)


def _code_span(position: CodeRange) -> Span:
    return (position.start.line, position.start.column, position.end.line, position.end.column)


class _Editor(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        edits: Sequence[Edit],
        names: dict[str, cst.BaseExpression],
        reads: dict[Span, cst.BaseExpression],
        taken: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.taken = taken  # every name the module uses, which a list the write edits start must not be
        self.loop_writes: dict[Span, list[Edit]] = {}
        self.names = names  # how the module names Count and Prefetch
        self.read_nodes = reads  # the per-row reads of two-part edits, as parsed
        self.reads: dict[int, Edit] = {}  # id of a two-part edit -> its read part
        self.by_span: dict[Span, list[Edit]] = {}
        self.by_class: dict[tuple[str, int], list[Edit]] = {}
        self.by_view_model: dict[Span, list[Edit]] = {}
        for edit in edits:
            if edit.kind == targets.LIST_SELECT_RELATED:
                self.by_class.setdefault((edit.arguments[0], edit.line), []).append(edit)
            elif edit.kind == targets.VIEW_QUERYSET:
                self.by_view_model.setdefault(_span(edit), []).append(edit)
            elif edit.kind in LOOP_KINDS:
                self.loop_writes.setdefault(_span(edit), []).append(edit)
            elif edit.kind in TWO_PART_KINDS:
                self.by_span.setdefault(_span(edit), []).append(edit)
                line, column, end_line, end_column = _read_span(edit)
                read = replace(
                    edit,
                    kind=edit.kind + _READ_SUFFIX,
                    line=line,
                    column=column + 1,
                    end_line=end_line,
                    end_column=end_column + 1,
                )
                self.reads[id(edit)] = read
                self.by_span.setdefault(_span(read), []).append(read)
            else:
                self.by_span.setdefault(_span(edit), []).append(edit)
        self.outcomes: dict[int, EditOutcome] = {}

    def _record(self, edit: Edit, done: bool, reason: str = "") -> None:
        self.outcomes[id(edit)] = EditOutcome(edit, done, reason)

    # Every kind of expression can be a target, so the hook for all nodes is used rather than one leave_* each;
    # libcst types it with a type variable a subclass cannot restate.
    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        updated = super().on_leave(original_node, updated_node)
        if not isinstance(original_node, cst.BaseExpression) or not isinstance(updated, cst.BaseExpression):
            return updated
        position = self.get_metadata(PositionProvider, original_node, None)
        if position is None:
            return updated
        for edit in self.by_span.pop(_code_span(position), []):
            make = partial(self._edit_expression, edit=edit)
            updated = self._make(edit, make, original_node, updated)
        return updated

    def _edit_expression(self, node: cst.BaseExpression, edit: Edit) -> cst.BaseExpression:
        arguments = edit.arguments
        if edit.kind == targets.ANNOTATE_COUNT:
            return add_count_annotation(node, arguments[0], arguments[1], self.names["Count"])
        if edit.kind == targets.ANNOTATE_COUNT + _READ_SUFFIX:
            return read_annotation(node, arguments[1])
        if edit.kind == targets.PREFETCH_FILTERED:
            lookup, to_attr, model, method, _ = arguments
            read = self.read_nodes.get(_read_span(edit))
            try:
                filtering = filter_arguments(read, method) if read is not None else None
            except Refused:
                filtering = None  # refused below, unless the queryset already has the Prefetch
            return add_filtered_prefetch(node, lookup, to_attr, model, method, filtering, self.names["Prefetch"])
        if edit.kind == targets.PREFETCH_FILTERED + _READ_SUFFIX:
            return read_prefetched(node, arguments[1], arguments[3])
        return _EXPRESSION_EDITS[edit.kind](node, edit)

    def part_done(self, edit: Edit) -> bool:
        found = self.outcomes.get(id(edit))
        return found is not None and found.done

    def outcome(self, edit: Edit) -> EditOutcome:
        found = self.outcomes.get(id(edit), EditOutcome(edit, False, "the code there has changed"))
        read = self.reads.get(id(edit))
        if read is None:
            return found
        read_found = self.outcomes.get(id(read), EditOutcome(read, False, "the per-row read there has changed"))
        if found.done and read_found.done:
            return found
        if found.reason == ALREADY_THERE and read_found.reason == ALREADY_THERE:
            return found
        return EditOutcome(edit, False, found.reason if not found.done else read_found.reason)

    def _make(self, edit: Edit, make: Callable[[NodeT], NodeT], original: NodeT, updated: NodeT) -> NodeT:
        """``updated`` with ``edit`` made, recording the outcome."""
        try:
            if make(original) is original:
                # The code said what the finding asks for before this run: the finding itself is mistaken.
                self._record(edit, False, ALREADY_THERE)
                return updated
        except Refused:
            pass  # refused as written: the edits made before it in this run may still make it possible
        try:
            changed = make(updated)
        except Refused as refusal:
            self._record(edit, False, str(refusal))
            return updated
        self._record(edit, True)
        return changed

    def _position(self, node: cst.CSTNode) -> Span | None:
        position = self.get_metadata(PositionProvider, node, None)
        return _code_span(position) if position is not None else None

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return self._loop_writes(original_node, updated_node)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        updated_node = self._loop_writes(original_node, updated_node)
        for edits in self.loop_writes.values():
            for edit in edits:
                self._record(edit, False, NOT_IN_A_LOOP)
        self.loop_writes.clear()
        return updated_node

    def _loop_writes(self, original_node: BlockT, updated_node: BlockT) -> BlockT:
        """The block with the write edits whose loop is one of its statements made, the last statement first so
        that the statements a loop edit adds do not move the others."""
        if not self.loop_writes:
            return updated_node
        sites: list[tuple[WriteSite, Edit]] = []
        for span in list(self.loop_writes):
            try:
                site = find_site(original_node.body, span, self._position)
            except Refused as refusal:
                for edit in self.loop_writes.pop(span):
                    self._record(edit, False, str(refusal))
                continue
            if site is not None:
                sites.extend((site, edit) for edit in self.loop_writes.pop(span))
        for site, edit in sorted(sites, key=lambda item: item[0].index, reverse=True):
            make = partial(self._loop_write, site=site, edit=edit)
            updated_node = self._make(edit, make, original_node, updated_node)
        return updated_node

    def _loop_write(self, block: BlockT, site: WriteSite, edit: Edit) -> BlockT:
        statements = block.body
        if site.index >= len(statements):
            raise Refused("the code there has changed")
        taken = set(self.taken)
        if edit.kind == targets.BULK_CREATE:
            changed = bulk_create(statements, site, edit.arguments[0], taken)
        elif edit.kind == targets.BULK_UPDATE:
            changed = bulk_update(statements, site, edit.arguments[0], edit.arguments[1:], taken)
        else:
            changed = queryset_delete(statements, site)
        return block if changed is statements else block.with_changes(body=changed)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        updated_node = self._view_querysets(original_node, updated_node)
        position = self.get_metadata(PositionProvider, original_node.name, None)
        if position is None:
            return updated_node
        for edit in self.by_class.pop((original_node.name.value, position.start.line), []):
            make_admin = partial(set_list_select_related, lookups=edit.arguments[1:])
            updated_node = self._make(edit, make_admin, original_node, updated_node)
        return updated_node

    def _view_querysets(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        if not self.by_view_model or not isinstance(original_node.body, cst.IndentedBlock):
            return updated_node
        for index, statement in enumerate(original_node.body.body):
            if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(statement.body[0], cst.Assign):
                continue
            position = self.get_metadata(PositionProvider, statement.body[0].value, None)
            if position is None:
                continue
            for edit in self.by_view_model.pop(_code_span(position), []):
                manager, method, *lookups = edit.arguments
                make_view = partial(
                    add_view_queryset, model_index=index, manager=manager, method=method, lookups=lookups
                )
                updated_node = self._make(edit, make_view, original_node, updated_node)
        return updated_node


def apply_edits(source: str, edits: Sequence[Edit]) -> FileOutcome:
    """``source`` with ``edits`` made; each edit's outcome in the order given. Raises libcst's ParserSyntaxError.

    An edit of two places (annotate_count) is made whole or not at all: when one part cannot be made, the file
    is edited again without it.
    """
    module = cst.parse_module(source)
    references = {name: models_reference(module, name) for name in TWO_PART_KINDS.values()}
    names = {name: reference for name, (reference, _) in references.items()}
    read_spans = {_read_span(edit) for edit in edits if edit.kind in TWO_PART_KINDS}
    known = [edit for edit in edits if edit.kind in KNOWN_KINDS]
    taken = frozenset(names_in(module)) if any(edit.kind in LOOP_KINDS for edit in edits) else frozenset()
    dropped: dict[int, EditOutcome] = {}
    while True:
        wrapper = MetadataWrapper(module)
        reads = {
            _code_span(position): node
            for node, position in wrapper.resolve(PositionProvider).items()
            if isinstance(node, cst.BaseExpression) and _code_span(position) in read_spans
        }
        editor = _Editor(known, names, reads, taken)
        fixed_module = wrapper.visit(editor)
        half_done = [
            edit
            for edit in known
            if edit.kind in TWO_PART_KINDS
            and not editor.outcome(edit).done
            and (editor.part_done(edit) or editor.part_done(editor.reads[id(edit)]))
        ]
        if not half_done:
            break
        for edit in half_done:
            dropped[id(edit)] = editor.outcome(edit)
        known = [edit for edit in known if id(edit) not in dropped]
    for kind, name in TWO_PART_KINDS.items():
        if references[name][1] and any(edit.kind == kind and editor.outcome(edit).done for edit in known):
            fixed_module = with_models_import(fixed_module, name)
    outcomes: list[EditOutcome] = []
    for edit in edits:
        if edit.kind not in KNOWN_KINDS:
            outcomes.append(EditOutcome(edit, False, f"no edit of kind {edit.kind!r}"))
        elif id(edit) in dropped:
            outcomes.append(dropped[id(edit)])
        else:
            outcomes.append(editor.outcome(edit))
    return FileOutcome(source, fixed_module.code, tuple(outcomes))
