"""QuerySetState: select_related/prefetch_related paths, Prefetch objects, only/defer and joins of branches."""

from __future__ import annotations

from analyzer.modelgraph import FieldInfo, FieldKind, ModelGraph, ModelInfo
from analyzer.queryset import QuerySetState
from analyzer.queryset_methods import MethodKind, method_kind


def _graph() -> ModelGraph:
    def model(label: str, *fields: FieldInfo) -> ModelInfo:
        app, _, name = label.partition(".")
        return ModelInfo(label=label, app_label=app, name=name, qualname=label, fields={f.name: f for f in fields})

    return ModelGraph(
        models={
            "a.Review": model(
                "a.Review",
                FieldInfo("book", FieldKind.FOREIGN_KEY, "a.Review", target="a.Book"),
                FieldInfo("editor", FieldKind.FOREIGN_KEY, "a.Review", null=True, target="a.Author"),
            ),
            "a.Book": model("a.Book", FieldInfo("author", FieldKind.FOREIGN_KEY, "a.Book", target="a.Author")),
            "a.Author": model("a.Author", FieldInfo("name", FieldKind.FIELD, "a.Author")),
        }
    )


def test_select_related_records_every_prefix() -> None:
    state = QuerySetState("a.Review").with_select_related(["book__author"], _graph())
    assert state.select_related == frozenset({"book", "book__author"})
    assert state.is_eager("book") and state.is_eager("book__author") and not state.is_eager("editor")


def test_select_related_without_arguments_follows_non_null_foreign_keys_only() -> None:
    state = QuerySetState("a.Review").with_select_related([], _graph())
    assert state.select_related == frozenset({"book", "book__author"})


def test_non_literal_arguments_make_eager_loading_unknown_and_quiet() -> None:
    state = QuerySetState("a.Review").with_select_related(None, _graph())
    assert state.eager_unknown and state.is_eager("anything") and not state.is_deferred("rating")


def test_prefetch_object_applies_the_inner_state_under_the_to_attr() -> None:
    inner = QuerySetState("a.Book").with_select_related(["author"], _graph())
    state = QuerySetState("a.Author").with_prefetch_object("books", inner, "recent_books")
    assert state.prefetch_related == frozenset({"recent_books", "recent_books__author"})
    assert state.to_attr_path("recent_books") == "books"
    assert not state.is_prefetched("books")


def test_nested_prefetch_lookup_with_to_attr_keeps_the_head() -> None:
    state = QuerySetState("a.Publisher").with_prefetch_object("authors__books", None, "latest")
    assert state.prefetch_related == frozenset({"authors", "authors__latest"})
    assert state.to_attr == (("authors__latest", "authors__books"),)


def test_only_and_defer() -> None:
    only = QuerySetState("a.Book").with_only(["title", "author__name"])
    assert only.only_fields == frozenset({"title", "author"})
    assert only.is_deferred("price") and not only.is_deferred("title")
    deferred = QuerySetState("a.Book").with_defer(["summary"])
    assert deferred.is_deferred("summary") and not deferred.is_deferred("title")
    assert not deferred.without_deferral().is_deferred("summary")


def test_join_keeps_paths_eager_on_both_branches_only() -> None:
    graph = _graph()
    first = QuerySetState("a.Review").with_select_related(["book__author"], graph)
    second = QuerySetState("a.Review").with_select_related(["book", "editor"], graph)
    joined = first.join(second)
    assert joined is not None
    assert joined.select_related == frozenset({"book"})
    assert QuerySetState("a.Review").join(QuerySetState("a.Book")) is None


def test_join_with_a_branch_of_computed_eager_loads_is_unknown() -> None:
    # ``if lookups := compute(): queryset = queryset.prefetch_related(*lookups)``: either branch may run, and the
    # project decides at run time what it loads.
    computed = QuerySetState("a.Review").with_prefetch(None)
    plain = QuerySetState("a.Review")
    for joined in (computed.join(plain), plain.join(computed)):
        assert joined is not None
        assert joined.eager_unknown and joined.is_eager("book")


def test_method_kinds() -> None:
    assert method_kind("filter") is MethodKind.KEEP
    assert method_kind("first") is MethodKind.INSTANCE
    assert method_kind("get_or_create") is MethodKind.INSTANCE_TUPLE
    assert method_kind("count") is MethodKind.VALUE
    assert method_kind("in_bulk") is MethodKind.DICT_OF_INSTANCES
    assert method_kind("update") is MethodKind.WRITE
    assert method_kind("published") is None
