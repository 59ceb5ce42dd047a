"""Tests the flow can decide: a branch whose test constants settle is the only branch that runs.

Constants reach a test through arguments (``copy_slot(slot, save=False)`` runs ``if save:`` as false), parameter
defaults, and the facts an integration gives a frame (a DRF list view runs with ``self.action == "list"``). Only
``None``, booleans and strings are constants here; everything else leaves the test undecided, and both branches
run as before.
"""

from __future__ import annotations

from collections.abc import Callable

from astroid import nodes

from analyzer.flow.values import (
    Collection,
    Constant,
    DictOf,
    Instance,
    ModelClass,
    QuerySet,
    RelatedManager,
    TupleOf,
    Value,
)

# What the flow knows for sure about a value's truth and None-ness, besides constants.
NoneTest = Callable[[Value], bool | None]
TruthTest = Callable[[Value], bool | None]
_UNDECIDED = object()


def none_for_sure(value: Value) -> bool | None:
    """Whether a value is None for sure: querysets, instances, model classes and collections never are."""
    if isinstance(value, (QuerySet, Instance, ModelClass, RelatedManager, Collection, DictOf, TupleOf)):
        return False
    return None


def _constant(node: nodes.NodeNG, evaluate: Callable[[nodes.NodeNG], Value]) -> object:
    """The Python value of a constant expression (a literal, a name or attribute bound to a constant, or a tuple,
    list or set of them), else ``_UNDECIDED``."""
    if isinstance(node, (nodes.Tuple, nodes.List, nodes.Set)):
        items = [_constant(item, evaluate) for item in node.elts]
        return _UNDECIDED if any(item is _UNDECIDED for item in items) else tuple(items)
    value = evaluate(node)
    return value.value if isinstance(value, Constant) else _UNDECIDED


def _compare(operator: str, left: object, right: object) -> bool | None:
    if operator in ("==", "!="):
        return (left == right) == (operator == "==")
    if operator in ("in", "not in") and isinstance(right, tuple):
        return (left in right) == (operator == "in")
    if operator in ("is", "is not") and (left is None or right is None):
        return (left is right) == (operator == "is")
    return None


def static_truth(
    test: nodes.NodeNG,
    evaluate: Callable[[nodes.NodeNG], Value],
    none_test: NoneTest | None = None,
    truth_test: TruthTest | None = None,
) -> bool | None:
    """The test's truth when constants decide it; None when it depends on what the code cannot know.

    ``evaluate`` gives the flow's value of an expression; ``none_test`` says whether a non-constant value is
    None for sure (a queryset never is), ``truth_test`` whether it is true for sure (a model class is)."""
    if isinstance(test, nodes.UnaryOp) and test.op == "not":
        inner = static_truth(test.operand, evaluate, none_test, truth_test)
        return None if inner is None else not inner
    if isinstance(test, nodes.BoolOp):
        truths = [static_truth(value, evaluate, none_test, truth_test) for value in test.values]
        decisive: bool = test.op == "or"
        if decisive in truths:
            return decisive
        return None if None in truths else not decisive
    if isinstance(test, nodes.Compare) and len(test.ops) == 1:
        operator, right_node = test.ops[0]
        if operator in ("is", "is not") and isinstance(right_node, nodes.Const) and right_node.value is None:
            left_value = evaluate(test.left)
            is_none = (
                left_value.value is None
                if isinstance(left_value, Constant)
                else (none_test(left_value) if none_test is not None else None)
            )
            return None if is_none is None else is_none == (operator == "is")
        left, right = _constant(test.left, evaluate), _constant(right_node, evaluate)
        if left is _UNDECIDED or right is _UNDECIDED:
            return None
        return _compare(operator, left, right)
    if isinstance(test, (nodes.Name, nodes.Attribute, nodes.Const)):
        value = evaluate(test)
        if isinstance(value, Constant):
            return bool(value.value)
        if truth_test is not None:
            return truth_test(value)
    return None
