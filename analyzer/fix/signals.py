"""The models the project connects ``pre_save``/``post_save`` receivers to: the bulk-write edits skip those models.

``bulk_create()`` and ``bulk_update()`` send neither signal, so turning a per-row ``save()`` or ``create()`` into
one of them would silently stop whatever a receiver does (a cache invalidated, a log written). Receivers are found
as ``@receiver(post_save, sender=Model)`` and ``post_save.connect(handler, sender=Model)``, anywhere in the
project; a receiver without a sender (or with one the source does not name plainly) listens to every model.
"""

from __future__ import annotations

from collections.abc import Iterable

from astroid import nodes

from analyzer.context import FileContext

SAVE_SIGNALS = frozenset({"pre_save", "post_save"})
ANY_SENDER = "*"


def _name(node: nodes.NodeNG) -> str | None:
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Attribute):
        return str(node.attrname)
    return None


def _signals(node: nodes.NodeNG) -> list[str | None]:
    elements = node.elts if isinstance(node, (nodes.List, nodes.Tuple)) else [node]
    return [_name(element) for element in elements]


def _sender(call: nodes.Call) -> str:
    """The model class name a connection names as its sender; ``ANY_SENDER`` for none or one not named plainly."""
    for keyword in call.keywords or ():
        if keyword.arg != "sender":
            continue
        value = keyword.value
        if isinstance(value, nodes.Const) and isinstance(value.value, str):
            return value.value.rpartition(".")[2]  # a lazy "app_label.Model"
        return _name(value) or ANY_SENDER
    return ANY_SENDER


def save_receiver_senders(modules: Iterable[nodes.Module]) -> frozenset[str]:
    """The class names of the models that have a ``pre_save``/``post_save`` receiver (``ANY_SENDER`` for all)."""
    senders: set[str] = set()
    for module in modules:
        for call in module.nodes_of_class(nodes.Call):
            func = call.func
            if isinstance(func, nodes.Name) and func.name == "receiver" and call.args:
                signals = _signals(call.args[0])
            elif isinstance(func, nodes.Attribute) and func.attrname == "connect":
                signals = [_name(func.expr)]
            else:
                continue
            if SAVE_SIGNALS.intersection(name for name in signals if name):
                senders.add(_sender(call))
    return frozenset(senders)


def sends_save_signals(model: str, senders: frozenset[str]) -> bool:
    return model in senders or ANY_SENDER in senders


def save_receivers(context: FileContext) -> frozenset[str]:
    """``save_receiver_senders`` of the whole project, found once for every file and rule."""
    project = context.project
    return project.shared("fix.save_receivers", lambda: save_receiver_senders(project.modules.values()))
