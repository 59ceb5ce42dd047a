"""Statements and control flow: assignments and targets, branches joined conservatively, loops, ``with``,
``try``, ``match``, nested definitions and imports, and the function body's result (returns and yields)."""

from __future__ import annotations

from astroid import nodes

from analyzer.flow.core import FrameBase
from analyzer.flow.support import join_envs, loops_of
from analyzer.flow.values import (
    UNKNOWN,
    Collection,
    Function,
    ObjectOf,
    QuerySet,
    Tainted,
    TupleOf,
    Value,
    join,
)


class StatementRunner(FrameBase):
    """Runs statements and follows control flow."""

    def run_function(self) -> Value:
        body = self.scope.body
        if isinstance(self.scope, nodes.Lambda):
            return self.eval(body)
        self.run_block(body)
        if self.yields is not None:
            return Collection(self.yields)
        return self.returns if self.returns is not None else UNKNOWN

    def run_block(self, statements: list[nodes.NodeNG]) -> None:
        for statement in statements:
            self.run(statement)

    def run(self, statement: nodes.NodeNG) -> None:
        if isinstance(statement, nodes.Assign):
            value = self.eval(statement.value)
            for target in statement.targets:
                self.bind(target, value)
        elif isinstance(statement, nodes.AnnAssign):
            if statement.value is not None:
                self.bind(statement.target, self.eval(statement.value))
        elif isinstance(statement, nodes.AugAssign):
            value = self.eval(statement.value)
            if isinstance(statement.target, nodes.AssignName):
                current = self.env.get(statement.target.name, UNKNOWN)
                self.env[statement.target.name] = join(current, value) if loops_of(value) else current
            else:
                self.eval_target(statement.target)
        elif isinstance(statement, nodes.Expr):
            self.eval(statement.value)
        elif isinstance(statement, nodes.Return):
            if statement.value is not None:
                self.returns = join(self.returns, self.eval(statement.value))
        elif isinstance(statement, nodes.If):
            self.eval_test(statement.test)
            self.run_branches(statement.body, statement.orelse)
        elif isinstance(statement, (nodes.For, nodes.AsyncFor)):
            self.run_for(statement)
        elif isinstance(statement, nodes.While):
            self.eval_test(statement.test)
            self.run_branches(statement.body, [])
            self.run_block(statement.orelse)
        elif isinstance(statement, (nodes.With, nodes.AsyncWith)):
            for item, target in statement.items:
                value = self.eval(item)
                if target is not None:
                    self.bind(target, value)
            self.run_block(statement.body)
        elif isinstance(statement, (nodes.Try, nodes.TryStar)):
            self.run_block(statement.body)
            for handler in statement.handlers:
                if isinstance(handler.name, nodes.AssignName):
                    self.env[handler.name.name] = UNKNOWN
                self.run_block(handler.body)
            self.run_block(statement.orelse)
            self.run_block(statement.finalbody)
        elif isinstance(statement, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            self.env[statement.name] = Function(statement, self.modname)
        elif isinstance(statement, nodes.ClassDef):
            module_level = isinstance(self.scope, nodes.Module)
            self.env[statement.name] = self.flow.global_value(self.modname, statement.name) if module_level else UNKNOWN
        elif isinstance(statement, (nodes.Import, nodes.ImportFrom)):
            self.run_import(statement)
        elif isinstance(statement, nodes.Match):
            self.eval(statement.subject)
            before = dict(self.env)
            merged: dict[str, Value] | None = None
            for case in statement.cases:
                self.env = dict(before)
                self.run_block(case.body)
                merged = self.env if merged is None else join_envs(merged, self.env)
            self.env = join_envs(before, merged) if merged is not None else before
        else:
            for child in statement.get_children():
                if child.is_statement:
                    self.run(child)
                else:
                    self.eval(child)

    def run_import(self, statement: nodes.Import | nodes.ImportFrom) -> None:
        from analyzer.flow.names import absolute_module

        for name, alias in statement.names:
            if name == "*":
                continue
            if isinstance(statement, nodes.ImportFrom):
                source = absolute_module(statement.root(), statement.modname, statement.level)
                qualname = self.flow.resolver.canonical(f"{source}.{name}")
                self.env[alias or name] = self.flow.qualname_value(qualname)
            else:
                self.env[alias or name.split(".")[0]] = UNKNOWN

    def run_branches(self, body: list[nodes.NodeNG], orelse: list[nodes.NodeNG]) -> None:
        before = dict(self.env)
        self.run_block(body)
        after_body = self.env
        self.env = dict(before)
        self.run_block(orelse)
        self.env = join_envs(after_body, self.env)

    def run_for(self, statement: nodes.For) -> None:
        iterable = self.eval(statement.iter)
        element = self.iterate(iterable, statement, statement.iter)
        before = dict(self.env)
        self.loops = (*self.loops, statement)
        self.bind(statement.target, element)
        self.run_block(statement.body)
        self.loops = self.loops[:-1]
        self.env = join_envs(before, self.env)
        self.run_block(statement.orelse)

    def bind(self, target: nodes.NodeNG, value: Value) -> None:
        if isinstance(target, nodes.AssignName):
            self.env[target.name] = value
        elif isinstance(target, (nodes.Tuple, nodes.List)):
            items = value.items if isinstance(value, TupleOf) else ()
            for index, element in enumerate(target.elts):
                if isinstance(element, nodes.Starred):
                    self.bind(element.value, UNKNOWN)
                elif index < len(items):
                    self.bind(element, items[index])
                else:
                    loops = loops_of(value)
                    self.bind(element, Tainted(loops) if loops else UNKNOWN)
        elif isinstance(target, nodes.Starred):
            self.bind(target.value, UNKNOWN)
        else:
            self.eval_target(target)
            self.store_on_self(target, value)

    def store_on_self(self, target: nodes.NodeNG, value: Value) -> None:
        """Rows one method stores on ``self`` for another to iterate (``self.books = list(qs)``)."""
        if not isinstance(target, nodes.AssignAttr) or not isinstance(target.expr, nodes.Name) or self.loops:
            return
        owner = self.env.get(target.expr.name)
        if isinstance(owner, ObjectOf) and isinstance(value, QuerySet | Collection):
            key = (owner.qualname, target.attrname)
            self.flow.stored[key] = join(self.flow.stored.get(key), value)

    def eval_target(self, target: nodes.NodeNG) -> None:
        """Evaluate the parts of an assignment target that are read (``book.author`` in ``book.author.x = 1``)."""
        if isinstance(target, nodes.AssignAttr):
            self.eval(target.expr)
        elif isinstance(target, nodes.Subscript):
            self.eval(target.value)
            self.eval(target.slice)

    def innermost_loop(self) -> nodes.NodeNG | None:
        return self.loops[-1] if self.loops else None
