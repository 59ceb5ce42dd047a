"""The generic-view edit: a view that only names its ``model`` gets ``queryset = Model.objects.<method>(...)``.

Django's ``get_queryset()`` lists ``model._default_manager.all()`` when ``queryset`` is not set, so the new
attribute lists the same rows with the lookups loaded; ``model`` stays, for whatever else reads it. A second edit
of the same view extends the ``queryset`` the first one added.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from analyzer.fix.arguments import append_items, string_literal
from analyzer.fix.querysets import add_eager_loading
from analyzer.fix.refusal import Refused

ATTRIBUTE = "queryset"


def _assigned(statement: cst.BaseStatement, name: str) -> cst.Assign | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name) and target.value == name:
            return small
    return None


def add_view_queryset(
    classdef: cst.ClassDef, model_index: int, manager: str, method: str, lookups: Sequence[str]
) -> cst.ClassDef:
    """``classdef`` with a ``queryset`` loading ``lookups``, below the ``model = ...`` statement at
    ``model_index`` of its body; the same node when its ``queryset`` already loads them."""
    body = classdef.body
    if not isinstance(body, cst.IndentedBlock):
        raise Refused("the class body is on the class line")
    statements = list(body.body)
    model = _assigned(statements[model_index], "model")
    if model is None or not isinstance(model.value, cst.Name):
        raise Refused("the view's model is not set by a plain name")
    for index, statement in enumerate(statements):
        existing = _assigned(statement, ATTRIBUTE)
        if existing is None:
            continue
        extended = add_eager_loading(existing.value, method, lookups)
        if extended is existing.value:
            return classdef
        assert isinstance(statement, cst.SimpleStatementLine)
        statements[index] = statement.with_changes(body=[existing.with_changes(value=extended)])
        return classdef.with_changes(body=body.with_changes(body=statements))
    arguments = append_items([], [cst.Arg(string_literal(lookup, '"')) for lookup in lookups], cst.SimpleWhitespace(""))
    manager_expression = cst.Attribute(value=cst.Name(model.value.value), attr=cst.Name(manager))
    value = cst.Call(func=cst.Attribute(value=manager_expression, attr=cst.Name(method)), args=arguments)
    line = cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(ATTRIBUTE))], value=value)])
    statements.insert(model_index + 1, line)
    return classdef.with_changes(body=body.with_changes(body=statements))
