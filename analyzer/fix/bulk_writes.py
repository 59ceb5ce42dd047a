"""The write-in-loop edits (unsafe): a per-row create, save or delete in a ``for`` loop becomes one bulk write.

* ``bulk_create``: ``Model.objects.create(**kw)`` in the loop becomes ``<list>.append(Model(**kw))``, the list is
  started right before the loop and ``Model.objects.bulk_create(<list>)`` runs right after it.
* ``bulk_update``: ``obj.save()`` becomes ``<list>.append(obj)`` and ``Model.objects.bulk_update(<list>, [fields])``
  runs after the loop, the fields being ``update_fields``'s or the ones the loop assigns on ``obj``.
* ``queryset_delete``: a loop whose body is only ``obj.delete()`` becomes ``<queryset>.delete()``.

They are unsafe because the bulk methods skip what the per-row calls do (``save()`` and ``delete()`` overrides,
``pre_save``/``post_save`` signals, ``auto_now``) and write every row after the loop instead of one per iteration.
A loop is refused (``Refused`` says why) when its shape leaves any doubt about what runs: an ``else``, a ``break``
or ``continue``, a ``return``, ``raise``, ``yield`` or ``await``, the write's result used, a write inside a block
other than an ``if`` without ``else`` (for ``save()`` and ``delete()``, anywhere but the loop's own body), the saved
object handed to other code. The list's name is new to the module (``new_order_lines``, ``changed_books``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

from analyzer.fix.arguments import append_items, quote_of, string_literal
from analyzer.fix.refusal import Refused
from analyzer.fix.targets import BULK_CREATE, BULK_UPDATE, QUERYSET_DELETE

LOOP_KINDS = frozenset({BULK_CREATE, BULK_UPDATE, QUERYSET_DELETE})
Span = tuple[int, int, int, int]
PositionOf = Callable[[cst.CSTNode], Span | None]
Statements = Sequence[cst.BaseStatement]

# Queryset methods a ``.delete()`` may follow: the same rows, and nothing Django refuses to delete through
# (slices, ``distinct()``, ``values()``, combined queries, annotations).
_DELETABLE_CHAIN = frozenset(
    {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "only", "defer"}
)
CHANGED = "the code there has changed"


@dataclass(frozen=True)
class WriteSite:
    """Where a write edit applies in a block: the statement at ``index`` (the ``for`` loop, or the bulk write a
    fixed loop became) and, inside the loop, the statement indices down to the write, through ``if`` blocks."""

    index: int
    path: tuple[int, ...]


def _contains(outer: Span, inner: Span) -> bool:
    return outer[:2] <= inner[:2] and inner[2:] <= outer[2:]


def find_site(statements: Statements, span: Span, position_of: PositionOf) -> WriteSite | None:
    """The site of the write at ``span`` among ``statements``, None when it is not a loop of this block.

    Blocks are left innermost first, so the first block with a ``for`` holding the write holds its loop.
    """
    for index, statement in enumerate(statements):
        position = position_of(statement)
        if position is None or not _contains(position, span):
            continue
        if isinstance(statement, cst.For):
            path = _path_in_loop(statement, span, position_of)
            return WriteSite(index, path) if path is not None else None
        if _is_queryset_delete(statement) and position_of(_only_expression(statement) or statement) == span:
            return WriteSite(index, ())  # a loop this fix already turned into one delete
        return None
    return None


def _path_in_loop(loop: cst.For, span: Span, position_of: PositionOf) -> tuple[int, ...] | None:
    path: list[int] = []
    block: cst.BaseSuite = loop.body
    while True:
        if not isinstance(block, cst.IndentedBlock):
            raise Refused("the loop's body is on the for line")
        found = next(
            (
                (index, statement)
                for index, statement in enumerate(block.body)
                if (position := position_of(statement)) is not None and _contains(position, span)
            ),
            None,
        )
        if found is None:
            raise Refused(CHANGED)
        index, statement = found
        path.append(index)
        if isinstance(statement, cst.SimpleStatementLine):
            return tuple(path)
        if isinstance(statement, cst.For):
            return None  # the write belongs to the inner loop
        if not isinstance(statement, cst.If):
            raise Refused(f"the write is inside a {_block_name(statement)} block of the loop")
        if statement.orelse is not None:
            raise Refused("the write is in an if with an else or elif branch, which does something else")
        body_position = position_of(statement.body)
        if body_position is None or not _contains(body_position, span):
            raise Refused("the write's result is used")
        block = statement.body


def _block_name(statement: cst.BaseStatement) -> str:
    names = {cst.While: "while", cst.Try: "try", cst.TryStar: "try", cst.With: "with", cst.Match: "match"}
    return next((name for kind, name in names.items() if isinstance(statement, kind)), "nested")


def _only_expression(statement: cst.BaseStatement) -> cst.BaseExpression | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Expr):
            return small.value
    return None


def _method_call(node: cst.BaseExpression | None, method: str) -> cst.Call | None:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == method:
        return node
    return None


def _is_queryset_delete(statement: cst.BaseStatement) -> bool:
    call = _method_call(_only_expression(statement), "delete")
    return (
        call is not None
        and not call.args
        and isinstance(call.func, cst.Attribute)
        and isinstance(call.func.value, cst.Call)
    )


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


class _ControlFlow(cst.CSTVisitor):
    """The first statement in a loop body that leaves the loop or its iteration early, or hands control away."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.found: str | None = None

    def _note(self, what: str) -> None:
        self.found = self.found or what

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_For(self, node: cst.For) -> None:
        self.depth += 1

    def leave_For(self, original_node: cst.For) -> None:
        self.depth -= 1

    def visit_While(self, node: cst.While) -> None:
        self.depth += 1

    def leave_While(self, original_node: cst.While) -> None:
        self.depth -= 1

    def visit_Break(self, node: cst.Break) -> None:
        if not self.depth:
            self._note("break")

    def visit_Continue(self, node: cst.Continue) -> None:
        if not self.depth:
            self._note("continue")

    def visit_Return(self, node: cst.Return) -> None:
        self._note("return")

    def visit_Raise(self, node: cst.Raise) -> None:
        self._note("raise")

    def visit_Yield(self, node: cst.Yield) -> None:
        self._note("yield")

    def visit_Await(self, node: cst.Await) -> None:
        self._note("await")


def _check_loop(loop: cst.BaseStatement) -> cst.For:
    if not isinstance(loop, cst.For):
        raise Refused(CHANGED)
    if loop.asynchronous is not None:
        raise Refused("the loop is an async for")
    if loop.orelse is not None:
        raise Refused("the loop has an else branch")
    control = _ControlFlow()
    loop.body.visit(control)
    if control.found:
        after = "so the bulk write after it may not run as the per-row writes did"
        raise Refused(f"the loop has a {control.found} statement, {after}")
    return loop


def _statement_at(loop: cst.For, path: tuple[int, ...]) -> cst.BaseStatement:
    block: cst.BaseSuite = loop.body
    statement: cst.BaseStatement | None = None
    for index in path:
        if not isinstance(block, cst.IndentedBlock) or index >= len(block.body):
            raise Refused(CHANGED)
        statement = block.body[index]
        if isinstance(statement, cst.If):
            block = statement.body
    if statement is None:
        raise Refused(CHANGED)
    return statement


def _replace_at(node: cst.For | cst.If, path: tuple[int, ...], new: cst.BaseStatement) -> cst.For | cst.If:
    block = node.body
    assert isinstance(block, cst.IndentedBlock)
    statements = list(block.body)
    index, rest = path[0], path[1:]
    if rest:
        inner = statements[index]
        assert isinstance(inner, cst.If)
        statements[index] = _replace_at(inner, rest, new)
    else:
        statements[index] = new
    return node.with_changes(body=block.with_changes(body=statements))


def _with_value(statement: cst.BaseStatement, value: cst.BaseExpression) -> cst.BaseStatement:
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement.with_changes(body=[cst.Expr(value)])


def names_in(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Names())
    return found


def _plural(word: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", word):
        return f"{word}es"
    if re.search(r"[^aeiou]y$", word):
        return f"{word[:-1]}ies"
    return f"{word}s"


def fresh_name(prefix: str, model: str, taken: set[str]) -> str:
    """``new_order_lines`` for ``OrderLine``: a name nothing in the module (or the loop) uses yet."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", model).lower()
    base = f"{prefix}_{_plural(snake)}"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def _manager_call(model: str, method: str, arguments: Sequence[cst.BaseExpression]) -> cst.SimpleStatementLine:
    manager = cst.Attribute(value=cst.Name(model), attr=cst.Name("objects"))
    args = append_items([], [cst.Arg(value) for value in arguments], cst.SimpleWhitespace(""))
    call = cst.Call(func=cst.Attribute(value=manager, attr=cst.Name(method)), args=args)
    return cst.SimpleStatementLine(body=[cst.Expr(call)])


def _around(
    statements: Statements, index: int, loop: cst.For, name: str, model: str, after: cst.SimpleStatementLine
) -> list[cst.BaseStatement]:
    """The block with the list started before the loop (which gives it its leading lines) and ``after`` after it."""
    # Annotated, so that type checkers know the list's items; a local annotation is never evaluated.
    annotation = cst.Annotation(
        cst.Subscript(value=cst.Name("list"), slice=[cst.SubscriptElement(cst.Index(cst.Name(model)))])
    )
    start = cst.SimpleStatementLine(
        body=[cst.AnnAssign(target=cst.Name(name), annotation=annotation, value=cst.List([]))],
        leading_lines=loop.leading_lines,
    )
    return [*statements[:index], start, loop.with_changes(leading_lines=[]), after, *statements[index + 1 :]]


def _collected_into(statement: cst.BaseStatement, following: cst.BaseStatement | None, method: str) -> bool:
    """``statement`` appends to a list that ``following`` hands to ``Model.objects.<method>()``: already fixed."""
    append = _method_call(_only_expression(statement), "append")
    bulk = _method_call(_only_expression(following) if following is not None else None, method)
    if append is None or bulk is None or not bulk.args or not isinstance(append.func, cst.Attribute):
        return False
    collected = append.func.value
    return isinstance(collected, cst.Name) and _is_name(bulk.args[0].value, collected.value)


def bulk_create(statements: Statements, site: WriteSite, model: str, taken: set[str]) -> Statements:
    """The block with the loop at ``site`` building ``model`` objects and one ``bulk_create()`` after it."""
    loop = _check_loop(statements[site.index])
    following = statements[site.index + 1] if site.index + 1 < len(statements) else None
    statement = _statement_at(loop, site.path)
    if _collected_into(statement, following, "bulk_create"):
        return statements
    value = _only_expression(statement)
    if value is None:
        raise Refused("the created object is used")
    create = _method_call(value, "create")
    manager = create.func.value if create is not None and isinstance(create.func, cst.Attribute) else None
    if (
        create is None
        or not isinstance(manager, cst.Attribute)
        or manager.attr.value != "objects"
        or not _is_name(manager.value, model)
    ):
        raise Refused(f"the write is not a plain {model}.objects.create(...)")
    if any(argument.keyword is None and argument.star != "**" for argument in create.args):
        raise Refused("create() has positional arguments")
    name = fresh_name("new", model, taken | names_in(loop))
    built = create.with_changes(func=manager.value)
    append = cst.Call(func=cst.Attribute(value=cst.Name(name), attr=cst.Name("append")), args=[cst.Arg(built)])
    changed = _replace_at(loop, site.path, _with_value(statement, append))
    assert isinstance(changed, cst.For)
    return _around(statements, site.index, changed, name, model, _manager_call(model, "bulk_create", [cst.Name(name)]))


class _Uses(cst.CSTVisitor):
    """How a loop body uses the loop variable: attribute reads, methods called on it, assignments to its fields."""

    def __init__(self, variable: str) -> None:
        super().__init__()
        self.variable = variable
        self.names = 0  # every appearance of the name
        self.attribute_bases = 0  # as the object of an attribute: obj.price
        self.methods: list[str] = []  # obj.save(), obj.refresh()
        self.assignments = 0  # statements assigning obj.<field>, in any form

    def _is_field(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Attribute) and _is_name(node.value, self.variable)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.variable:
            self.names += 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if _is_name(node.value, self.variable):
            self.attribute_bases += 1

    def visit_Call(self, node: cst.Call) -> None:
        if self._is_field(node.func):
            assert isinstance(node.func, cst.Attribute)
            self.methods.append(node.func.attr.value)

    def _count(self, target: cst.BaseExpression) -> None:
        if self._is_field(target):
            self.assignments += 1
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._count(element.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._count(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._count(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._count(node.target)


def _plain_field_assignment(statement: cst.BaseStatement, variable: str) -> str | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    target: cst.BaseExpression | None = None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
    elif isinstance(small, cst.AugAssign):
        target = small.target
    if isinstance(target, cst.Attribute) and _is_name(target.value, variable):
        return target.attr.value
    return None


def bulk_update(
    statements: Statements, site: WriteSite, model: str, fields: Sequence[str], taken: set[str]
) -> Statements:
    """The block with the loop at ``site`` collecting its rows and one ``bulk_update()`` of ``fields`` after it."""
    loop = _check_loop(statements[site.index])
    following = statements[site.index + 1] if site.index + 1 < len(statements) else None
    statement = _statement_at(loop, site.path)
    if _collected_into(statement, following, "bulk_update"):
        return statements
    if not isinstance(loop.target, cst.Name):
        raise Refused("the loop does not name its rows with one variable")
    variable = loop.target.value
    save = _method_call(_only_expression(statement), "save")
    if save is None or not isinstance(save.func, cst.Attribute) or not _is_name(save.func.value, variable):
        raise Refused(f"the write is not a plain {variable}.save() statement")
    if len(site.path) != 1:
        raise Refused("save() is inside an if block of the loop")
    update_fields = [
        argument for argument in save.args if argument.keyword and argument.keyword.value == "update_fields"
    ]
    if len(update_fields) != len(save.args):
        raise Refused("save() has arguments other than a literal update_fields")
    body = loop.body
    assert isinstance(body, cst.IndentedBlock)
    uses = _Uses(variable)
    body.visit(uses)
    if other := [method for method in uses.methods if method != "save"]:
        raise Refused(f"{variable}.{other[0]}() may change fields that bulk_update() would not write")
    if len(uses.methods) != 1:
        raise Refused("save() is called more than once in the loop")
    if uses.names != uses.attribute_bases:
        raise Refused(f"{variable} is handed to other code, which may change fields that bulk_update() would not write")
    assigned = [
        (index, field)
        for index, item in enumerate(body.body)
        if (field := _plain_field_assignment(item, variable)) is not None
    ]
    if len(assigned) != uses.assignments:
        raise Refused(f"a field of {variable} is assigned other than by a plain statement of the loop's body")
    save_index = site.path[0]
    if late := [field for index, field in assigned if index > save_index]:
        raise Refused(f"{variable}.{late[0]} is assigned after save()")
    name = fresh_name("changed", model, taken | names_in(loop))
    append = cst.Call(
        func=cst.Attribute(value=cst.Name(name), attr=cst.Name("append")), args=[cst.Arg(cst.Name(variable))]
    )
    changed = _replace_at(loop, site.path, _with_value(statement, append))
    assert isinstance(changed, cst.For)
    given = update_fields[0].value if update_fields else None
    quote = quote_of(given.elements) if isinstance(given, (cst.List, cst.Tuple)) else '"'
    elements: list[cst.BaseElement] = [cst.Element(string_literal(field, quote)) for field in fields]
    listed = cst.List(append_items([], elements, cst.SimpleWhitespace("")))
    after = _manager_call(model, "bulk_update", [cst.Name(name), listed])
    return _around(statements, site.index, changed, name, model, after)


def _check_deletable(rows: cst.BaseExpression) -> None:
    node = rows
    calls = 0
    while isinstance(node, cst.Call):
        if not isinstance(node.func, cst.Attribute):
            raise Refused("the loop's rows come from a function call, not a queryset")
        method = node.func.attr.value
        if method not in _DELETABLE_CHAIN:
            raise Refused(f".{method}() in the loop's queryset, which Django cannot delete through")
        calls += 1
        node = node.func.value
    if isinstance(node, cst.Subscript):
        raise Refused("the loop's queryset is sliced, and Django cannot delete a slice")
    if not calls or not isinstance(node, cst.Attribute):
        raise Refused("the loop's rows are not a queryset of a manager")


def _comment_lines(
    loop: cst.For, body: cst.IndentedBlock, inner: cst.SimpleStatementLine
) -> tuple[list[cst.EmptyLine], cst.TrailingWhitespace]:
    """The loop's comments, kept: one stays at the end of the line, the others go on lines above it."""
    trailing = [whitespace for whitespace in (inner.trailing_whitespace, body.header) if whitespace.comment]
    above = [cst.EmptyLine(comment=whitespace.comment) for whitespace in trailing[1:]]
    above += [line for line in (*inner.leading_lines, *body.footer) if line.comment]
    return [*loop.leading_lines, *above], trailing[0] if trailing else inner.trailing_whitespace


def queryset_delete(statements: Statements, site: WriteSite) -> Statements:
    """The block with the loop at ``site`` replaced by one ``.delete()`` of the queryset it iterates."""
    if not site.path and _is_queryset_delete(statements[site.index]):
        return statements
    loop = _check_loop(statements[site.index])
    body = loop.body
    assert isinstance(body, cst.IndentedBlock)
    inner = body.body[0] if len(body.body) == 1 else None
    if not isinstance(inner, cst.SimpleStatementLine) or not isinstance(loop.target, cst.Name):
        raise Refused("the loop does more than delete its rows")
    variable = loop.target.value
    delete = _method_call(_only_expression(inner), "delete")
    if delete is None or delete.args or not isinstance(delete.func, cst.Attribute):
        raise Refused("the loop does more than delete its rows")
    if not _is_name(delete.func.value, variable):
        raise Refused(f"the loop deletes something other than {variable}")
    _check_deletable(loop.iter)
    if any(variable in names_in(statement) for statement in statements[site.index + 1 :]):
        raise Refused(f"{variable} is read after the loop, where it would no longer be set")
    leading, trailing = _comment_lines(loop, body, inner)
    call = cst.Call(func=cst.Attribute(value=loop.iter, attr=cst.Name("delete")))
    line = cst.SimpleStatementLine(body=[cst.Expr(call)], leading_lines=leading, trailing_whitespace=trailing)
    return [*statements[: site.index], line, *statements[site.index + 1 :]]
