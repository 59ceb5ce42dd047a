"""Flow events: what the evaluator saw happen per row or per loop iteration. Rules turn them into findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from astroid import nodes

from analyzer.findings import RelatedLocation
from analyzer.flow.values import Origin


class EventKind(StrEnum):
    RELATED_ACCESS = "related_access"  # a forward FK/O2O or reverse O2O loaded per row
    RELATED_MANAGER = "related_manager"  # a reverse FK / M2M manager queried per row
    GENERIC_RELATION = "generic_relation"  # a GenericForeignKey or GenericRelation loaded per row
    PREFETCH_BYPASS = "prefetch_bypass"  # a query method on a prefetched relation, per row
    DEFERRED_FIELD = "deferred_field"  # a field left out by only()/defer(), read per row
    PROPERTY = "property"  # a property, method or __str__ reading relations, used per row
    QUERY_IN_LOOP = "query_in_loop"
    RELATED_AGGREGATE = "related_aggregate"  # count()/exists()/aggregate() on a related manager per row
    SAVE_IN_LOOP = "save_in_loop"
    CREATE_IN_LOOP = "create_in_loop"
    DELETE_IN_LOOP = "delete_in_loop"
    LEN_QUERYSET = "len_queryset"
    QUERYSET_TRUTHINESS = "queryset_truthiness"
    COUNT_FOR_EXISTENCE = "count_for_existence"  # count()/len() of a queryset used only to test for a row
    RELATED_ID = "related_id"  # obj.fk.id / obj.fk.pk: the related row loaded only for the key obj.fk_id holds
    # A relation or deferred field read per row of a FETCH_RAISE queryset: raises FieldFetchBlocked. inner_kind is
    # the load it would be (RELATED_ACCESS, GENERIC_RELATION or DEFERRED_FIELD).
    FETCH_RAISE_LOAD = "fetch_raise_load"


@dataclass(frozen=True)
class FlowEvent:
    """One event at ``node`` (in the file ``path``). ``relation_path`` is relative to the queryset's model."""

    kind: EventKind
    node: nodes.NodeNG = field(compare=False, hash=False, repr=False)
    path: str
    line: int
    text: str  # the expression as written: "book.author", "Book.objects.get(...)"
    loop: nodes.NodeNG | None = field(default=None, compare=False, hash=False, repr=False)
    loop_line: int | None = None
    model: str | None = None  # the model that owns the field
    field: str | None = None
    target: str | None = None  # the related model
    relation_path: str = ""
    origin: Origin | None = None
    method: str | None = None
    prefix_selected: bool = False  # the path's prefix is select_related, the last step is not (ORM104)
    through_prefetch: bool = False  # the rows come through a prefetched relation: fixes use prefetch_related
    remote_field: str | None = None
    via: tuple[RelatedLocation, ...] = ()
    inner_kind: EventKind | None = None  # for PROPERTY and FETCH_RAISE_LOAD: what it does per row
    detail: str = ""  # property qualname, fields assigned before save(), and the like
