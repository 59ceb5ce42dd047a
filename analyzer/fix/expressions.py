"""Edits of a queryset used only for its size or for having rows: ``len(qs)`` becomes ``qs.count()`` and a
truth test of ``qs`` (``if qs:``, ``bool(qs)``) becomes ``qs.exists()``.

The rules attach these edits only when nothing else reads the rows, so the database answers the question and no
row is loaded. An operand that is not a name, attribute, call or subscript is parenthesised first.
"""

from __future__ import annotations

import libcst as cst

from analyzer.fix.refusal import Refused

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def _method_call(receiver: cst.BaseExpression, method: str) -> cst.Call:
    outer_lpar, outer_rpar = receiver.lpar, receiver.rpar
    bare = receiver.with_changes(lpar=[], rpar=[])
    if not isinstance(bare, _ATOMS):
        bare = bare.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    call = cst.Call(func=cst.Attribute(value=bare, attr=cst.Name(method)))
    return call.with_changes(lpar=outer_lpar, rpar=outer_rpar)


def _single_argument(call: cst.Call, name: str) -> cst.BaseExpression:
    if not isinstance(call.func, cst.Name) or call.func.value != name:
        raise Refused(f"the expression is not a call of {name}()")
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        raise Refused(f"{name}() is not called with one positional argument")
    return call.args[0].value


def _is_method_call(expression: cst.BaseExpression, method: str) -> bool:
    return (
        isinstance(expression, cst.Call)
        and isinstance(expression.func, cst.Attribute)
        and expression.func.attr.value == method
        and not expression.args
    )


def count_instead_of_len(expression: cst.BaseExpression) -> cst.BaseExpression:
    """``len(qs)`` -> ``qs.count()``; ``qs.count()`` stays as it is."""
    if _is_method_call(expression, "count"):
        return expression
    if not isinstance(expression, cst.Call):
        raise Refused("the expression is not a call of len()")
    counted = _single_argument(expression, "len")
    return _method_call(counted, "count").with_changes(lpar=expression.lpar, rpar=expression.rpar)


def exists_instead_of_truth(expression: cst.BaseExpression) -> cst.BaseExpression:
    """``qs`` tested for truth (or ``bool(qs)``) -> ``qs.exists()``; ``qs.exists()`` stays as it is."""
    if _is_method_call(expression, "exists"):
        return expression
    if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Name) and expression.func.value == "bool":
        tested = _single_argument(expression, "bool")
        return _method_call(tested, "exists").with_changes(lpar=expression.lpar, rpar=expression.rpar)
    return _method_call(expression, "exists")
