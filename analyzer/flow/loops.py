"""Loops that are not per-row loops: their number of iterations is written in the code, not read from the data.

A loop over a literal (``for status in ("draft", "published")``), over a local name bound once to one, over an
item of such a literal, or over ``range()`` of constants runs as often as the code says; a retry loop
(``for attempt in range(retries): try: return create(...)``) ends at its first pass that succeeds. The flow runs
their bodies like straight-line code, so a query in them is one query per call, not one per row.
"""

from __future__ import annotations

from astroid import nodes

from analyzer.context import nodes_of

# Methods that fill a list the code built empty or small: such a list holds as many items as the data gives it.
_FILLING_METHODS = frozenset({"append", "extend", "insert", "add", "update"})
_WRAPPERS = frozenset({"enumerate", "reversed", "sorted"})


def bounded_literal(iterable: nodes.NodeNG, depth: int = 0) -> bool:
    """A literal list, tuple or set spelled out in the code (``("draft", "published")``, ``[Book, Author]``), a
    local name bound to one once, an item of such a literal (``choices[i]``), ``enumerate()``/``sorted()`` of one,
    or ``range()`` of constants."""
    if isinstance(iterable, (nodes.List, nodes.Tuple, nodes.Set)):
        return not any(isinstance(element, nodes.Starred) for element in iterable.elts)
    if isinstance(iterable, nodes.Call) and isinstance(iterable.func, nodes.Name):
        if iterable.func.name == "range":
            return bool(iterable.args) and all(isinstance(argument, nodes.Const) for argument in iterable.args)
        if iterable.func.name in _WRAPPERS and iterable.args and depth <= 2:
            return bounded_literal(iterable.args[0], depth + 1)
        return False
    if depth > 2:
        return False
    if isinstance(iterable, nodes.Subscript) and not isinstance(iterable.slice, nodes.Slice):
        literal = _literal_binding(iterable.value)
        return literal is not None and all(bounded_literal(element, depth + 1) for element in literal.elts)
    literal = _literal_binding(iterable)
    return literal is not None and bounded_literal(literal, depth + 1)


def _literal_binding(name: nodes.NodeNG) -> nodes.List | nodes.Tuple | nodes.Set | None:
    """The non-empty literal display a local name is bound to, when its function binds it exactly once by
    assignment and never fills it."""
    if not isinstance(name, nodes.Name):
        return None
    scope = name.scope()
    bindings = [
        assigned
        for assigned in nodes_of(scope, nodes.AssignName)
        if assigned.name == name.name and assigned.scope() is scope
    ]
    if len(bindings) != 1 or not isinstance(bindings[0].parent, nodes.Assign):
        return None
    value = bindings[0].parent.value
    if not isinstance(value, (nodes.List, nodes.Tuple, nodes.Set)) or not value.elts:
        return None
    for attribute in nodes_of(scope, nodes.Attribute):
        if (
            isinstance(attribute.expr, nodes.Name)
            and attribute.expr.name == name.name
            and attribute.attrname in _FILLING_METHODS
        ):
            return None
    for augmented in nodes_of(scope, nodes.AugAssign):
        if isinstance(augmented.target, nodes.AssignName) and augmented.target.name == name.name:
            return None
    return value


def returns_on_first_pass(loop: nodes.For) -> bool:
    """A retry loop: its body ends in a ``return`` (directly, in a ``with``, or at the end of a ``try`` body), so
    the work in it runs once per call, not once per item."""

    def returns(statements: list[nodes.NodeNG]) -> bool:
        last = statements[-1] if statements else None
        if isinstance(last, nodes.Return):
            return True
        if isinstance(last, (nodes.With, nodes.AsyncWith)):
            return returns(last.body)
        return isinstance(last, nodes.Try) and returns(last.body)

    return returns(loop.body)


def is_bounded(loop: nodes.For | nodes.Comprehension) -> bool:
    """The loop's iterations are fixed by the code: not a per-row loop."""
    if isinstance(loop, nodes.For) and returns_on_first_pass(loop):
        return True
    return bounded_literal(loop.iter)
