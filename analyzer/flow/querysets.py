"""Queryset semantics: what each method does to a queryset (keeps it lazy with a new eager-loading state,
returns instances, values or nothing, writes), related managers, and the queries a method, ``len()`` or a test
runs inside a loop. The method tables are data (``analyzer.queryset_methods``) and the eager-loading state is
``analyzer.queryset.QuerySetState``; this module applies them."""

from __future__ import annotations

from dataclasses import replace

from astroid import nodes

from analyzer.context import call_keyword, nodes_of
from analyzer.flow.core import FrameBase
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.existence import existence_test
from analyzer.flow.support import expression_text, literal_strings, loops_of, retag_none, short_text
from analyzer.flow.values import (
    UNKNOWN,
    Collection,
    DictOf,
    Instance,
    ModelClass,
    Origin,
    PrefetchObject,
    QuerySet,
    RelatedManager,
    RowRef,
    Tainted,
    TupleOf,
    Unknown,
    Value,
    join,
)
from analyzer.modelgraph import FieldKind
from analyzer.queryset import QuerySetState
from analyzer.queryset_methods import (
    AGGREGATE_METHODS,
    ASYNC_METHODS,
    NON_EVALUATING_RECEIVER_METHODS,
    RELATED_BYPASS_METHODS,
    MethodKind,
    method_kind,
)


def _only_counts_or_tests(name: nodes.Name) -> bool:
    parent = name.parent
    if isinstance(parent, nodes.Call) and name in parent.args:
        return isinstance(parent.func, nodes.Name) and parent.func.name in ("len", "bool")
    if isinstance(parent, (nodes.If, nodes.While, nodes.IfExp)) and parent.test is name:
        return True
    if isinstance(parent, nodes.UnaryOp) and parent.op == "not":
        return True
    if isinstance(parent, nodes.BoolOp) and isinstance(parent.parent, (nodes.If, nodes.While)):
        return True
    return isinstance(parent, nodes.Attribute) and parent.attrname in NON_EVALUATING_RECEIVER_METHODS


class QuerySetSemantics(FrameBase):
    """Applies queryset methods and related managers."""

    def queryset_method(
        self, queryset: QuerySet, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        name = ASYNC_METHODS.get(name, name)
        kind = method_kind(name)
        argument_loops = frozenset().union(*(loops_of(value) for value in (*arguments, *keywords.values())))
        if queryset.related is not None and name in RELATED_BYPASS_METHODS:
            self.related_manager_method(queryset.related, name, arguments, keywords, node)
            queryset = self.fresh_related_queryset(queryset.related, node)
        if kind is None:
            return self.custom_queryset_method(queryset, name, arguments, keywords, node)
        origin = queryset.origin
        if isinstance(node.func, nodes.Attribute) and origin.node is node.func.expr:
            origin = Origin(self.path, origin.line, short_text(node), node)
        if kind is MethodKind.KEEP:
            state = self.apply_state(queryset.state, name, arguments, node)
            keeps_cache = name == "all" or name == "iterator"
            return replace(
                queryset,
                state=state,
                origin=origin,
                is_manager=False,
                taint=queryset.taint | argument_loops,
                related=queryset.related if keeps_cache else None,
            )
        text = f"{short_text(node.func)}(...)" if node.args or node.keywords else short_text(node)
        plain_count = name == "count" and not node.args and not node.keywords
        if (
            plain_count
            and queryset.related is None
            and not queryset.from_related
            and isinstance(node.func, nodes.Attribute)
        ):
            self.existence(queryset, node, node.func.expr, "count")
        if kind is MethodKind.WRITE:
            self.queryset_write(queryset, name, arguments + list(keywords.values()), node, text)
            return UNKNOWN
        if name == "create":
            if self.loops:
                model = self.graph.get(queryset.model)
                self.loop_event(
                    EventKind.CREATE_IN_LOOP,
                    node,
                    frozenset(self.loops),
                    text=text,
                    model=queryset.model,
                    target=model.name if model else queryset.model,
                )
            return Instance(queryset.model, born_in=self.innermost_loop(), new=False)
        self.query_in_loop(queryset, name, arguments + list(keywords.values()), node, text=text)
        row = RowRef(queryset.state, origin)
        instance = Instance(queryset.model, row=row, prefix=queryset.prefix, born_in=self.innermost_loop())
        if kind is MethodKind.INSTANCE:
            return instance
        if kind is MethodKind.INSTANCE_TUPLE:
            return TupleOf((instance, UNKNOWN))
        if kind is MethodKind.DICT_OF_INSTANCES:
            return DictOf(UNKNOWN, instance)
        loops = queryset.taint | argument_loops
        return Tainted(loops) if loops else UNKNOWN

    def queryset_write(
        self, queryset: QuerySet, name: str, arguments: list[Value], node: nodes.Call, text: str
    ) -> None:
        if name not in ("update", "delete") or not self.loops or queryset.related is not None:
            return
        loops = (queryset.taint | frozenset().union(*(loops_of(value) for value in arguments))) & set(self.loops)
        if not loops:
            return
        model = self.graph.get(queryset.model)
        kind = EventKind.SAVE_IN_LOOP if name == "update" else EventKind.DELETE_IN_LOOP
        self.loop_event(
            kind,
            node,
            frozenset(loops),
            text=text,
            model=queryset.model,
            target=model.name if model else queryset.model,
            method=name,
            origin=queryset.origin,
        )

    def custom_queryset_method(
        self, queryset: QuerySet, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        function = self.find_method(queryset.manager_classes, name)
        if function is not None:
            result = self.invoke(function, {}, arguments, keywords, node, "function", self_value=queryset)
            if isinstance(result, QuerySet) and result.model == queryset.model:
                origin = queryset.origin
                if isinstance(node.func, nodes.Attribute) and origin.node is node.func.expr:
                    origin = Origin(self.path, origin.line, short_text(node), node)
                return replace(result, origin=origin, manager_classes=queryset.manager_classes, is_manager=False)
            return result
        # A method the analysis cannot find may return anything (ContentType.objects.get_for_id): stay quiet.
        return UNKNOWN

    def apply_state(self, state: QuerySetState, name: str, arguments: list[Value], node: nodes.Call) -> QuerySetState:
        literal = literal_strings(node.args)
        if node.keywords and name in ("select_related", "prefetch_related", "only", "defer"):
            literal = None
        if name == "select_related":
            if len(node.args) == 1 and isinstance(node.args[0], nodes.Const) and node.args[0].value is None:
                return replace(state, select_related=frozenset())
            return state.with_select_related(literal, self.graph)
        if name == "prefetch_related":
            return self.apply_prefetch(state, arguments, node)
        if name == "only":
            return state.with_only(literal)
        if name == "defer":
            if len(node.args) == 1 and isinstance(node.args[0], nodes.Const) and node.args[0].value is None:
                return state.without_deferral()
            return state.with_defer(literal)
        if name == "annotate" or name == "alias":
            names = [keyword.arg for keyword in node.keywords or () if keyword.arg]
            for argument in node.args:
                if (
                    isinstance(argument, nodes.Call)
                    and argument.args
                    and isinstance(argument.args[0], nodes.Const)
                    and isinstance(argument.args[0].value, str)
                ):
                    function_name = short_text(argument.func).rpartition(".")[2].lower()
                    names.append(f"{argument.args[0].value}__{function_name}")
            return state.with_annotations(names)
        if name in ("values", "values_list"):
            return state.as_values()
        if name == "iterator":
            return state.as_iterator()
        return state

    def apply_prefetch(self, state: QuerySetState, arguments: list[Value], node: nodes.Call) -> QuerySetState:
        if len(node.args) == 1 and isinstance(node.args[0], nodes.Const) and node.args[0].value is None:
            return replace(state, prefetch_related=frozenset(), to_attr=())
        if any(isinstance(argument, nodes.Starred) for argument in node.args) or node.keywords:
            return state.with_prefetch(None)
        for argument_node, value in zip(node.args, arguments, strict=False):
            if isinstance(argument_node, nodes.Const) and isinstance(argument_node.value, str):
                state = state.with_prefetch([argument_node.value])
            elif isinstance(value, PrefetchObject) and not value.unknown and value.lookup:
                state = state.with_prefetch_object(value.lookup, value.queryset, value.to_attr)
            else:
                state = state.with_prefetch(None)
        return state

    def fresh_related_queryset(self, manager: RelatedManager, node: nodes.NodeNG) -> QuerySet:
        target = manager.relation.target or ""
        return QuerySet(
            model=target,
            state=QuerySetState(target),
            origin=Origin(self.path, node.lineno or 0, short_text(node), node),
            from_related=True,
        )

    def related_manager_method(
        self, manager: RelatedManager, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        owner = manager.owner
        row = owner.row
        name = ASYNC_METHODS.get(name, name)
        prefetched = row is not None and row.state.is_eager(manager.path)
        per_row = self.is_per_row(owner)
        generic = manager.relation.kind is FieldKind.GENERIC_RELATION
        text = f"{manager.text}.{name}(...)" if node.args or node.keywords else f"{manager.text}.{name}()"
        if name == "all" or name == "iterator":
            if prefetched and row is not None:
                return QuerySet(
                    model=manager.relation.target or "",
                    state=row.state,
                    origin=row.origin,
                    prefix=manager.path,
                    from_related=True,
                    related=manager,
                )
            if per_row:
                kind = EventKind.GENERIC_RELATION if generic else EventKind.RELATED_MANAGER
                self.emit(kind, node, owner, manager.relation, manager.path, method=name, text=text)
            return self.fresh_related_queryset(manager, node)
        if name in AGGREGATE_METHODS:
            if per_row and not (prefetched and name != "aggregate"):
                self.emit(
                    EventKind.RELATED_AGGREGATE, node, owner, manager.relation, manager.path, method=name, text=text
                )
            loops = loops_of(owner)
            return Tainted(loops) if loops else UNKNOWN
        if name in RELATED_BYPASS_METHODS or name in (
            "annotate",
            "select_related",
            "prefetch_related",
            "only",
            "defer",
        ):
            if per_row:
                if prefetched:
                    if name in RELATED_BYPASS_METHODS:
                        self.emit(
                            EventKind.PREFETCH_BYPASS,
                            node,
                            owner,
                            manager.relation,
                            manager.path,
                            method=name,
                            text=text,
                        )
                else:
                    kind = EventKind.GENERIC_RELATION if generic else EventKind.RELATED_MANAGER
                    self.emit(kind, node, owner, manager.relation, manager.path, method=name, text=text)
            fresh = self.fresh_related_queryset(manager, node)
            if name in ("first", "last", "get", "latest", "earliest"):
                return Instance(fresh.model, born_in=self.innermost_loop())
            state = self.apply_state(fresh.state, name, arguments, node)
            return replace(fresh, state=state)
        if name == "create" and self.loops and per_row:
            target = self.graph.get(manager.relation.target or "")
            self.loop_event(
                EventKind.CREATE_IN_LOOP,
                node,
                loops_of(owner),
                text=text,
                model=manager.relation.target,
                target=target.name if target else manager.relation.target,
            )
        return UNKNOWN

    def length(self, queryset: QuerySet, node: nodes.Call) -> None:
        # A related manager's rows inside a loop are already reported per row (ORM102): one finding per access.
        if queryset.related is not None or (queryset.from_related and self.loops):
            return
        if not self.rows_unused(node.args[0]):
            return
        if self.existence(queryset, node, node.args[0], "len"):
            return  # ORM403's, with the better fix (exists() rather than count())
        self.events.append(
            FlowEvent(
                kind=EventKind.LEN_QUERYSET,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                text=expression_text(node.args[0]),
                model=queryset.model,
                origin=queryset.origin,
            )
        )

    def existence(self, queryset: QuerySet, node: nodes.Call, counted: nodes.NodeNG, method: str) -> bool:
        """Record ``qs.count() > 0`` / ``if len(qs):``: a count used only to learn whether there is a row."""
        test = existence_test(node)
        if test is None:
            return False
        self.events.append(
            FlowEvent(
                kind=EventKind.COUNT_FOR_EXISTENCE,
                node=test.node,
                path=self.path,
                line=test.node.lineno or 0,
                text=expression_text(counted),
                model=queryset.model,
                origin=queryset.origin,
                method=method,
                detail="positive" if test.positive else "negative",
            )
        )
        return True

    def truthiness(self, queryset: QuerySet, node: nodes.NodeNG, tested: nodes.NodeNG) -> None:
        if queryset.related is not None or (queryset.from_related and self.loops):
            return
        if not self.rows_unused(tested):
            return
        self.events.append(
            FlowEvent(
                kind=EventKind.QUERYSET_TRUTHINESS,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                text=expression_text(tested),
                model=queryset.model,
                origin=queryset.origin,
            )
        )

    def rows_unused(self, expression: nodes.NodeNG) -> bool:
        """True when nothing else reads the rows: a direct expression, or a name only counted or tested."""
        if not isinstance(expression, nodes.Name):
            return True
        # Comprehensions and lambdas that read the name use the rows too, so the whole frame is searched.
        for other in nodes_of(expression.frame(), nodes.Name):
            if other is expression or other.name != expression.name:
                continue
            if not _only_counts_or_tests(other):
                return False
        return True

    def evaluate_rows(self, queryset: QuerySet, node: nodes.NodeNG) -> None:
        """The queryset runs here: inside a loop, when it depends on the loop, that is one query per item."""
        self.query_in_loop(queryset, "iteration", [], node, text=queryset.origin.text)

    def query_in_loop(
        self, queryset: QuerySet, method: str, arguments: list[Value], node: nodes.NodeNG, *, text: str
    ) -> None:
        if not self.loops or queryset.from_related or queryset.related is not None:
            return
        loops = queryset.taint.union(*(loops_of(value) for value in arguments)) & set(self.loops)
        if not loops:
            return
        model = self.graph.get(queryset.model)
        self.loop_event(
            EventKind.QUERY_IN_LOOP,
            node,
            frozenset(loops),
            text=text,
            model=queryset.model,
            target=model.name if model else queryset.model,
            method=method,
            origin=queryset.origin,
        )

    def as_queryset(self, value: Value, node: nodes.NodeNG) -> QuerySet | None:
        if isinstance(value, QuerySet):
            return value
        if isinstance(value, ModelClass):
            return QuerySet(
                model=value.model,
                state=QuerySetState(value.model),
                origin=Origin(self.path, node.lineno or 0, short_text(node), node),
            )
        return None

    def shortcut_get(self, first: Value, node: nodes.Call) -> Value:
        source = self.as_queryset(first, node)
        if source is None:
            return UNKNOWN
        argument_values = [self.eval(argument) for argument in node.args[1:]]
        argument_values += [self.eval(keyword.value) for keyword in node.keywords or ()]
        self.query_in_loop(source, "get_object_or_404", argument_values, node, text=short_text(node))
        return Instance(source.model, row=RowRef(source.state, source.origin), born_in=self.innermost_loop())

    def prefetch_object(self, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call) -> Value:
        lookup_node = node.args[0] if node.args else call_keyword(node, "lookup")
        lookup = lookup_node.value if isinstance(lookup_node, nodes.Const) else None
        to_attr_node = call_keyword(node, "to_attr")
        if to_attr_node is None and len(node.args) >= 3:
            to_attr_node = node.args[2]
        to_attr = to_attr_node.value if isinstance(to_attr_node, nodes.Const) else None
        queryset = keywords.get("queryset", arguments[1] if len(arguments) >= 2 else None)
        inner = queryset.state if isinstance(queryset, QuerySet) else None
        unknown = (
            not isinstance(lookup, str)
            or (to_attr_node is not None and not isinstance(to_attr, str))
            or (queryset is not None and inner is None and not isinstance(queryset, Unknown))
        )
        return PrefetchObject(lookup if isinstance(lookup, str) else None, inner, to_attr, unknown)

    def custom_get_queryset(self, manager: QuerySet, node: nodes.NodeNG) -> Value:
        """A custom manager's get_queryset() (e.g. one that adds select_related) shapes every queryset from it."""
        function = self.find_method(manager.manager_classes, "get_queryset")
        if function is None:
            return manager
        result = self.invoke(function, {}, (), {}, node, "function", self_value=manager)
        if isinstance(result, QuerySet) and result.model == manager.model:
            return replace(manager, state=result.state, taint=result.taint)
        return manager

    def collection_method(
        self, receiver: Collection, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call
    ) -> Value:
        if name in ("append", "add", "extend") and arguments and isinstance(node.func, nodes.Attribute):
            added = arguments[0] if name != "extend" else self.element_of(arguments[0], node)
            target = node.func.expr
            if isinstance(target, nodes.Name) and target.name in self.env:
                # Unbound loop tags: the elements are per-row again only when a later loop iterates them.
                self.env[target.name] = Collection(join(receiver.element, retag_none(added)))
            return UNKNOWN
        if name == "sort" and "key" in keywords:
            self.apply_per_element(keywords["key"], receiver, node)
        if name == "pop":
            return receiver.element
        return UNKNOWN
