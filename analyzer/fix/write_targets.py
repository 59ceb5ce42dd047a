"""The edits of the write-in-loop rules (ORM301-ORM303), as the analysis decides them: always unsafe.

A per-row ``Model.objects.create(...)``, ``obj.save()`` or ``obj.delete()`` in a ``for`` loop gets an edit when
what the fixer cannot see from the text alone holds: the call is the one the finding names, in the loop's own
body (not in a function the loop calls), the model is known (and, for ``bulk_update``, its class is a name of the
module and the fields written are its concrete, non-key fields), the model is not a multi-table child (Django's
bulk methods reject or mishandle those), the model (or a base class of the project) does not define the
``save()`` or ``delete()`` the bulk method would skip, no ``pre_save``/``post_save`` receiver listens to it (for
``bulk_create`` and ``bulk_update``, which send neither; see ``analyzer.fix.signals``), and the analysis saw
nothing else in the loop touch the database (a query there, or in a function it calls, could read the rows the
loop used to write one at a time). The layout of the loop is checked when the fix is made
(``analyzer.fix.bulk_writes``), which says why it refuses.
"""

from __future__ import annotations

from collections.abc import Iterable

from astroid import nodes

from analyzer.findings import Applicability, Edit
from analyzer.fix.signals import sends_save_signals
from analyzer.fix.targets import BULK_CREATE, BULK_UPDATE, QUERYSET_DELETE, module_binds, node_edit
from analyzer.modelgraph import FieldKind, ModelInfo

# Fields bulk_update() can write: columns and the keys of single relations (by name or attname).
_WRITABLE_KINDS = (FieldKind.FIELD, FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE)
_PRIMARY_KEYS = frozenset({"id", "pk"})


def _in_body_of(node: nodes.NodeNG, loop: nodes.NodeNG | None) -> bool:
    """``node`` is written inside the body of the plain ``for`` statement ``loop`` (not its iterable or else)."""
    if not isinstance(loop, nodes.For) or isinstance(loop, nodes.AsyncFor):
        return False
    body = loop.body
    current = node
    while current.parent is not None and current.parent is not loop:
        current = current.parent
    return current.parent is loop and current in body


def _loop_variable(loop: nodes.For) -> str | None:
    return loop.target.name if isinstance(loop.target, nodes.AssignName) else None


# The analysis's events of a file, as (node, loop) pairs: where something touched the database per row.
Events = Iterable[tuple[nodes.NodeNG, nodes.NodeNG | None]]


def _busy(call: nodes.NodeNG, loop: nodes.NodeNG, events: Events) -> bool:
    """Something other than the write touches the database in ``loop``: in its body, inner loops included, or in a
    function it calls (whose events name the loop). The loop's iterable runs once, before any write."""
    return any(node is not call and (other is loop or _in_body_of(node, loop)) for node, other in events)


def _eligible(
    node: nodes.NodeNG, loop: nodes.NodeNG | None, model: ModelInfo | None, events: Events, method: str
) -> bool:
    if model is None or not _in_body_of(node, loop) or method in model.methods:
        return False
    assert loop is not None
    # A concrete parent model: bulk_create() raises for multi-table children, bulk_update() splits the rows.
    multi_table = bool(model.parents) and not model.proxy
    return not multi_table and not _busy(node, loop, events)


def bulk_create_edit(
    call: nodes.NodeNG, loop: nodes.NodeNG | None, model: ModelInfo | None, events: Events, senders: frozenset[str]
) -> Edit | None:
    """``Model.objects.create(...)`` per item of ``loop``: build ``Model(...)`` objects, one ``bulk_create()``.

    ``events`` are the analysis's events of the file; another one in the loop means no edit. ``senders`` are the
    models with save receivers (``analyzer.fix.signals``).
    """
    if not isinstance(call, nodes.Call) or not _eligible(call, loop, model, events, "save"):
        return None
    assert model is not None
    if sends_save_signals(model.name, senders):
        return None
    func = call.func
    plain = (
        isinstance(func, nodes.Attribute)
        and func.attrname == "create"
        and isinstance(func.expr, nodes.Attribute)
        and func.expr.attrname == "objects"
        and isinstance(func.expr.expr, nodes.Name)
        and func.expr.expr.name == model.name
    )
    return node_edit(call, BULK_CREATE, (model.name,), Applicability.UNSAFE) if plain else None


def _update_fields(call: nodes.Call) -> list[str] | None:
    """The literal ``update_fields=[...]`` of a ``save()``, [] without one, None for any other argument."""
    if call.args:
        return None
    fields: list[str] = []
    for keyword in call.keywords or ():
        if keyword.arg != "update_fields" or not isinstance(keyword.value, (nodes.List, nodes.Tuple)):
            return None
        for element in keyword.value.elts:
            if not isinstance(element, nodes.Const) or not isinstance(element.value, str):
                return None
            fields.append(element.value)
        if not fields:
            return None  # update_fields=[] saves nothing
    return fields


def _assigned_fields(loop: nodes.For, name: str) -> list[str]:
    assigned: list[str] = []
    for assign in loop.nodes_of_class(nodes.AssignAttr):
        if isinstance(assign.expr, nodes.Name) and assign.expr.name == name and assign.attrname not in assigned:
            assigned.append(assign.attrname)
    return assigned


def _writable(model: ModelInfo, name: str) -> bool:
    if name in _PRIMARY_KEYS:
        return False
    found = model.field(name)
    if found is None and name.endswith("_id"):
        found = model.field(name[:-3])
        return found is not None and found.attname == name
    return found is not None and found.kind in _WRITABLE_KINDS


def bulk_update_edit(
    call: nodes.NodeNG, loop: nodes.NodeNG | None, model: ModelInfo | None, events: Events, senders: frozenset[str]
) -> Edit | None:
    """``obj.field = value; obj.save()`` per row of ``loop``: collect the rows, one ``bulk_update()`` after it.

    The fields are ``save(update_fields=[...])``'s, else the ones assigned on the loop variable in the loop.
    """
    if not isinstance(call, nodes.Call) or not _eligible(call, loop, model, events, "save"):
        return None
    assert model is not None and isinstance(loop, nodes.For)
    if sends_save_signals(model.name, senders):
        return None
    variable = _loop_variable(loop)
    func = call.func
    if variable is None or not isinstance(func, nodes.Attribute) or func.attrname != "save":
        return None
    if not isinstance(func.expr, nodes.Name) or func.expr.name != variable:
        return None
    fields = _update_fields(call)
    if fields is None:
        return None
    fields = fields or _assigned_fields(loop, variable)
    if not fields or not all(_writable(model, name) for name in fields):
        return None
    if not module_binds(call.root(), model.name):
        return None  # the model class is not a name in the module that runs the loop
    return node_edit(call, BULK_UPDATE, (model.name, *fields), Applicability.UNSAFE)


def queryset_delete_edit(
    call: nodes.NodeNG,
    loop: nodes.NodeNG | None,
    model: ModelInfo | None,
    origin: nodes.NodeNG | None,
    events: Events,
) -> Edit | None:
    """``obj.delete()`` per row of a loop over the queryset ``origin``: ``<queryset>.delete()`` instead.

    Only when the loop iterates the queryset expression itself (``origin`` is the loop's iterable), never a list,
    and its body is that one call.
    """
    if not isinstance(call, nodes.Call) or not _eligible(call, loop, model, events, "delete"):
        return None
    if call.args or call.keywords:
        return None
    assert isinstance(loop, nodes.For)
    if len(loop.body) != 1 or loop.orelse:
        return None  # the loop does more than delete its rows
    variable = _loop_variable(loop)
    func = call.func
    if variable is None or not isinstance(func, nodes.Attribute) or func.attrname != "delete":
        return None
    if not isinstance(func.expr, nodes.Name) or func.expr.name != variable:
        return None
    if origin is None or origin is not loop.iter or not isinstance(origin, nodes.Call):
        return None
    return node_edit(call, QUERYSET_DELETE, (), Applicability.UNSAFE)
