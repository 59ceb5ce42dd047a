"""Recognises a count used only to learn whether there is a row: ``qs.count() > 0``, ``if len(qs):`` and the like.

The flow asks this about each ``count()`` / ``len()`` of a queryset, so that ORM403 (use ``exists()``) gets those
sites and ORM401 (``len()`` for a count) does not report them a second time.
"""

from __future__ import annotations

from dataclasses import dataclass

from astroid import nodes

# (operator, constant) with the count on the left: does the test ask for "some row" (True) or "no row" (False)?
_EXISTENCE_TESTS: dict[tuple[str, int], bool] = {
    (">", 0): True,
    ("!=", 0): True,
    (">=", 1): True,
    ("==", 0): False,
    ("<", 1): False,
    ("<=", 0): False,
}
_FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class ExistenceTest:
    node: nodes.NodeNG  # the whole test: the comparison, ``not count``, or the count itself
    positive: bool  # asks for "some row" (True) or "no row" (False)


def is_condition(node: nodes.NodeNG) -> bool:
    """``node`` is used only for its truth: a test of if/while/assert, ``not``, ``bool()``, or ``and``/``or`` there."""
    parent = node.parent
    if isinstance(parent, (nodes.If, nodes.While, nodes.IfExp, nodes.Assert)) and parent.test is node:
        return True
    if isinstance(parent, nodes.UnaryOp) and parent.op == "not":
        return True
    if isinstance(parent, nodes.Call) and isinstance(parent.func, nodes.Name) and parent.func.name == "bool":
        return True
    if isinstance(parent, nodes.Comprehension) and node in parent.ifs:
        return True
    if isinstance(parent, nodes.BoolOp):
        return is_condition(parent)
    return False


def existence_test(counting: nodes.Call) -> ExistenceTest | None:
    """The test that ``counting`` (a ``count()`` or ``len()`` call) serves, when it only asks for existence."""
    parent = counting.parent
    if isinstance(parent, nodes.Compare):
        if len(parent.ops) != 1:
            return None
        operator, right = parent.ops[0]
        if parent.left is counting:
            other = right
        elif right is counting:
            other, operator = parent.left, _FLIPPED.get(operator, operator)
        else:
            return None
        if not isinstance(other, nodes.Const) or isinstance(other.value, bool) or not isinstance(other.value, int):
            return None
        positive = _EXISTENCE_TESTS.get((operator, other.value))
        return ExistenceTest(parent, positive) if positive is not None else None
    if is_condition(counting):
        negated = isinstance(parent, nodes.UnaryOp) and parent.op == "not"
        return ExistenceTest(parent if negated else counting, not negated)
    return None
