"""The edits findings carry: built by the rules from astroid nodes at analysis time, applied later by ``--fix``.

An edit names one expression by its span (converted here from astroid's UTF-8 byte offsets to 1-based character
columns, which is what libcst counts), the kind of change and its arguments, and the content hash of the text the
node was parsed from. A helper returns ``None`` when the node is not something the fixer can change with
certainty (a bare name, a node without a position, a tree without its source text): no edit is better than a
wrong one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from astroid import nodes

from analyzer.findings import Applicability, Edit

SELECT_RELATED = "select_related"
PREFETCH_RELATED = "prefetch_related"
ONLY = "only"
LIST_SELECT_RELATED = "list_select_related"
COUNT = "count"
EXISTS = "exists"
ANNOTATE_COUNT = "annotate_count"
VIEW_QUERYSET = "view_queryset"
PREFETCH_FILTERED = "prefetch_filtered"
BULK_CREATE = "bulk_create"
BULK_UPDATE = "bulk_update"
QUERYSET_DELETE = "queryset_delete"

SAFE_KINDS = frozenset({SELECT_RELATED, PREFETCH_RELATED, ONLY, LIST_SELECT_RELATED, COUNT, EXISTS, VIEW_QUERYSET})
UNSAFE_KINDS = frozenset({ANNOTATE_COUNT, PREFETCH_FILTERED, BULK_CREATE, BULK_UPDATE, QUERYSET_DELETE})
EAGER_METHODS = (SELECT_RELATED, PREFETCH_RELATED)
# Chain methods after which an added eager load cannot help: no rows, rows that are not model instances, or a
# combined query. The fixer refuses them too; checking here keeps the text report from promising a fix.
_NO_EAGER_AFTER = frozenset({"none", "values", "values_list", "union", "intersection", "difference", "raw"})
# What a queryset expression can be for an eager-loading edit: a method chain, a call returning a queryset, or a
# manager attribute. A bare name is refused: the edit would go on a variable, not where the queryset is built.
_QUERYSET_EXPRESSIONS = (nodes.Call, nodes.Attribute)


def text_digest(text: str) -> str:
    """The content hash edits are checked against: of the decoded text, so it does not depend on the encoding."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _module_lines(node: nodes.NodeNG) -> tuple[list[bytes], str] | None:
    module = node.root()
    data = getattr(module, "file_bytes", None)
    if not isinstance(data, bytes):
        return None
    return data.split(b"\n"), text_digest(data.decode("utf-8", "surrogatepass"))


def _character_column(lines: list[bytes], line: int, byte_offset: int) -> int | None:
    if not 1 <= line <= len(lines):
        return None
    try:
        return len(lines[line - 1][:byte_offset].decode("utf-8", "surrogatepass"))
    except UnicodeDecodeError:
        return None


def node_edit(
    node: nodes.NodeNG,
    kind: str,
    arguments: Iterable[str],
    applicability: Applicability = Applicability.SAFE,
) -> Edit | None:
    """An edit of ``node``'s expression, or None when its position or source is unknown."""
    source = _module_lines(node)
    if source is None or node.lineno is None or node.end_lineno is None:
        return None
    if node.col_offset is None or node.end_col_offset is None:
        return None
    lines, digest = source
    column = _character_column(lines, node.lineno, node.col_offset)
    end_column = _character_column(lines, node.end_lineno, node.end_col_offset)
    if column is None or end_column is None:
        return None
    return Edit(
        kind=kind,
        applicability=applicability,
        line=node.lineno,
        column=column + 1,
        end_line=node.end_lineno,
        end_column=end_column + 1,
        arguments=tuple(arguments),
        digest=digest,
    )


def _innermost_receiver(node: nodes.NodeNG) -> tuple[nodes.NodeNG, str | None]:
    """The expression the first method call of a chain is made on, and that method (None without a call)."""
    method: str | None = None
    current = node
    while True:
        if isinstance(current, nodes.Call) and isinstance(current.func, nodes.Attribute):
            method = current.func.attrname
            current = current.func.expr
        elif isinstance(current, nodes.Call):
            return current, method
        elif isinstance(current, nodes.Attribute) and method is None:
            return current, None
        else:
            return current, method


def _chain_methods(node: nodes.NodeNG) -> set[str]:
    found: set[str] = set()
    current = node
    while isinstance(current, (nodes.Call, nodes.Attribute)):
        if isinstance(current, nodes.Call):
            if not isinstance(current.func, nodes.Attribute):
                break
            found.add(current.func.attrname)
            current = current.func.expr
        else:
            current = current.expr
    return found


def reads_related_manager(node: nodes.NodeNG) -> bool:
    """``order.lines.all()`` or ``self.speakers``: the rows of an instance's related manager, which a caller may
    have prefetched. ``.all()`` then reads the prefetch cache, and adding a join there would query once per
    instance. A model's manager (``Book.objects``, a class name in CapWords) and function results are not."""
    receiver, method = _innermost_receiver(node)
    if method not in (None, "all") or not isinstance(receiver, nodes.Attribute):
        return False
    base = receiver.expr
    return not (isinstance(base, nodes.Name) and base.name[:1].isupper())


def eager_loading_edit(node: nodes.NodeNG | None, method: str, lookups: Iterable[str]) -> Edit | None:
    """Add ``lookups`` to ``.select_related()`` / ``.prefetch_related()`` on the queryset expression ``node``.

    Safe, except on an instance's related manager read through ``.all()``, where it may bypass a prefetch.
    """
    paths = tuple(dict.fromkeys(lookups))
    if node is None or method not in EAGER_METHODS or not paths or not all(paths):
        return None
    if not isinstance(node, _QUERYSET_EXPRESSIONS):
        return None
    if _chain_methods(node) & _NO_EAGER_AFTER:
        return None
    applicability = Applicability.UNSAFE if reads_related_manager(node) else Applicability.SAFE
    return node_edit(node, method, paths, applicability)


def view_model_assignment(node: nodes.NodeNG | None) -> bool:
    """``model = Review`` in a class body: a generic view listing the model's default manager."""
    if not isinstance(node, nodes.Name):
        return False
    assign = node.parent
    if not isinstance(assign, nodes.Assign) or assign.value is not node or len(assign.targets) != 1:
        return False
    target = assign.targets[0]
    return isinstance(target, nodes.AssignName) and target.name == "model" and isinstance(assign.parent, nodes.ClassDef)


def view_queryset_edit(node: nodes.NodeNG | None, manager: str, method: str, lookups: Iterable[str]) -> Edit | None:
    """Give a view that only sets ``model = X`` a ``queryset = X.<manager>.<method>(...)`` right below it: the
    rows Django's ``get_queryset()`` lists (``X._default_manager.all()``), with the lookups loaded."""
    paths = tuple(dict.fromkeys(lookups))
    if not view_model_assignment(node) or method not in EAGER_METHODS or not paths or not all(paths):
        return None
    assert node is not None
    return node_edit(node, VIEW_QUERYSET, (manager, method, *paths))


def annotate_count_edit(origin: nodes.NodeNG | None, read: nodes.NodeNG, lookup: str, annotation: str) -> Edit | None:
    """Annotate the queryset ``origin`` with ``Count(lookup)`` and read the annotation at ``read``
    (``owner.relation.count()``). Both must be in one file; always unsafe (see ``analyzer.fix.annotations``)."""
    if origin is None or not isinstance(origin, _QUERYSET_EXPRESSIONS) or _chain_methods(origin) & _NO_EAGER_AFTER:
        return None
    if origin.root() is not read.root() or not isinstance(read, nodes.Call) or read.args or read.keywords:
        return None
    if not isinstance(read.func, nodes.Attribute) or read.func.attrname != "count":
        return None
    if not isinstance(read.func.expr, nodes.Attribute):
        return None
    read_span = node_edit(read, ANNOTATE_COUNT, ())
    if read_span is None:
        return None
    where = f"{read_span.line}:{read_span.column}:{read_span.end_line}:{read_span.end_column}"
    return node_edit(origin, ANNOTATE_COUNT, (lookup, annotation, where), Applicability.UNSAFE)


def _module_level_names_only(node: nodes.NodeNG) -> bool:
    """Every name ``node`` reads is bound at module level (an import, a constant), so it means the same where
    the queryset is built as at the read."""
    for name in node.nodes_of_class(nodes.Name):
        scope, assignments = name.lookup(name.name)
        if not assignments or not isinstance(scope, nodes.Module):
            return False
    return True


def module_binds(module: nodes.Module, name: str) -> bool:
    """``name`` is imported or defined at the top of ``module`` (the trees are built without astroid's import
    locals, so the statements are read)."""
    for statement in module.body:
        if isinstance(statement, (nodes.ImportFrom, nodes.Import)):
            if any((alias or imported.rpartition(".")[2]) == name for imported, alias in statement.names):
                return True
        elif isinstance(statement, nodes.ClassDef) and statement.name == name:
            return True
    return False


def _iterated(node: nodes.NodeNG) -> bool:
    """The rows of ``node`` are only iterated (a for loop, a comprehension, ``list()`` and the like), so a list
    can take the queryset's place."""
    parent = node.parent
    if isinstance(parent, (nodes.For, nodes.Comprehension)):
        return parent.iter is node
    return (
        isinstance(parent, nodes.Call)
        and isinstance(parent.func, nodes.Name)
        and parent.func.name in ("list", "tuple", "set", "sorted", "len", "any", "all")
        and node in parent.args
    )


def prefetch_filtered_edit(
    origin: nodes.NodeNG | None, read: nodes.NodeNG, lookup: str, to_attr: str, model: str, method: str
) -> Edit | None:
    """Prefetch ``lookup`` through ``Prefetch(..., queryset=<model>.objects.<method>(<read's arguments>),
    to_attr=...)`` on ``origin`` and read ``to_attr`` at ``read`` (``owner.relation.<method>(...)``). Always unsafe
    (see ``analyzer.fix.prefetches``); offered only when that cannot change what the code computes."""
    if method not in ("filter", "exclude", "order_by") or "__" in lookup:
        return None
    if origin is None or not isinstance(origin, _QUERYSET_EXPRESSIONS) or _chain_methods(origin) & _NO_EAGER_AFTER:
        return None
    if origin.root() is not read.root() or not isinstance(read, nodes.Call) or not _iterated(read):
        return None
    func = read.func
    if not isinstance(func, nodes.Attribute) or func.attrname != method or not isinstance(func.expr, nodes.Attribute):
        return None
    if not all(_module_level_names_only(argument) for argument in (*read.args, *(read.keywords or ()))):
        return None
    if not module_binds(origin.root(), model):
        return None  # the model class is not a name in the module that builds the queryset
    read_span = node_edit(read, PREFETCH_FILTERED, ())
    if read_span is None:
        return None
    where = f"{read_span.line}:{read_span.column}:{read_span.end_line}:{read_span.end_column}"
    return node_edit(origin, PREFETCH_FILTERED, (lookup, to_attr, model, method, where), Applicability.UNSAFE)


def only_edit(node: nodes.NodeNG | None, field_name: str | None) -> Edit | None:
    """Add ``field_name`` to the ``.only(...)`` call of the queryset expression ``node``."""
    if node is None or not field_name or not isinstance(node, nodes.Call):
        return None
    return node_edit(node, ONLY, (field_name,))


def list_select_related_edit(
    classdef: nodes.ClassDef | None, lookups: Iterable[str], applicability: Applicability = Applicability.SAFE
) -> Edit | None:
    """Set ``list_select_related`` on a ModelAdmin to ``lookups`` (the paths it lists already, then the new one).

    The span is the ``class`` line; the class name goes first in the arguments, so the fixer checks both.
    """
    paths = tuple(dict.fromkeys(lookups))
    if classdef is None or not paths:
        return None
    source = _module_lines(classdef)
    if source is None or classdef.lineno is None:
        return None
    _, digest = source
    return Edit(
        kind=LIST_SELECT_RELATED,
        applicability=applicability,
        line=classdef.lineno,
        column=1,
        end_line=classdef.lineno,
        end_column=1,
        arguments=(classdef.name, *paths),
        digest=digest,
    )


def _fresh_or_local(operand: nodes.NodeNG) -> bool:
    """A queryset only this expression sees: a local name (the rule checked its other uses) or a call.

    An attribute (``self.invitations``, a cached property) may hold rows that other code iterates: ``len()`` or a
    truth test loads them once for everyone, and the replacement would add a query instead of saving one.
    """
    return isinstance(operand, (nodes.Name, nodes.Call))


def count_edit(call: nodes.NodeNG) -> Edit | None:
    """``len(qs)`` whose rows are not used otherwise becomes ``qs.count()``."""
    if not isinstance(call, nodes.Call) or len(call.args) != 1 or call.keywords:
        return None
    if not isinstance(call.func, nodes.Name) or call.func.name != "len" or not _fresh_or_local(call.args[0]):
        return None
    return node_edit(call, COUNT, ())


def exists_edit(tested: nodes.NodeNG) -> Edit | None:
    """A queryset tested only for a row (``if qs:``, ``bool(qs)``) becomes ``qs.exists()``."""
    if isinstance(tested, nodes.Call) and isinstance(tested.func, nodes.Name) and tested.func.name == "bool":
        if len(tested.args) != 1 or tested.keywords or not _fresh_or_local(tested.args[0]):
            return None
        return node_edit(tested, EXISTS, ())
    return node_edit(tested, EXISTS, ()) if _fresh_or_local(tested) else None
