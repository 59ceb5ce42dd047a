"""The filtered-prefetch edit (unsafe): a prefetch bypassed per row by ``book.reviews.filter(...)`` becomes one
``Prefetch`` with that filter, read through its ``to_attr``.

The queryset expression gets ``Prefetch("reviews", queryset=Review.objects.filter(<the same arguments>),
to_attr="reviews_filter")`` (added to its ``.prefetch_related(...)``, or in a new one), and the per-row call becomes
``book.reviews_filter``. It is unsafe because the read is then a list, not a queryset, and the filter's arguments
are evaluated once, where the queryset is built; the analysis only offers it when the read is iterated and the
arguments name module-level values.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from analyzer.fix.arguments import append_items, string_literal, string_value
from analyzer.fix.querysets import chain_methods
from analyzer.fix.refusal import Refused

_NO_PREFETCH_AFTER = frozenset({"values", "values_list", "union", "intersection", "difference", "raw", "none"})


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Arg(keyword=cst.Name(name), equal=equal, value=value)


def _to_attr_of(argument: cst.Arg) -> str | None:
    if not isinstance(argument.value, cst.Call):
        return None
    for keyword in argument.value.args:
        if keyword.keyword is not None and keyword.keyword.value == "to_attr":
            return string_value(keyword.value)
    return None


def add_filtered_prefetch(
    expression: cst.BaseExpression,
    lookup: str,
    to_attr: str,
    model: str,
    method: str,
    filter_arguments: Sequence[cst.Arg] | None,
    prefetch: cst.BaseExpression,
) -> cst.BaseExpression:
    """``expression`` prefetching ``lookup`` filtered as the per-row read did (``filter_arguments``, None when the
    read is no longer such a call); the same node when a ``Prefetch`` into ``to_attr`` is there already."""
    calls = chain_methods(expression)
    names = [name for name, _ in calls]
    if broken := sorted(set(names) & _NO_PREFETCH_AFTER):
        raise Refused(f".{broken[0]}() in the chain: nothing can be prefetched")
    for name, call in calls:
        if name == "prefetch_related" and any(_to_attr_of(argument) == to_attr for argument in call.args):
            return expression
    if filter_arguments is None:
        raise Refused(f"the per-row read is not a .{method}(...) of a related manager")
    arguments = [argument.with_changes(comma=cst.MaybeSentinel.DEFAULT) for argument in filter_arguments]
    queryset = cst.Call(
        func=cst.Attribute(value=cst.Attribute(value=cst.Name(model), attr=cst.Name("objects")), attr=cst.Name(method)),
        args=append_items([], arguments, cst.SimpleWhitespace("")),
    )
    prefetch_call = cst.Call(
        func=prefetch,
        args=append_items(
            [],
            [
                cst.Arg(string_literal(lookup, '"')),
                _keyword("queryset", queryset),
                _keyword("to_attr", string_literal(to_attr, '"')),
            ],
            cst.SimpleWhitespace(""),
        ),
    )
    for name, call in calls:
        if name != "prefetch_related":
            continue
        extended = call.with_changes(
            args=append_items(call.args, [cst.Arg(prefetch_call)], call.whitespace_before_args)
        )
        return _replace(expression, call, extended)
    bare = expression.with_changes(lpar=[], rpar=[])
    added = cst.Call(func=cst.Attribute(value=bare, attr=cst.Name("prefetch_related")), args=[cst.Arg(prefetch_call)])
    return added.with_changes(lpar=expression.lpar, rpar=expression.rpar)


def _replace(expression: cst.BaseExpression, old: cst.Call, new: cst.Call) -> cst.BaseExpression:
    if expression is old:
        return new
    if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute):
        return expression.with_changes(
            func=expression.func.with_changes(value=_replace(expression.func.value, old, new))
        )
    if isinstance(expression, cst.Attribute):
        return expression.with_changes(value=_replace(expression.value, old, new))
    raise Refused("the call to extend is not part of the queryset chain")


def filter_arguments(read: cst.BaseExpression, method: str) -> Sequence[cst.Arg]:
    """The arguments of the per-row ``owner.relation.<method>(...)``."""
    if (
        not isinstance(read, cst.Call)
        or not isinstance(read.func, cst.Attribute)
        or read.func.attr.value != method
        or not isinstance(read.func.value, cst.Attribute)
    ):
        raise Refused(f"the per-row read is not a .{method}(...) of a related manager")
    return read.args


def read_prefetched(expression: cst.BaseExpression, to_attr: str, method: str) -> cst.BaseExpression:
    """``book.reviews.filter(...)`` -> ``book.<to_attr>``; an expression already reading it stays."""
    if isinstance(expression, cst.Attribute) and expression.attr.value == to_attr:
        return expression
    filter_arguments(expression, method)
    assert isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute)
    relation = expression.func.value
    assert isinstance(relation, cst.Attribute)
    return cst.Attribute(value=relation.value, attr=cst.Name(to_attr), lpar=expression.lpar, rpar=expression.rpar)
