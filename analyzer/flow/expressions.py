"""Expressions and names: each expression node to an abstract value, local and global name lookup, tests,
subscripts, comprehensions, iteration over values and the builtins the analysis models (``list``, ``sorted``,
``str``, ``len``...)."""

from __future__ import annotations

from dataclasses import replace

from astroid import nodes

from analyzer.flow.conditions import none_for_sure, static_truth
from analyzer.flow.core import FrameBase
from analyzer.flow.loops import is_bounded
from analyzer.flow.support import loops_of, retag_none
from analyzer.flow.values import (
    NOTHING,
    UNKNOWN,
    Collection,
    Constant,
    DictOf,
    Function,
    Instance,
    ModelClass,
    QuerySet,
    RelatedManager,
    RowRef,
    Tainted,
    TupleOf,
    Unknown,
    Value,
    join,
    retag,
)

_STRING_BUILTINS = frozenset({"str", "repr", "format", "print"})


_COLLECTION_BUILTINS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "reversed", "iter"})


class ExpressionEvaluator(FrameBase):
    """Evaluates expressions and names."""

    def eval(self, node: nodes.NodeNG) -> Value:
        if isinstance(node, nodes.Name):
            return self.lookup(node.name)
        if isinstance(node, nodes.Attribute):
            return self.attribute(self.eval(node.expr), node.attrname, node)
        if isinstance(node, nodes.Call):
            return self.call(node)
        if isinstance(node, nodes.Const):
            if node.value is None or isinstance(node.value, (bool, str)):
                return Constant(node.value)
            return UNKNOWN
        if isinstance(node, nodes.Subscript):
            return self.subscript(node)
        if isinstance(node, (nodes.ListComp, nodes.SetComp, nodes.GeneratorExp)):
            return Collection(self.comprehension(node.generators, node.elt))
        if isinstance(node, nodes.DictComp):
            key_value = self.comprehension(node.generators, node.key, node.value)
            if isinstance(key_value, TupleOf) and len(key_value.items) == 2:
                return DictOf(key_value.items[0], key_value.items[1])
            return DictOf(UNKNOWN, UNKNOWN)
        if isinstance(node, nodes.Lambda):
            closure = tuple((name, value) for name, value in self.env.items() if not isinstance(value, Unknown))
            return Function(node, self.modname, closure)
        if isinstance(node, nodes.JoinedStr):
            loops: frozenset[nodes.NodeNG] = frozenset()
            for part in node.values:
                if isinstance(part, nodes.FormattedValue):
                    value = self.eval(part.value)
                    if part.format_spec is not None:
                        self.eval(part.format_spec)
                    method = "__repr__" if part.conversion == ord("r") else "__str__"
                    self.stringify(value, part.value, method)
                    loops |= loops_of(value)
            return Tainted(loops) if loops else UNKNOWN
        if isinstance(node, nodes.BinOp):
            left = self.eval(node.left)
            right = self.eval(node.right)
            if (
                node.op in ("|", "&", "^")
                and isinstance(left, QuerySet)
                and isinstance(right, QuerySet)
                and (left.model, left.prefix) == (right.model, right.prefix)
            ):
                # A combined queryset is the left one with another WHERE: its eager loading is the left one's.
                return replace(left, is_manager=False, taint=left.taint | right.taint)
            if node.op == "%" and isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
                parts = node.right.elts if isinstance(node.right, nodes.Tuple) else [node.right]
                values = right.items if isinstance(right, TupleOf) else (right,)
                for part, value in zip(parts, values, strict=False):
                    self.stringify(value, part, "__str__")
            loops = loops_of(left) | loops_of(right)
            return Tainted(loops) if loops else UNKNOWN
        if isinstance(node, nodes.BoolOp):
            result: Value | None = None
            for operand in node.values:
                result = join(result, self.eval(operand))
            return result if result is not None else UNKNOWN
        if isinstance(node, nodes.UnaryOp):
            if node.op == "not":
                return self.eval_test(node.operand)
            return self.taint_only(self.eval(node.operand))
        if isinstance(node, nodes.Compare):
            loops = loops_of(self.eval(node.left))
            for _, comparator in node.ops:
                loops |= loops_of(self.eval(comparator))
            return Tainted(loops) if loops else UNKNOWN
        if isinstance(node, nodes.IfExp):
            self.eval_test(node.test)
            truth = self.decided(node.test)
            if truth is not None:
                return self.eval(node.body if truth else node.orelse)
            return join(self.eval(node.body), self.eval(node.orelse))
        if isinstance(node, (nodes.List, nodes.Set)):
            element: Value | None = None
            for item in node.elts:
                element = join(element, self.eval(item))
            return Collection(element if element is not None else NOTHING)
        if isinstance(node, nodes.Tuple):
            return TupleOf(tuple(self.eval(item) for item in node.elts))
        if isinstance(node, nodes.Dict):
            key: Value | None = None
            value_joined: Value | None = None
            for item_key, item_value in node.items:
                if not isinstance(item_key, nodes.DictUnpack):
                    key = join(key, self.eval(item_key))
                value_joined = join(value_joined, self.eval(item_value))
            return DictOf(key or UNKNOWN, value_joined or UNKNOWN)
        if isinstance(node, nodes.Await):
            return self.eval(node.value)
        if isinstance(node, nodes.Starred):
            return self.eval(node.value)
        if isinstance(node, nodes.NamedExpr):
            value = self.eval(node.value)
            self.bind(node.target, value)
            return value
        if isinstance(node, (nodes.Yield, nodes.YieldFrom)):
            if node.value is not None:
                value = self.eval(node.value)
                if isinstance(node, nodes.YieldFrom):
                    value = self.iterate(value, None, node.value)
                self.yields = join(self.yields, value)
            return UNKNOWN
        for child in node.get_children():
            self.eval(child)
        return UNKNOWN

    def taint_only(self, value: Value) -> Value:
        loops = loops_of(value)
        return Tainted(loops) if loops else UNKNOWN

    def lookup(self, name: str) -> Value:
        if name in self.env:
            return self.env[name]
        return self.flow.global_value(self.modname, name)

    def decided(self, test: nodes.NodeNG) -> bool | None:
        """The test's truth when constants decide it (``if save:`` with ``save=False``), else None."""
        return static_truth(test, self.eval, none_for_sure)

    def eval_test(self, node: nodes.NodeNG) -> Value:
        """A condition: ``if qs:`` evaluates the whole queryset just to test it."""
        if isinstance(node, nodes.BoolOp):
            for operand in node.values:
                self.eval_test(operand)
            return UNKNOWN
        if isinstance(node, nodes.UnaryOp) and node.op == "not":
            return self.eval_test(node.operand)
        value = self.eval(node)
        if isinstance(value, QuerySet) and not value.is_manager:
            self.truthiness(value, node, node)
        return self.taint_only(value)

    def subscript(self, node: nodes.Subscript) -> Value:
        base = self.eval(node.value)
        index = self.eval(node.slice)
        if isinstance(base, QuerySet) and not base.is_manager:
            if isinstance(node.slice, nodes.Slice):
                return base
            self.evaluate_rows(replace(base, taint=base.taint | loops_of(index)), node)
            return Instance(
                base.model,
                row=RowRef(base.state, base.origin),
                prefix=base.prefix,
                born_in=self.innermost_loop(),
            )
        if isinstance(base, Collection):
            return base if isinstance(node.slice, nodes.Slice) else retag_none(base.element)
        if isinstance(base, TupleOf):
            index_value = node.slice.value if isinstance(node.slice, nodes.Const) else None
            if isinstance(index_value, int) and -len(base.items) <= index_value < len(base.items):
                return base.items[index_value]
            return UNKNOWN
        if isinstance(base, DictOf):
            return base.value
        loops = loops_of(base) | loops_of(index)
        return Tainted(loops) if loops else UNKNOWN

    def comprehension(self, generators: list[nodes.Comprehension], *elements: nodes.NodeNG) -> Value:
        saved_env = dict(self.env)
        saved_loops = self.loops
        try:
            for generator in generators:
                iterable = self.eval(generator.iter)
                if is_bounded(generator):
                    self.bind(generator.target, self.iterate(iterable, None, generator.iter))
                else:
                    element = self.iterate(iterable, generator, generator.iter)
                    self.loops = (*self.loops, generator)
                    self.bind(generator.target, element)
                for condition in generator.ifs:
                    self.eval_test(condition)
            values = [self.eval(element) for element in elements]
        finally:
            self.loops = saved_loops
            self.env = saved_env
        # Outside the comprehension the elements are no longer per-row: a later loop over them makes them so.
        values = [retag_none(value) for value in values]
        return values[0] if len(values) == 1 else TupleOf(tuple(values))

    def iterate(self, value: Value, loop: nodes.NodeNG | None, node: nodes.NodeNG) -> Value:
        """The loop variable for iterating ``value`` in ``loop``; iterating a queryset runs it."""
        if isinstance(value, QuerySet):
            if value.is_manager:
                return UNKNOWN
            if value.state.empty:
                return NOTHING  # none(): no rows, no query
            self.evaluate_rows(value, node)
            if value.state.values_mode:
                return Tainted(frozenset({loop})) if loop is not None else UNKNOWN
            return Instance(
                value.model,
                row=RowRef(value.state, value.origin, loop),
                prefix=value.prefix,
                born_in=loop,
            )
        if isinstance(value, Collection):
            return retag(value.element, loop)
        if isinstance(value, DictOf):
            return retag(value.key, loop)
        if isinstance(value, TupleOf):
            joined: Value | None = None
            for item in value.items:
                joined = join(joined, item)
            return retag(joined if joined is not None else UNKNOWN, loop)
        if isinstance(value, RelatedManager):
            return UNKNOWN
        loops = loops_of(value) | ({loop} if loop is not None else set())
        return Tainted(frozenset(loops)) if loops else UNKNOWN

    def element_of(self, value: Value, node: nodes.NodeNG) -> Value:
        return self.iterate(value, None, node)

    def apply_per_element(self, function: Value, iterable: Value, node: nodes.Call) -> Value:
        """A ``key=`` / ``map()`` callable runs once per element: it sees per-row values."""
        element = self.iterate(iterable, node, node)
        if not isinstance(function, Function):
            return UNKNOWN
        self.loops = (*self.loops, node)
        try:
            return self.invoke(function.node, dict(function.closure), [element], {}, node, "function")
        finally:
            self.loops = self.loops[:-1]

    def call_builtin(self, name: str, arguments: list[Value], keywords: dict[str, Value], node: nodes.Call) -> Value:
        first = arguments[0] if arguments else UNKNOWN
        if name in _COLLECTION_BUILTINS:
            if not arguments:
                return Collection(UNKNOWN)
            if "key" in keywords:
                self.apply_per_element(keywords["key"], first, node)
            return Collection(self.element_of(first, node))
        if name == "len":
            if isinstance(first, QuerySet) and not first.is_manager and node.args:
                self.length(first, node)
            return self.taint_only(first)
        if name == "bool":
            if isinstance(first, QuerySet) and not first.is_manager and node.args:
                self.truthiness(first, node, node.args[0])
            return self.taint_only(first)
        if name in _STRING_BUILTINS:
            for value, argument in zip(arguments, node.args, strict=False):
                self.stringify(value, argument, "__repr__" if name == "repr" else "__str__")
            return self.taint_only(first)
        if name == "enumerate":
            return Collection(TupleOf((UNKNOWN, self.element_of(first, node))))
        if name == "zip":
            return Collection(TupleOf(tuple(self.element_of(argument, node) for argument in arguments)))
        if name in ("map", "filter") and len(arguments) >= 2:
            result = self.apply_per_element(arguments[0], arguments[1], node)
            return Collection(result if name == "map" else self.element_of(arguments[1], node))
        if name == "next":
            return self.element_of(first, node)
        if name in ("max", "min", "sum", "any", "all"):
            if "key" in keywords:
                self.apply_per_element(keywords["key"], first, node)
            return self.element_of(first, node) if name in ("max", "min") else UNKNOWN
        if name == "super":
            self_value = self.env.get("self")
            return self_value if isinstance(self_value, QuerySet) else UNKNOWN
        if name == "get_user_model":
            return ModelClass(self.graph.auth_user_model)
        if name == "Prefetch":
            return self.prefetch_object(arguments, keywords, node)
        if name in ("get_object_or_404", "aget_object_or_404"):
            return self.shortcut_get(first, node)
        if name == "get_list_or_404":
            source = self.as_queryset(first, node)
            return Collection(self.element_of(source, node)) if source is not None else Collection(UNKNOWN)
        return self.taint_only(first)

    def stringify(self, value: Value, node: nodes.NodeNG, method: str) -> None:
        """``str(row)``, f"{row}", "%s" % row: runs the model's __str__ / __repr__ per row."""
        if not isinstance(value, Instance) or not self.is_per_row(value):
            return
        info = self.graph.get(value.model)
        qualname = info.methods.get(method) if info is not None else None
        function = self.flow.resolver.definition(qualname) if qualname else None
        if isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            self.invoke(function, {}, (), {}, node, "method", self_value=value)
