"""ORM408 raw-sql-formatting: SQL built with string formatting and passed to raw(), extra(), execute() or RawSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from astroid import nodes

from analyzer.context import FileContext, call_keyword, nodes_of
from analyzer.findings import Finding, Fix, RelatedLocation, Severity
from analyzer.rules._base import Rule
from analyzer.rules._review import callee_is, callee_name, in_migrations, single_local_value

BAD_EXAMPLE = """\
from django.db import connection


def titles_by(author_name):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT title FROM book WHERE author_name = '{author_name}'")
        return cursor.fetchall()
"""

GOOD_EXAMPLE = """\
from django.db import connection


def titles_by(author_name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM book WHERE author_name = %s", [author_name])
        return cursor.fetchall()
"""

DOCS = f"""\
## What it does
Finds SQL built with an f-string, `%` formatting, `str.format()` or `+` concatenation of non-constant parts and
passed to `Manager.raw()`, `QuerySet.extra(select=..., where=..., tables=..., order_by=...)`, `cursor.execute()`,
`cursor.executemany()` or `RawSQL()`, directly or through a local variable.

## Why is this bad?
Values formatted into SQL text are not escaped: a quote in the value breaks the query, and a crafted value runs
the attacker's SQL (SQL injection). Every one of these APIs takes parameters that the database driver quotes.

## Example
```python
{BAD_EXAMPLE}```

## Use instead
```python
{GOOD_EXAMPLE}```
Pass values as parameters: `Book.objects.raw("... WHERE id = %s", [book_id])`,
`qs.extra(where=["price > %s"], params=[price])`, `RawSQL("... = %s", (value,))`.

## Known problems
Identifiers (table and column names) cannot be parameters; parts that are constants, constant module-level names,
`quote_name(...)` results, names from a model's `_meta` (`db_table`, `column`) and `", ".join(["%s"] * n)`
placeholder lists are treated as safe, and so are values joined from a collection of constants
(`", ".join(f"'{{t}}'" for t in TYPES)`) whether the collection is a literal, a name bound to one, a class
attribute (`self.types`) or a parameter that every call in the file fills with one. `execute()` is
recognised on receivers named like a cursor (`cursor`, `self.cursor`, `connection.cursor()`).

## References
- [Django: performing raw SQL queries](https://docs.djangoproject.com/en/stable/topics/db/sql/)
"""

_RAW_SQL = frozenset({"django.db.models.expressions.RawSQL", "django.db.models.RawSQL", "RawSQL"})
_EXTRA_SQL_KEYWORDS = ("select", "where", "tables", "order_by")
_IDENTIFIERS = frozenset({"db_table", "column", "attname"})


@dataclass(frozen=True)
class Formatted:
    """A formatted SQL string: how it was built and where (a local variable may be built on another line)."""

    how: str
    node: nodes.NodeNG


def _module_constant(context: FileContext, name: str) -> nodes.Const | None:
    """A module-level ``NAME = "..."`` bound once in this file."""
    values = [
        statement.value
        for statement in context.module.body
        if isinstance(statement, nodes.Assign)
        and any(isinstance(target, nodes.AssignName) and target.name == name for target in statement.targets)
    ]
    if len(values) == 1 and isinstance(values[0], nodes.Const):
        return values[0]
    return None


def _is_placeholder_join(node: nodes.NodeNG) -> bool:
    """``", ".join(["%s"] * n)`` or ``",".join("%s" for _ in values)``: placeholders, not values."""
    if not (isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.attrname == "join"):
        return False
    if not node.args:
        return False
    strings = [child.value for child in node.args[0].nodes_of_class(nodes.Const) if isinstance(child.value, str)]
    names = list(node.args[0].nodes_of_class(nodes.Name))
    comprehension_targets = {target.name for target in node.args[0].nodes_of_class(nodes.AssignName)}
    element_reads = [name for name in names if name.name in comprehension_targets]
    return bool(strings) and all(value in ("%s", "?", "%s, ") for value in strings) and not element_reads


def _is_safe_part(context: FileContext, node: nodes.NodeNG, depth: int = 3) -> bool:
    """A formatted part that cannot carry outside data into the SQL text."""
    if depth < 0:
        return False
    if isinstance(node, nodes.Const):
        return True
    if isinstance(node, nodes.Name):
        local = single_local_value(node)
        if local is not None:
            return _is_safe_part(context, local, depth - 1)
        return _module_constant(context, node.name) is not None
    if isinstance(node, nodes.Attribute) and (node.attrname in _IDENTIFIERS or _reads_meta(node)):
        return True  # a table or column name from the model's options, not outside data
    if isinstance(node, nodes.Call):
        return (
            callee_name(node).endswith("quote_name")
            or _is_placeholder_join(node)
            or callee_name(node) == "len"
            or _is_constant_join(context, node, depth)
        )
    if isinstance(node, nodes.BinOp) and node.op == "+":
        return _is_safe_part(context, node.left, depth - 1) and _is_safe_part(context, node.right, depth - 1)
    return False


def _is_constant_join(context: FileContext, node: nodes.Call, depth: int) -> bool:
    """``", ".join(f"'{t}'" for t in TYPES)``: every value joined comes from a collection of constants."""
    if not (isinstance(node.func, nodes.Attribute) and node.func.attrname == "join" and len(node.args) == 1):
        return False
    argument = node.args[0]
    if not isinstance(argument, (nodes.GeneratorExp, nodes.ListComp)):
        return _is_constant_collection(context, argument, depth)
    targets = {
        target.name for generator in argument.generators for target in generator.target.nodes_of_class(nodes.AssignName)
    }
    if not all(_is_constant_collection(context, generator.iter, depth) for generator in argument.generators):
        return False
    # Built from the targets and constants only: a name read from anywhere else could carry outside data.
    return not any(name.name not in targets for name in argument.elt.nodes_of_class(nodes.Name))


def _is_constant_collection(context: FileContext, node: nodes.NodeNG, depth: int) -> bool:
    """A list, tuple or set of constants: as a literal, a local or module name bound to one, a class attribute
    (``self.TYPES``) every class in the file binds to one, or a parameter every call in the file passes one to."""
    if depth < 0:
        return False
    if isinstance(node, (nodes.List, nodes.Tuple, nodes.Set)):
        return all(isinstance(element, nodes.Const) for element in node.elts)
    if isinstance(node, nodes.Attribute) and isinstance(node.expr, nodes.Name):
        values = [
            statement.value
            for classdef in nodes_of(context.module, nodes.ClassDef)
            for statement in classdef.body
            if isinstance(statement, nodes.Assign)
            and any(
                isinstance(target, nodes.AssignName) and target.name == node.attrname for target in statement.targets
            )
        ]
        return bool(values) and all(_is_constant_collection(context, value, depth - 1) for value in values)
    if not isinstance(node, nodes.Name):
        return False
    local = single_local_value(node)
    if local is not None:
        return _is_constant_collection(context, local, depth - 1)
    constant = _module_value(context, node.name)
    if constant is not None:
        return _is_constant_collection(context, constant, depth - 1)
    passed = _arguments_passed(context, node)
    return bool(passed) and all(_is_constant_collection(context, value, depth - 1) for value in passed)


def _module_value(context: FileContext, name: str) -> nodes.NodeNG | None:
    values = [
        statement.value
        for statement in context.module.body
        if isinstance(statement, nodes.Assign)
        and any(isinstance(target, nodes.AssignName) and target.name == name for target in statement.targets)
    ]
    return values[0] if len(values) == 1 else None


def _arguments_passed(context: FileContext, name: nodes.Name) -> list[nodes.NodeNG]:
    """What the calls in this file pass for ``name``, a parameter of the enclosing function (empty when unknown:
    a call passes it by ``*args``, or the function is not called here)."""
    function = name.frame()
    if not isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
        return []
    parameters = [argument.name for argument in function.args.args or []]
    if name.name not in parameters:
        return []
    index = parameters.index(name.name)
    if function.type in ("method", "classmethod") and index > 0:
        index -= 1  # the call does not pass self or cls
    passed: list[nodes.NodeNG] = []
    for call in nodes_of(context.module, nodes.Call):
        called = call.func.attrname if isinstance(call.func, nodes.Attribute) else getattr(call.func, "name", None)
        if called != function.name:
            continue
        keyword = call_keyword(call, name.name)
        if keyword is not None:
            passed.append(keyword)
        elif index < len(call.args) and not any(isinstance(item, nodes.Starred) for item in call.args[: index + 1]):
            passed.append(call.args[index])
        else:
            return []
    return passed


def _reads_meta(node: nodes.Attribute) -> bool:
    """``model._meta.db_table``, ``self.model._meta.pk.column`` and the like."""
    current: nodes.NodeNG = node
    while isinstance(current, nodes.Attribute):
        if current.attrname == "_meta":
            return True
        current = current.expr
    return False


def formatted_sql(context: FileContext, node: nodes.NodeNG, follow: int = 2) -> Formatted | None:
    """How ``node`` builds SQL by formatting non-constant values into it, or None for a safe or unknown string."""
    if isinstance(node, nodes.JoinedStr):
        parts = [part.value for part in node.values if isinstance(part, nodes.FormattedValue)]
        if any(not _is_safe_part(context, part) for part in parts):
            return Formatted("an f-string", node)
        return None
    if isinstance(node, nodes.BinOp) and node.op == "%":
        if isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
            parts = node.right.elts if isinstance(node.right, nodes.Tuple) else [node.right]
            if isinstance(node.right, nodes.Dict):
                parts = [value for _, value in node.right.items]
            if any(not _is_safe_part(context, part) for part in parts):
                return Formatted("% formatting", node)
        return None
    if isinstance(node, nodes.BinOp) and node.op == "+":
        inner = formatted_sql(context, node.left, follow) or formatted_sql(context, node.right, follow)
        if inner is not None:
            return inner
        operands = [node.left, node.right]
        has_string = any(isinstance(item, (nodes.Const, nodes.JoinedStr)) for item in operands)
        if has_string and any(not _is_safe_part(context, item) for item in operands):
            return Formatted("string concatenation", node)
        return None
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.attrname == "format":
        template = node.func.expr
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            arguments = [*node.args, *(item.value for item in node.keywords or ())]
            if any(not _is_safe_part(context, argument) for argument in arguments):
                return Formatted("str.format()", node)
        return None
    if isinstance(node, nodes.Name) and follow > 0:
        assigned = single_local_value(node)
        if assigned is not None:
            return formatted_sql(context, assigned, follow - 1)
    return None


def _is_cursor(receiver: nodes.NodeNG) -> bool:
    if isinstance(receiver, nodes.Name):
        return "cursor" in receiver.name.lower()
    if isinstance(receiver, nodes.Attribute):
        return "cursor" in receiver.attrname.lower()
    if isinstance(receiver, nodes.Call) and isinstance(receiver.func, nodes.Attribute):
        return bool(receiver.func.attrname == "cursor")
    return False


def sql_arguments(context: FileContext, call: nodes.Call) -> Iterator[tuple[str, nodes.NodeNG]]:
    """The SQL text arguments of a call to one of the raw SQL APIs, with the API's name."""
    func = call.func
    first = call.args[0] if call.args else None
    if isinstance(func, nodes.Attribute):
        if func.attrname == "raw":
            sql = first if first is not None else call_keyword(call, "raw_query")
            if sql is not None and _receiver_is_manager(func.expr):
                yield "raw()", sql
            return
        if func.attrname in ("execute", "executemany") and _is_cursor(func.expr):
            sql = first if first is not None else call_keyword(call, "sql")
            if sql is not None:
                yield f"{func.attrname}()", sql
            return
        if func.attrname == "extra":
            for name in _EXTRA_SQL_KEYWORDS:
                value = call_keyword(call, name)
                if isinstance(value, (nodes.List, nodes.Tuple)):
                    for element in value.elts:
                        yield f"extra({name}=...)", element
                elif isinstance(value, nodes.Dict):
                    for _, element in value.items:
                        yield f"extra({name}=...)", element
            return
    if callee_is(context, call, _RAW_SQL):
        sql = first if first is not None else call_keyword(call, "sql")
        if sql is not None:
            yield "RawSQL()", sql


def _receiver_is_manager(receiver: nodes.NodeNG) -> bool:
    """``Model.objects.raw``, ``self.model._default_manager.raw``, ``qs.raw``: anything but a bare module."""
    return isinstance(receiver, (nodes.Attribute, nodes.Call, nodes.Name))


def check(context: FileContext) -> Iterator[Finding]:
    if in_migrations(context):
        return
    for call in nodes_of(context.module, nodes.Call):
        for api, sql in sql_arguments(context, call):
            formatted = formatted_sql(context, sql)
            if formatted is None:
                continue
            message = (
                f"SQL built with {formatted.how} is passed to {api}: values are not escaped (SQL injection); "
                "use %s placeholders and pass the values as params"
            )
            related: tuple[RelatedLocation, ...] = ()
            if formatted.node.lineno != call.lineno:
                related = (RelatedLocation(context.path, formatted.node.lineno or 1, "SQL formatted here"),)
            fix = Fix(message="use %s placeholders and params=[...]", path=context.path, line=call.lineno or 1)
            yield context.finding(RULE, call, message, fix=fix, related=related)


RULE = Rule(
    code="ORM408",
    name="raw-sql-formatting",
    summary="SQL built by string formatting is passed to raw(), extra(), execute() or RawSQL(); use params.",
    severity=Severity.ERROR,
    docs=DOCS,
    bad_example=BAD_EXAMPLE,
    good_example=GOOD_EXAMPLE,
    check=check,
)
