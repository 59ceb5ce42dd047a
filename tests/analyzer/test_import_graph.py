"""No import circles: every module's imports (at module level, inside functions and under ``TYPE_CHECKING``) form a
graph without cycles, so each module can be read, tested and changed after the ones it builds on."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The packages whose import graph must have no cycle; a package joins by being listed here.
PACKAGES = ["analyzer", "runtime"]


def module_names(package: str) -> dict[str, Path]:
    """Every module of the package by dotted name, a package's ``__init__`` under the package's own name."""
    names: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_modules(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The known modules a module imports anywhere in its body; ``from package import module`` names the module."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join([*anchor[: len(anchor) - node.level + 1], *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    yield f"{base}.{alias.name}"
                elif base in known:
                    yield base


def import_graph(package: str) -> dict[str, set[str]]:
    names = module_names(package)
    known = set(names)
    return {name: set(imported_modules(name, path, known)) - {name} for name, path in names.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_cycles_finds_a_circle_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert cycles(graph) == [["a", "b", "c"]]


def test_imported_modules_reads_function_level_and_from_package_imports(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(
        "from pkg import sub\nfrom pkg.other import thing\n\ndef f():\n    import pkg.late\n", encoding="utf-8"
    )
    known = {"pkg", "pkg.sub", "pkg.other", "pkg.late", "pkg.mod"}

    assert sorted(imported_modules("pkg.mod", path, known)) == ["pkg.late", "pkg.other", "pkg.sub"]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_has_no_import_cycle(package: str) -> None:
    assert cycles(import_graph(package)) == []
