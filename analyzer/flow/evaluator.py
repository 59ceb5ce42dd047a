"""The abstract evaluator: runs each function over abstract values and records per-row and per-loop events.

It follows assignments, branches (joined conservatively), loops, comprehensions, lambdas, builtins such as
``list``/``sorted``/``zip``, queryset chains, related managers, properties and ``__str__``, and calls into the
project's own functions through memoised summaries. Local names are resolved from its own environment and
globals through ``NameResolver``; astroid inference is never used, so unknown code simply stays unknown (quiet).

``Frame`` is composed of one class per concern: statements (``statements``), expressions (``expressions``),
calls and summaries (``calls``), instances and attributes (``instances``), queryset semantics (``querysets``) and
events (``emit``), over the shared state in ``core``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyzer.flow.calls import CallBinder
from analyzer.flow.core import MAX_CALL_DEPTH, FlowProject, Summary
from analyzer.flow.emit import EventEmitter
from analyzer.flow.expressions import ExpressionEvaluator
from analyzer.flow.instances import InstanceAttributes
from analyzer.flow.querysets import QuerySetSemantics
from analyzer.flow.statements import StatementRunner
from analyzer.flow.support import expression_text, loop_line, retag_none, short_text

if TYPE_CHECKING:
    from analyzer.context import ProjectContext

__all__ = [
    "MAX_CALL_DEPTH",
    "FlowProject",
    "Frame",
    "Summary",
    "expression_text",
    "flow_for",
    "loop_line",
    "retag_none",
    "short_text",
]


class Frame(StatementRunner, ExpressionEvaluator, CallBinder, InstanceAttributes, QuerySetSemantics, EventEmitter):
    """One evaluation of a function body (or module body) with bound names and the loops active around it."""


def flow_for(project: ProjectContext) -> FlowProject:
    """The project's flow, built once per run."""
    return project.shared("flow.project", lambda: FlowProject(project, Frame))
