"""The state of a queryset as the flow sees it: which model, what is loaded eagerly, deferred or annotated.

Paths are relation paths from the queryset's model joined with ``__`` ("book__author"); every prefix of a
select_related / prefetch_related path is recorded too, because Django loads them all. ``Prefetch(..., to_attr=)``
records the attribute path the rows expose, mapped to the relation path it holds.

The fetch mode (Django 6.1's ``fetch_mode()``) is the rows' own; the objects loaded from them take it, as Django
copies it, except the rows of a prefetched to-many relation, which Django loads with the related model's own
queryset (FETCH_ONE) unless a ``Prefetch`` queryset gives them its mode.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from analyzer.modelgraph import FieldKind, ModelGraph

# Django's select_related() without arguments follows non-null forward FKs this deep.
_SELECT_ALL_DEPTH = 5


class FetchMode(StrEnum):
    """How a row loads a relation or deferred field it does not hold (Django 6.1; before, always ONE)."""

    ONE = "FETCH_ONE"  # one query per instance: the N+1
    PEERS = "FETCH_PEERS"  # one query for every instance fetched together: not an N+1
    RAISE = "FETCH_RAISE"  # the read raises FieldFetchBlocked
    UNKNOWN = "unknown"  # set from an expression the analysis cannot read: nothing is reported


def fetch_mode_named(name: str | None) -> FetchMode:
    """``models.FETCH_PEERS`` and the like, by the name at the end of the expression."""
    for mode in (FetchMode.ONE, FetchMode.PEERS, FetchMode.RAISE):
        if name == mode.value:
            return mode
    return FetchMode.UNKNOWN


def _with_prefixes(path: str) -> set[str]:
    parts = path.split("__")
    return {"__".join(parts[: index + 1]) for index in range(len(parts))}


@dataclass(frozen=True)
class QuerySetState:
    """What one queryset loads. ``eager_unknown`` means a path came from a non-literal argument."""

    model: str
    select_related: frozenset[str] = frozenset()
    prefetch_related: frozenset[str] = frozenset()
    to_attr: tuple[tuple[str, str], ...] = ()  # (attribute path on the rows, relation path it holds)
    only_fields: frozenset[str] | None = None
    deferred_fields: frozenset[str] = frozenset()
    values_mode: bool = False
    annotations: frozenset[str] = frozenset()
    iterator: bool = False
    eager_unknown: bool = False
    empty: bool = False  # built with none(): it has no rows, whatever else it says
    fetch_mode: FetchMode = FetchMode.ONE
    # The modes of prefetched relations whose Prefetch queryset sets one: (relation or attribute path, mode).
    path_fetch_modes: tuple[tuple[str, FetchMode], ...] = ()

    # -- questions ---------------------------------------------------------------------------------------------
    def is_selected(self, path: str) -> bool:
        return path in self.select_related

    def is_prefetched(self, path: str) -> bool:
        # Prefetches are ignored by iterator() without chunk_size; the flow cannot see chunk_size reliably,
        # so it keeps trusting the prefetch rather than risk a false alarm.
        return path in self.prefetch_related

    def is_eager(self, path: str) -> bool:
        return self.eager_unknown or self.is_selected(path) or self.is_prefetched(path)

    def to_attr_path(self, attribute_path: str) -> str | None:
        return next((relation for attribute, relation in self.to_attr if attribute == attribute_path), None)

    def is_deferred(self, name: str) -> bool:
        if self.eager_unknown:
            return False
        if name in self.deferred_fields:
            return True
        return self.only_fields is not None and name not in self.only_fields

    def fetch_mode_at(self, prefix: str, graph: ModelGraph) -> FetchMode:
        """The fetch mode of the objects at ``prefix`` from the rows ("" for the rows themselves)."""
        mode = self.fetch_mode
        if not prefix:
            return mode
        recorded = dict(self.path_fetch_modes)
        steps = graph.resolve_path(self.model, prefix)
        parts = prefix.split("__")
        for depth in range(len(parts)):
            path = "__".join(parts[: depth + 1])
            if path in recorded:
                mode = recorded[path]
            elif steps is not None and depth < len(steps) and steps[depth].is_manager:
                mode = FetchMode.ONE
        return mode

    # -- transitions -------------------------------------------------------------------------------------------
    def with_fetch_mode(self, mode: FetchMode) -> QuerySetState:
        return replace(self, fetch_mode=mode)

    def with_select_related(self, paths: list[str] | None, graph: ModelGraph) -> QuerySetState:
        """``paths`` None means a non-literal argument; an empty list is ``select_related()`` (all non-null FKs)."""
        if paths is None:
            return replace(self, eager_unknown=True)
        added: set[str] = set()
        if not paths:
            added = self._non_null_chains(graph)
        for path in paths:
            added |= _with_prefixes(path)
        return replace(self, select_related=self.select_related | added)

    def _non_null_chains(self, graph: ModelGraph) -> set[str]:
        found: set[str] = set()
        frontier: list[tuple[str, str]] = [(self.model, "")]
        for _ in range(_SELECT_ALL_DEPTH):
            following: list[tuple[str, str]] = []
            for model, prefix in frontier:
                info = graph.get(model)
                if info is None:
                    continue
                for relation in info.fields.values():
                    if relation.kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE) and not relation.null:
                        path = f"{prefix}__{relation.name}" if prefix else relation.name
                        if path not in found and relation.target:
                            found.add(path)
                            following.append((relation.target, path))
            frontier = following
        return found

    def with_prefetch(self, paths: list[str] | None) -> QuerySetState:
        if paths is None:
            return replace(self, eager_unknown=True)
        added: set[str] = set()
        for path in paths:
            added |= _with_prefixes(path)
        return replace(self, prefetch_related=self.prefetch_related | added)

    def with_prefetch_object(self, lookup: str, inner: QuerySetState | None, to_attr: str | None) -> QuerySetState:
        """``Prefetch(lookup, queryset=inner, to_attr=to_attr)``: the inner state applies under the prefix."""
        head, _, _ = lookup.rpartition("__")
        attribute = f"{head}__{to_attr}" if head and to_attr else (to_attr or lookup)
        added = _with_prefixes(attribute) | (_with_prefixes(head) if head else set())
        to_attrs = self.to_attr
        if to_attr:
            to_attrs = (*to_attrs, (attribute, lookup))
        modes = self.path_fetch_modes
        if inner is not None:
            added |= {f"{attribute}__{path}" for path in inner.select_related | inner.prefetch_related}
            to_attrs = (*to_attrs, *((f"{attribute}__{a}", f"{lookup}__{r}") for a, r in inner.to_attr))
            if inner.eager_unknown:
                return replace(self, eager_unknown=True)
            inner_modes = ((f"{attribute}__{path}", mode) for path, mode in inner.path_fetch_modes)
            modes = (*modes, (attribute, inner.fetch_mode), *inner_modes)
        return replace(self, prefetch_related=self.prefetch_related | added, to_attr=to_attrs, path_fetch_modes=modes)

    def with_only(self, fields: list[str] | None) -> QuerySetState:
        if fields is None:
            return replace(self, eager_unknown=True)
        roots = frozenset(field.split("__")[0] for field in fields)
        only = roots if self.only_fields is None else self.only_fields | roots
        return replace(self, only_fields=only, deferred_fields=self.deferred_fields - roots)

    def with_defer(self, fields: list[str] | None) -> QuerySetState:
        if fields is None:
            return replace(self, eager_unknown=True)
        if not fields:
            return self
        roots = frozenset(field for field in fields if "__" not in field)
        return replace(self, deferred_fields=self.deferred_fields | roots)

    def without_deferral(self) -> QuerySetState:
        """``defer(None)`` clears every deferral."""
        return replace(self, only_fields=None, deferred_fields=frozenset())

    def with_annotations(self, names: list[str]) -> QuerySetState:
        return replace(self, annotations=self.annotations | frozenset(names))

    def as_values(self) -> QuerySetState:
        return replace(self, values_mode=True)

    def as_iterator(self) -> QuerySetState:
        return replace(self, iterator=True)

    def as_empty(self) -> QuerySetState:
        return replace(self, empty=True)

    def join(self, other: QuerySetState) -> QuerySetState | None:
        """The state on either branch: eager only where both are eager (unknown where either is), deferred where
        either defers."""
        if other.model != self.model:
            return None
        if other == self:
            return self
        # An empty queryset (none()) has no rows to load anything for: the other branch's rows are the ones used.
        if self.empty != other.empty:
            return other if self.empty else self
        if self.only_fields is None or other.only_fields is None:
            only = self.only_fields if other.only_fields is None else other.only_fields
        else:
            only = self.only_fields & other.only_fields
        # A branch whose eager loads are computed (``prefetch_related(*lookups)`` under ``if lookups := ...:``)
        # makes them unknown on the join: the project decides at run time what to load, so stay quiet.
        unknown = self.eager_unknown or other.eager_unknown
        return QuerySetState(
            model=self.model,
            select_related=self._eager_paths(self.select_related, other, "select"),
            prefetch_related=self._eager_paths(self.prefetch_related, other, "prefetch"),
            to_attr=tuple(pair for pair in self.to_attr if pair in other.to_attr),
            only_fields=only,
            deferred_fields=self.deferred_fields | other.deferred_fields,
            values_mode=self.values_mode or other.values_mode,
            annotations=self.annotations & other.annotations,
            iterator=self.iterator or other.iterator,
            eager_unknown=unknown,
            fetch_mode=self._joined_fetch_mode(other),
            path_fetch_modes=tuple(pair for pair in self.path_fetch_modes if pair in other.path_fetch_modes),
        )

    def _joined_fetch_mode(self, other: QuerySetState) -> FetchMode:
        # Either branch may run: one that loads one row at a time makes the loop an N+1.
        if self.fetch_mode == other.fetch_mode:
            return self.fetch_mode
        if FetchMode.ONE in (self.fetch_mode, other.fetch_mode):
            return FetchMode.ONE
        return FetchMode.UNKNOWN

    def _eager_paths(self, mine: frozenset[str], other: QuerySetState, kind: str) -> frozenset[str]:
        # A branch with unknown eager loading does not restrict what the other branch loads.
        if other.eager_unknown:
            return mine
        theirs = other.select_related if kind == "select" else other.prefetch_related
        if self.eager_unknown:
            return theirs
        return mine & theirs
