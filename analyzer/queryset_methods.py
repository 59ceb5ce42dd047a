"""Queryset semantics as data: every QuerySet method Django has, by what it returns (a queryset with the same eager
loading, one instance, an ``(instance, created)`` pair, a plain value, a dict of instances, or a write), which
methods run a query, their async twins, which methods a related manager runs past its prefetch cache, and which uses
of a queryset do not fetch its rows. ``analyzer.queryset`` holds what a queryset loads (its state);
``analyzer.flow.querysets`` applies these tables. A new QuerySet method is one entry here (and, when it changes what
is loaded, one branch of ``QuerySetSemantics.apply_state``).
"""

from __future__ import annotations

from enum import StrEnum


class MethodKind(StrEnum):
    KEEP = "keep"  # returns a queryset with the same eager loading
    INSTANCE = "instance"  # returns one model instance
    INSTANCE_TUPLE = "instance_tuple"  # (instance, created)
    VALUE = "value"  # a number, bool, dict or None: the rows are not used
    DICT_OF_INSTANCES = "dict_of_instances"
    WRITE = "write"  # update/delete/bulk writes


KEEP_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "order_by",
        "distinct",
        "using",
        "select_for_update",
        "reverse",
        "none",
        "union",
        "intersection",
        "difference",
        "extra",
        "complex_filter",
        "alias",
        "get_queryset",
        "iterator",
        "select_related",
        "prefetch_related",
        "only",
        "defer",
        "annotate",
        "values",
        "values_list",
        "dates",
        "datetimes",
    }
)
INSTANCE_METHODS = frozenset({"get", "first", "last", "latest", "earliest", "create"})
INSTANCE_TUPLE_METHODS = frozenset({"get_or_create", "update_or_create"})
VALUE_METHODS = frozenset({"count", "exists", "aggregate", "contains", "explain"})
WRITE_METHODS = frozenset({"update", "delete", "bulk_create", "bulk_update"})
# Methods that run a query when called (as opposed to building a new lazy queryset).
EVALUATING_METHODS = INSTANCE_METHODS | INSTANCE_TUPLE_METHODS | VALUE_METHODS | WRITE_METHODS | frozenset({"in_bulk"})

# A related manager ignores its prefetch cache for these (``book.reviews.filter(...)`` runs a query per row).
RELATED_BYPASS_METHODS = frozenset(
    {"filter", "exclude", "order_by", "first", "last", "get", "latest", "earliest", "values", "values_list"}
)
# Methods that aggregate over a related manager's rows in the database.
AGGREGATE_METHODS = frozenset({"count", "exists", "aggregate"})
# ``acount()`` and the other async twins do what their sync method does.
ASYNC_METHODS = {f"a{name}": name for name in EVALUATING_METHODS | {"iterator"}}
# A queryset used only as the receiver of these is not fetched row by row.
NON_EVALUATING_RECEIVER_METHODS = frozenset(
    {
        "count",
        "exists",
        "filter",
        "exclude",
        "order_by",
        "annotate",
        "aggregate",
        "update",
        "delete",
        "select_related",
        "prefetch_related",
        "only",
        "defer",
        "distinct",
        "none",
        "values",
        "values_list",
        "acount",
        "aexists",
    }
)


# The tables by what their methods return; a method in two tables has the kind of the first.
_TABLES = (
    (MethodKind.KEEP, KEEP_METHODS),
    (MethodKind.INSTANCE, INSTANCE_METHODS),
    (MethodKind.INSTANCE_TUPLE, INSTANCE_TUPLE_METHODS),
    (MethodKind.VALUE, VALUE_METHODS),
    (MethodKind.DICT_OF_INSTANCES, frozenset({"in_bulk"})),
    (MethodKind.WRITE, WRITE_METHODS),
)
METHOD_KINDS: dict[str, MethodKind] = {name: kind for kind, names in reversed(_TABLES) for name in names}


def method_kind(name: str) -> MethodKind | None:
    """What a queryset method returns, or None for a method Django's QuerySet does not have."""
    return METHOD_KINDS.get(name)
