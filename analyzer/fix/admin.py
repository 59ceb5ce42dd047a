"""The ModelAdmin edit: set or extend ``list_select_related`` so the changelist joins what ``list_display`` reads.

An existing literal tuple or list in the class body is extended in place (order and quotes kept); without one, a
``list_select_related = (...)`` line is added right after the class's ``list_display`` (or at the top of the body).
The lookups to set come from the finding, which already lists what a base class's value selected.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from analyzer.fix.arguments import append_items, quote_of, string_literal, string_value
from analyzer.fix.refusal import Refused

ATTRIBUTE = "list_select_related"


def _assigned_name(statement: cst.BaseStatement) -> tuple[str, cst.BaseExpression] | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return small.target.value, small.value
    return None


def _extended(value: cst.BaseExpression, lookups: Sequence[str]) -> cst.BaseExpression:
    if isinstance(value, cst.Name) and value.value == "True":
        return value  # every non-null foreign key, which is what Django does with True
    if not isinstance(value, (cst.Tuple, cst.List)):
        raise Refused(f"{ATTRIBUTE} is not a literal tuple or list")
    present = [string_value(element.value) for element in value.elements]
    if any(item is None for item in present):
        raise Refused(f"{ATTRIBUTE} holds an item that is not a string literal")
    missing = [lookup for lookup in lookups if lookup not in present]
    if not missing:
        return value
    quote = quote_of(value.elements)
    new = [cst.Element(string_literal(lookup, quote)) for lookup in missing]
    opening = value.lbracket.whitespace_after if isinstance(value, cst.List) else _tuple_opening(value)
    return value.with_changes(elements=append_items(value.elements, new, opening))


def _tuple_opening(value: cst.Tuple) -> cst.BaseParenthesizableWhitespace:
    return value.lpar[0].whitespace_after if value.lpar else cst.SimpleWhitespace("")


def _new_line(lookups: Sequence[str], quote: str) -> cst.SimpleStatementLine:
    fresh: list[cst.BaseElement] = [cst.Element(string_literal(lookup, quote)) for lookup in lookups]
    elements = append_items([], fresh, cst.SimpleWhitespace(""))
    if len(elements) == 1:
        # A one-element tuple needs its comma.
        elements = [elements[0].with_changes(comma=cst.Comma())]
    value = cst.Tuple(elements=elements, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    target = cst.AssignTarget(target=cst.Name(ATTRIBUTE))
    return cst.SimpleStatementLine(body=[cst.Assign(targets=[target], value=value)])


def set_list_select_related(classdef: cst.ClassDef, lookups: Sequence[str]) -> cst.ClassDef:
    """``classdef`` with ``list_select_related`` listing ``lookups``; the same node when it already does."""
    body = classdef.body
    if not isinstance(body, cst.IndentedBlock):
        raise Refused("the class body is on the class line")
    statements = list(body.body)
    display_index: int | None = None
    quote = '"'
    for index, statement in enumerate(statements):
        assigned = _assigned_name(statement)
        if assigned is None:
            continue
        name, value = assigned
        if name == ATTRIBUTE:
            extended = _extended(value, lookups)
            if extended is value:
                return classdef
            assert isinstance(statement, cst.SimpleStatementLine)
            small = statement.body[0]
            assert isinstance(small, (cst.Assign, cst.AnnAssign))
            statements[index] = statement.with_changes(body=[small.with_changes(value=extended)])
            return classdef.with_changes(body=body.with_changes(body=statements))
        if name == "list_display":
            display_index = index
            if isinstance(value, (cst.Tuple, cst.List)):
                quote = quote_of(value.elements)
    position = display_index + 1 if display_index is not None else _after_docstring(statements)
    statements.insert(position, _new_line(lookups, quote))
    return classdef.with_changes(body=body.with_changes(body=statements))


def _after_docstring(statements: list[cst.BaseStatement]) -> int:
    first = statements[0] if statements else None
    if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1:
        small = first.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
            return 1
    return 0
