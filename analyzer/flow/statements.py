"""Statements and control flow: assignments and targets, branches joined conservatively (or only the branch that
constants decide), loops (per-row, or bounded by the code), ``with``, ``try``, ``match``, nested definitions and
imports, and the function body's result (returns and yields). A block ends at a statement after which it always
returns or raises."""

from __future__ import annotations

from dataclasses import replace

from astroid import nodes

from analyzer.flow.core import FrameBase
from analyzer.flow.loops import is_bounded
from analyzer.flow.support import join_envs, loops_of
from analyzer.flow.values import (
    UNKNOWN,
    Collection,
    Function,
    Instance,
    ObjectOf,
    QuerySet,
    Tainted,
    TupleOf,
    Value,
    join,
)
from analyzer.modelgraph import FieldKind


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
            if self.stopped:
                break

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
            self.stopped = True
        elif isinstance(statement, nodes.Raise):
            if statement.exc is not None:
                self.eval(statement.exc)
            self.stopped = True
        elif isinstance(statement, nodes.If):
            self.eval_test(statement.test)
            truth = self.decided(statement.test)
            if truth is None:
                self.run_branches(statement.body, statement.orelse)
            else:
                self.run_block(statement.body if truth else statement.orelse)
        elif isinstance(statement, (nodes.For, nodes.AsyncFor)):
            self.run_for(statement)
        elif isinstance(statement, nodes.While):
            self.eval_test(statement.test)
            self.run_branches(statement.body, [])
            self.stopped = False
            self.run_block(statement.orelse)
        elif isinstance(statement, (nodes.With, nodes.AsyncWith)):
            for item, target in statement.items:
                value = self.eval(item)
                if target is not None:
                    self.bind(target, value)
            self.run_block(statement.body)
        elif isinstance(statement, (nodes.Try, nodes.TryStar)):
            self.run_block(statement.body)
            # Any statement of the body may raise into a handler: each handler and what follows may run.
            self.stopped = False
            for handler in statement.handlers:
                if isinstance(handler.name, nodes.AssignName):
                    self.env[handler.name.name] = UNKNOWN
                self.run_block(handler.body)
                self.stopped = False
            self.run_block(statement.orelse)
            self.stopped = False
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
                self.stopped = False
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
        after_body, body_stopped = self.env, self.stopped
        self.env = dict(before)
        self.stopped = False
        self.run_block(orelse)
        # A branch that returns leaves nothing to join: the code after the if runs with the other branch's names.
        if body_stopped and not self.stopped:
            return
        if self.stopped and not body_stopped:
            self.env, self.stopped = after_body, False
            return
        self.env = join_envs(after_body, self.env)

    def run_for(self, statement: nodes.For) -> None:
        iterable = self.eval(statement.iter)
        if isinstance(iterable, QuerySet) and iterable.state.empty:
            self.run_block(statement.orelse)  # a loop over none() runs no iteration
            return
        if is_bounded(statement):
            # The code fixes how often the body runs, however many rows the tables hold: it runs like
            # straight-line code.
            before = dict(self.env)
            self.bind(statement.target, self.iterate(iterable, None, statement.iter))
            self.run_block(statement.body)
            self.stopped = False
            self.env = join_envs(before, self.env)
            self.run_block(statement.orelse)
            return
        element = self.iterate(iterable, statement, statement.iter)
        before = dict(self.env)
        self.loops = (*self.loops, statement)
        self.bind(statement.target, element)
        self.run_block(statement.body)
        self.stopped = False  # the loop may run no iteration
        self.loops = self.loops[:-1]
        after_body = self.env
        self.env = join_envs(before, self.env)
        if isinstance(statement.iter, nodes.Name) and statement.iter.name in self.filled_rows:
            # With no iteration there are no rows to read either: the rows are the ones the loop filled.
            self.env[statement.iter.name] = after_body[statement.iter.name]
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
            if isinstance(target, nodes.AssignAttr) and isinstance(target.expr, nodes.Name):
                self.assign_relation(target.expr.name, target.attrname)
            self.store_on_self(target, value)

    def assign_relation(self, name: str, attribute: str) -> None:
        """``book.author = author``: Django caches the assigned object, so reading ``book.author`` later in the
        loop (or in a later loop over the same rows) runs no query; the rows now hold the relation as if selected."""
        instance = self.env.get(name)
        if not isinstance(instance, Instance) or instance.row is None:
            return
        relation = self.graph.field(instance.model, attribute)
        if relation is None or relation.kind not in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE):
            return
        path = f"{instance.prefix}__{attribute}" if instance.prefix else attribute
        state = replace(instance.row.state, select_related=instance.row.state.select_related | {path})
        self.env[name] = replace(instance, row=replace(instance.row, state=state))
        for loop in reversed(self.loops):
            # The loop variable is an element of a named list: every element gets the relation the same way.
            if (
                isinstance(loop, nodes.For)
                and isinstance(loop.target, nodes.AssignName)
                and loop.target.name == name
                and isinstance(loop.iter, nodes.Name)
            ):
                rows = self.env.get(loop.iter.name)
                if isinstance(rows, Collection) and isinstance(rows.element, Instance) and rows.element.row:
                    row = replace(rows.element.row, state=state)
                    self.env[loop.iter.name] = Collection(replace(rows.element, row=row))
                    self.filled_rows.add(loop.iter.name)
                break

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
