"""The count-annotation edit (unsafe): ``author.books.count()`` per row becomes one ``Count`` in the query.

The queryset expression gets ``.annotate(books_count=Count("books"))`` and the per-row ``author.books.count()``
becomes ``author.books_count``; ``Count`` is imported from ``django.db.models`` unless the module already has it
(or ``models`` from ``django.db``). It is unsafe because the numbers can differ: a ``Count`` over a join is
inflated by other multi-valued joins or annotations of the same query, and it ignores a custom manager's
filtering that ``count()`` would apply.
"""

from __future__ import annotations

import libcst as cst

from analyzer.fix.arguments import string_literal
from analyzer.fix.querysets import chain_methods
from analyzer.fix.refusal import Refused

_NO_ANNOTATE_AFTER = frozenset({"values", "values_list", "union", "intersection", "difference", "raw", "none"})


def add_count_annotation(
    expression: cst.BaseExpression, lookup: str, annotation: str, count: cst.BaseExpression
) -> cst.BaseExpression:
    """``expression`` with ``.annotate(<annotation>=Count("<lookup>"))``; the same node when it has it already."""
    calls = chain_methods(expression)
    names = [name for name, _ in calls]
    if broken := sorted(set(names) & _NO_ANNOTATE_AFTER):
        raise Refused(f".{broken[0]}() in the chain: the rows cannot be annotated")
    for name, call in calls:
        if name == "annotate" and any(
            argument.keyword and argument.keyword.value == annotation for argument in call.args
        ):
            return expression
    argument = cst.Arg(
        keyword=cst.Name(annotation),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        value=cst.Call(func=count, args=[cst.Arg(string_literal(lookup, '"'))]),
    )
    if calls and names[0] == "all" and not calls[0][1].args:
        outer = calls[0][1]
        assert isinstance(outer.func, cst.Attribute)
        return outer.with_changes(func=outer.func.with_changes(attr=cst.Name("annotate")), args=[argument])
    bare = expression.with_changes(lpar=[], rpar=[])
    added = cst.Call(func=cst.Attribute(value=bare, attr=cst.Name("annotate")), args=[argument])
    return added.with_changes(lpar=expression.lpar, rpar=expression.rpar)


def read_annotation(expression: cst.BaseExpression, annotation: str) -> cst.BaseExpression:
    """``author.books.count()`` -> ``author.<annotation>``; an expression already reading it stays."""
    if isinstance(expression, cst.Attribute) and expression.attr.value == annotation:
        return expression
    if (
        not isinstance(expression, cst.Call)
        or expression.args
        or not isinstance(expression.func, cst.Attribute)
        or expression.func.attr.value != "count"
        or not isinstance(expression.func.value, cst.Attribute)
    ):
        raise Refused("the per-row read is not a plain .count() of a related manager")
    owner = expression.func.value.value
    return cst.Attribute(value=owner, attr=cst.Name(annotation), lpar=expression.lpar, rpar=expression.rpar)
