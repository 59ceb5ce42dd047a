"""Edits of a queryset expression: add lookups to ``.select_related()`` / ``.prefetch_related()``, a field to
``.only()``.

The expression is the one the finding says the queryset is built by (``Book.objects.filter(...)``,
``selectors.books_in_print()``, ``order.lines.all()``). An existing call of the method in its chain is extended,
keeping its order and quotes; otherwise the method is added at the end, replacing a bare trailing ``.all()``.
Chains where the added call would change what the query returns, or fail, are refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from analyzer.fix.arguments import append_items, quote_of, string_literal, string_value
from analyzer.fix.refusal import Refused

# After these, select_related()/prefetch_related()/only() raise, or apply to a different query.
_CHAIN_BREAKERS = frozenset({"values", "values_list", "union", "intersection", "difference", "raw", "iterator"})
# Loading fewer columns conflicts with eager loading: select_related() of a deferred key raises, and
# prefetching a forward relation whose key column is deferred loads that column once per row.
_COLUMN_LIMITERS = frozenset({"only", "defer"})


def _chain(expression: cst.BaseExpression) -> Iterator[cst.Call]:
    """The method calls of a queryset chain, outermost first: ``a.filter(x).order_by(y)`` gives order_by, filter."""
    node: cst.BaseExpression = expression
    while True:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            yield node
            node = node.func.value
        elif isinstance(node, cst.Attribute):
            node = node.value
        else:
            return


def chain_methods(expression: cst.BaseExpression) -> list[tuple[str, cst.Call]]:
    """The method names and calls of a queryset chain, outermost first."""
    return [(_method(call), call) for call in _chain(expression)]


def _method(call: cst.Call) -> str:
    assert isinstance(call.func, cst.Attribute)
    return call.func.attr.value


def _string_arguments(call: cst.Call) -> list[str | None]:
    return [
        string_value(argument.value) if argument.keyword is None and not argument.star else None
        for argument in call.args
    ]


def _prefetch_lookup(argument: cst.Arg) -> str | None:
    """The lookup of ``Prefetch("reviews", ...)`` written with a literal, else None."""
    value = argument.value
    if not isinstance(value, cst.Call) or not value.args:
        return None
    func = value.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if name != "Prefetch":
        return None
    return string_value(value.args[0].value)


def _overlaps(first: str, second: str) -> bool:
    return first == second or first.startswith(f"{second}__") or second.startswith(f"{first}__")


def _check_existing(call: cst.Call, method: str, lookups: Sequence[str]) -> None:
    if not call.args:
        # select_related() with no argument follows every non-null foreign key: naming one would drop the rest.
        raise Refused(f".{method}() without arguments already loads more than the fix names")
    for argument, value in zip(call.args, _string_arguments(call), strict=True):
        if value is not None or argument.star:
            continue
        lookup = _prefetch_lookup(argument)
        if lookup is None:
            raise Refused(f".{method}(...) has an argument that is not a string or a Prefetch of a literal lookup")
        if any(_overlaps(lookup, path) for path in lookups):
            # Django rejects a lookup given once as Prefetch(queryset=...) and once as a string.
            raise Refused(f'.{method}(...) already prefetches "{lookup}" with a Prefetch object')


def _with_arguments(call: cst.Call, values: Sequence[str]) -> cst.Call:
    quote = quote_of(call.args)
    new = [cst.Arg(string_literal(value, quote)) for value in values]
    return call.with_changes(args=append_items(call.args, new, call.whitespace_before_args))


def _replace_in_chain(expression: cst.BaseExpression, old: cst.Call, new: cst.Call) -> cst.BaseExpression:
    """``expression`` with the chain call ``old`` (compared by identity) replaced by ``new``."""
    if expression is old:
        return new
    if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute):
        inner = _replace_in_chain(expression.func.value, old, new)
        return expression.with_changes(func=expression.func.with_changes(value=inner))
    if isinstance(expression, cst.Attribute):
        return expression.with_changes(value=_replace_in_chain(expression.value, old, new))
    raise Refused("the call to extend is not part of the queryset chain")


def _extend_prefixes(call: cst.Call, lookups: Sequence[str]) -> cst.Call:
    """``select_related("book")`` asked for "book__author" becomes ``select_related("book__author")``, in place:
    the longer path loads the shorter one too (for ``prefetch_related`` as well)."""
    arguments = list(call.args)
    values = _string_arguments(call)
    wanted = [lookup for lookup in lookups if lookup not in values]
    changed = False
    for index, value in enumerate(values):
        longer = [lookup for lookup in wanted if value is not None and lookup.startswith(f"{value}__")]
        literal = arguments[index].value
        if longer and isinstance(literal, cst.SimpleString):
            arguments[index] = arguments[index].with_changes(value=string_literal(longer[0], literal.quote))
            wanted.remove(longer[0])
            changed = True
    return call.with_changes(args=arguments) if changed else call


def _missing(existing: Sequence[str | None], lookups: Sequence[str]) -> list[str]:
    """The lookups not loaded yet: a longer path loads its prefixes too (``"book__author"`` loads ``"book"``)."""
    present = [value for value in existing if value is not None]
    return [
        lookup for lookup in lookups if not any(value == lookup or value.startswith(f"{lookup}__") for value in present)
    ]


def add_eager_loading(expression: cst.BaseExpression, method: str, lookups: Sequence[str]) -> cst.BaseExpression:
    """``expression`` with ``lookups`` passed to ``.{method}()``; the same node when they already are."""
    calls = list(_chain(expression))
    names = [_method(call) for call in calls]
    if "none" in names:
        raise Refused(".none() in the chain: the queryset has no rows to load anything for")
    if broken := sorted(set(names) & _CHAIN_BREAKERS):
        raise Refused(f".{broken[0]}() in the chain: .{method}() would not apply to the rows")
    if limited := sorted(set(names) & _COLUMN_LIMITERS):
        raise Refused(f".{limited[0]}() in the chain conflicts with .{method}()")
    for call in calls:
        if _method(call) == method:
            _check_existing(call, method, lookups)
            extended = _extend_prefixes(call, lookups)
            missing = _missing(_string_arguments(extended), lookups)
            if not missing and extended is call:
                return expression
            return _replace_in_chain(expression, call, _with_arguments(extended, missing))
    quote = '"'
    arguments = [cst.Arg(string_literal(lookup, quote)) for lookup in lookups]
    bare = expression.with_changes(lpar=[], rpar=[])
    if calls and names[0] == "all" and not calls[0].args:
        # Book.objects.all() -> Book.objects.select_related("author"): the same rows, as the project would write it.
        outer = calls[0]
        assert isinstance(outer.func, cst.Attribute)
        renamed = outer.func.with_changes(attr=cst.Name(method))
        replaced = outer.with_changes(func=renamed, args=append_items([], arguments, outer.whitespace_before_args))
        return replaced.with_changes(lpar=expression.lpar, rpar=expression.rpar)
    added = cst.Call(
        func=cst.Attribute(value=bare, attr=cst.Name(method)),
        args=append_items([], arguments, cst.SimpleWhitespace("")),
    )
    return added.with_changes(lpar=expression.lpar, rpar=expression.rpar)


def add_only_field(expression: cst.BaseExpression, field_name: str) -> cst.BaseExpression:
    """``expression`` with ``field_name`` passed to its ``.only()``; the same node when it already is."""
    for call in _chain(expression):
        if _method(call) in _CHAIN_BREAKERS:
            raise Refused(f".{_method(call)}() in the chain: .only() would not apply to the rows")
        if _method(call) == "only":
            values = _string_arguments(call)
            if not call.args or any(value is None for value in values):
                raise Refused(".only(...) has an argument that is not a string literal")
            if field_name in values:
                return expression
            return _replace_in_chain(expression, call, _with_arguments(call, [field_name]))
        if _method(call) == "defer":
            # A defer() after only() may defer the field again: adding it to only() would change nothing.
            raise Refused(".defer() after .only() in the chain")
    raise Refused("no .only() call in the queryset expression")
