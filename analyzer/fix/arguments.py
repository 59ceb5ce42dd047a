"""Adding string literals to an argument list or a tuple in the file's own style.

New items take the quote character of the strings already there and the separators the list already uses, so
``("a",)`` becomes ``("a", "b")`` and a one-per-line list with a trailing comma gets one more line; comments stay
on the item they followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import libcst as cst

Item = TypeVar("Item", cst.Arg, cst.BaseElement)


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (no f-string, no implicit concatenation), else None."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def quote_of(items: Sequence[cst.Arg | cst.BaseElement]) -> str:
    """The quote character the existing string items use; double quotes when there are none."""
    for item in items:
        if isinstance(item.value, cst.SimpleString):
            literal = item.value.value.lstrip("rRuUbB")
            return literal[0]
    return '"'


def string_literal(value: str, quote: str) -> cst.SimpleString:
    escaped = value.replace("\\", "\\\\").replace(quote, f"\\{quote}")
    return cst.SimpleString(f"{quote}{escaped}{quote}")


def _item_indent(items: Sequence[cst.Arg | cst.BaseElement], opening: cst.BaseParenthesizableWhitespace) -> str | None:
    """The indentation of the items of a one-per-line list, or None for a list on one line."""
    if len(items) >= 2:
        separator = items[-2].comma
        if isinstance(separator, cst.Comma) and isinstance(separator.whitespace_after, cst.ParenthesizedWhitespace):
            return separator.whitespace_after.last_line.value
        return None
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return opening.last_line.value
    return None


def append_items(
    items: Sequence[Item],
    new_items: Sequence[Item],
    opening: cst.BaseParenthesizableWhitespace,
) -> list[Item]:
    """``items`` followed by ``new_items``, separated and laid out the way ``items`` already are.

    ``opening`` is the whitespace after the opening bracket, which says how a single item is laid out.
    """
    if not new_items:
        return list(items)
    if not items:
        return _join_fresh(new_items)
    last = items[-1]
    indent = _item_indent(items, opening)
    trailing = last.comma
    result: list[Item] = list(items[:-1])
    if (
        indent is not None
        and isinstance(trailing, cst.Comma)
        and isinstance(trailing.whitespace_after, cst.ParenthesizedWhitespace)
    ):
        # One item per line with a trailing comma: each new item gets its own line; the closing bracket keeps
        # its place and the last old item keeps its comment.
        closing = trailing.whitespace_after
        moved = closing.with_changes(last_line=cst.SimpleWhitespace(indent))
        result.append(last.with_changes(comma=trailing.with_changes(whitespace_after=moved)))
        for index, item in enumerate(new_items):
            last_line = closing.last_line if index == len(new_items) - 1 else cst.SimpleWhitespace(indent)
            whitespace = cst.ParenthesizedWhitespace(
                first_line=cst.TrailingWhitespace(), empty_lines=[], indent=closing.indent, last_line=last_line
            )
            result.append(item.with_changes(comma=cst.Comma(whitespace_after=whitespace)))
        return result
    # Between items: the separator the list already uses (one per line or ", "), else ", ".
    previous = items[-2].comma if len(items) >= 2 else None
    separator = previous if isinstance(previous, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    closing_space: dict[str, cst.BaseParenthesizableWhitespace] = {}
    if isinstance(last, cst.Arg):
        # The line break before ``)`` of a call belongs to its last argument: it moves to the new last one.
        closing_space = {"whitespace_after_arg": last.whitespace_after_arg}
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    result.append(last.with_changes(comma=separator))
    for item in new_items[:-1]:
        result.append(item.with_changes(comma=separator))
    # A trailing comma on one line (``("a",)``) was only there to make a tuple: it is dropped.
    keeps_trailing = isinstance(trailing, cst.Comma) and indent is not None
    final = new_items[-1].with_changes(comma=trailing if keeps_trailing else cst.MaybeSentinel.DEFAULT)
    result.append(final.with_changes(**closing_space) if closing_space else final)
    return result


def _join_fresh(new_items: Sequence[Item]) -> list[Item]:
    separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    joined: list[Item] = [item.with_changes(comma=separator) for item in new_items[:-1]]
    joined.append(new_items[-1])
    return joined
