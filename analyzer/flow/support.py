"""Small helpers over nodes and abstract values that every concern of the frame uses: the short text of an
expression for messages, the loops a value depends on, detaching a value from its loop, joining environments."""

from __future__ import annotations

from dataclasses import replace

from astroid import nodes

from analyzer.flow.values import (
    Instance,
    QuerySet,
    Tainted,
    TupleOf,
    Value,
    join,
)

_MAX_TEXT = 60


def short_text(node: nodes.NodeNG) -> str:
    """A queryset expression with its arguments elided: ``Book.objects.filter(...)``."""
    if isinstance(node, nodes.Call):
        return f"{short_text(node.func)}({'...' if node.args or node.keywords else ''})"
    if isinstance(node, nodes.Attribute):
        return f"{short_text(node.expr)}.{node.attrname}"
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Await):
        return short_text(node.value)
    return "..."


def expression_text(node: nodes.NodeNG) -> str:
    text: str = node.as_string()
    return text if len(text) <= _MAX_TEXT else short_text(node)


def literal_strings(arguments: list[nodes.NodeNG]) -> list[str] | None:
    found: list[str] = []
    for argument in arguments:
        if isinstance(argument, nodes.Const) and isinstance(argument.value, str):
            found.append(argument.value)
        else:
            return None
    return found


def loops_of(value: Value) -> frozenset[nodes.NodeNG]:
    if isinstance(value, Tainted):
        return value.loops
    if isinstance(value, Instance):
        loops: set[nodes.NodeNG] = set()
        if value.row is not None and value.row.loop is not None:
            loops.add(value.row.loop)
        if value.born_in is not None:
            loops.add(value.born_in)
        return frozenset(loops)
    if isinstance(value, QuerySet):
        return value.taint
    if isinstance(value, TupleOf):
        return frozenset().union(*(loops_of(item) for item in value.items)) if value.items else frozenset()
    return frozenset()


def retag_none(value: Value) -> Value:
    """Detach a value from the loop that produced it (it is stored for later, not used per row here)."""
    if isinstance(value, Instance) and value.row is not None and value.row.loop is not None:
        return replace(value, row=replace(value.row, loop=None))
    if isinstance(value, TupleOf):
        return TupleOf(tuple(retag_none(item) for item in value.items))
    return value


def loop_line(loop: nodes.NodeNG | None) -> int | None:
    """The line a loop starts on; comprehension generators have no line of their own."""
    while loop is not None and loop.lineno is None:
        loop = loop.parent
    return loop.lineno if loop is not None else None


def join_envs(first: dict[str, Value], second: dict[str, Value]) -> dict[str, Value]:
    joined: dict[str, Value] = {}
    for name in first.keys() | second.keys():
        joined[name] = join(first.get(name), second.get(name))
    return joined
