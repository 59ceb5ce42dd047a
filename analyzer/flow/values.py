"""The abstract values the flow computes for expressions: querysets, model instances, collections and the like.

Values are frozen and hashable so that function summaries can be memoised by their arguments. ``loop`` fields
hold the astroid node of the loop (``For``, a comprehension, or a ``sorted(key=...)`` call) that produces rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from astroid import nodes

from analyzer.modelgraph import FieldInfo
from analyzer.queryset import QuerySetState


@dataclass(frozen=True)
class Origin:
    """Where a queryset was built: the place a fix goes."""

    path: str
    line: int
    text: str  # "Book.objects.filter(...)"
    node: nodes.NodeNG = field(compare=False, hash=False, repr=False)


class Value:
    """Base of every abstract value."""


@dataclass(frozen=True)
class Unknown(Value):
    pass


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Constant(Value):
    """A constant the code spells out: ``None``, a boolean or a string (``save=False``, ``action == "list"``)."""

    value: str | bool | None


@dataclass(frozen=True)
class Nothing(Value):
    """The element of an empty literal collection: joins to whatever is added later."""


NOTHING = Nothing()


@dataclass(frozen=True)
class Tainted(Value):
    """An unknown value that changes from one iteration of these loops to the next (a loop variable's field)."""

    loops: frozenset[nodes.NodeNG]


@dataclass(frozen=True)
class RowRef:
    """The queryset a model instance came from; ``loop`` is set while the instance is a per-row loop variable."""

    state: QuerySetState
    origin: Origin
    loop: nodes.NodeNG | None = None


@dataclass(frozen=True)
class Instance(Value):
    """A model instance; ``prefix`` is the relation path from the queryset's rows to this instance."""

    model: str
    row: RowRef | None = None
    prefix: str = ""
    born_in: nodes.NodeNG | None = None  # the innermost loop the instance was created or fetched in
    new: bool = False  # built with Model(...), not loaded


@dataclass(frozen=True)
class QuerySet(Value):
    """A queryset or manager of ``model``. For rows of a prefetched relation, ``state`` is the root queryset's
    state and ``prefix`` the relation path from its rows."""

    model: str
    state: QuerySetState
    origin: Origin
    prefix: str = ""
    is_manager: bool = False
    manager_classes: tuple[str, ...] = ()
    taint: frozenset[nodes.NodeNG] = frozenset()
    from_related: bool = False  # built from a related manager: per-row queries there are ORM1xx/ORM202 events
    related: RelatedManager | None = None  # set while it still reads a prefetched relation's cache


@dataclass(frozen=True)
class RelatedManager(Value):
    """``author.books``: the related manager of an instance."""

    owner: Instance
    relation: FieldInfo
    path: str  # relation path from the owner's queryset rows
    text: str  # the expression as written, "author.books"


@dataclass(frozen=True)
class ModelClass(Value):
    model: str


@dataclass(frozen=True)
class Collection(Value):
    """A list, set, iterator or generator whose elements are ``element``."""

    element: Value


@dataclass(frozen=True)
class TupleOf(Value):
    items: tuple[Value, ...]


@dataclass(frozen=True)
class DictOf(Value):
    key: Value
    value: Value


@dataclass(frozen=True)
class Function(Value):
    """A project function or lambda; ``closure`` holds the values a lambda sees from its defining frame."""

    node: nodes.NodeNG
    modname: str
    closure: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True)
class Builtin(Value):
    name: str


@dataclass(frozen=True)
class BoundMethod(Value):
    receiver: Value
    name: str
    node: nodes.NodeNG | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class ClassRef(Value):
    """A project class that is not a model (a view, a form, a service)."""

    qualname: str


@dataclass(frozen=True)
class ModuleRef(Value):
    """A project module used as a namespace: ``selectors.books_in_print()``."""

    modname: str


@dataclass(frozen=True)
class ObjectOf(Value):
    """An instance of a project class that is not a model, such as ``self`` in a view."""

    qualname: str


@dataclass(frozen=True)
class PrefetchObject(Value):
    lookup: str | None
    queryset: QuerySetState | None
    to_attr: str | None
    unknown: bool = False


def retag(value: Value, loop: nodes.NodeNG | None) -> Value:
    """The value as a loop variable of ``loop``: instances become per-row, unknowns become loop-dependent."""
    if isinstance(value, Instance):
        row = replace(value.row, loop=loop) if value.row is not None else None
        return replace(value, row=row, born_in=loop or value.born_in)
    if isinstance(value, TupleOf):
        return TupleOf(tuple(retag(item, loop) for item in value.items))
    if loop is None:
        return value
    if isinstance(value, Tainted):
        return Tainted(value.loops | {loop})
    if isinstance(value, Unknown):
        return Tainted(frozenset({loop}))
    return value


def join(first: Value | None, second: Value | None) -> Value:
    """The value on either of two paths; eager loading survives only where both paths load it."""
    if first is None or isinstance(first, Nothing):
        return second if second is not None else UNKNOWN
    if second is None or isinstance(second, Nothing) or first == second:
        return first
    if isinstance(first, Tainted) or isinstance(second, Tainted):
        loops = (first.loops if isinstance(first, Tainted) else frozenset()) | (
            second.loops if isinstance(second, Tainted) else frozenset()
        )
        return Tainted(loops)
    if isinstance(first, QuerySet) and isinstance(second, QuerySet):
        if first.state.empty != second.state.empty:
            # ``none()`` on one branch (an anonymous user, schema generation): its rows never exist, so the other
            # branch's queryset, with its own eager loading and origin, is what the rows come from.
            return second if first.state.empty else first
        if first.model != second.model or first.prefix != second.prefix:
            return UNKNOWN
        state = first.state.join(second.state)
        if state is None:
            return UNKNOWN
        return replace(
            first,
            state=state,
            taint=first.taint | second.taint,
            is_manager=first.is_manager and second.is_manager,
            related=first.related if first.related == second.related else None,
        )
    if isinstance(first, Instance) and isinstance(second, Instance):
        if first.model != second.model:
            return UNKNOWN
        if first.row is None or second.row is None or first.prefix != second.prefix:
            return replace(first, row=None)
        state = first.row.state.join(second.row.state)
        if state is None:
            return replace(first, row=None)
        loop = first.row.loop if first.row.loop == second.row.loop else None
        return replace(first, row=RowRef(state, first.row.origin, loop))
    if isinstance(first, Collection) and isinstance(second, Collection):
        return Collection(join(first.element, second.element))
    if isinstance(first, DictOf) and isinstance(second, DictOf):
        return DictOf(join(first.key, second.key), join(first.value, second.value))
    return UNKNOWN
