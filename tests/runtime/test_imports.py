"""The runtime package has no import circles, counting every import statement (function-level ones too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "runtime"


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module name -> the modules of the same package it imports anywhere in its source."""
    name = package.name
    modules = {path.stem: path for path in package.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for stem, path in modules.items():
        module = name if stem == "__init__" else f"{name}.{stem}"
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names if alias.name.split(".")[0] == name)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == name:
                if node.module == name:
                    # from runtime import _patches: the submodule; from runtime import detect: the package.
                    imported.update(f"{name}.{a.name}" if a.name in modules else name for a in node.names)
                else:
                    imported.add(node.module)
        graph[module] = imported - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, each as the path from a module back to itself."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            found.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return found


def test_the_cycle_finder_finds_a_function_level_circle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("thing = 1\n\ndef later():\n    from pkg import a\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_runtime_has_no_import_circles() -> None:
    graph = import_graph(PACKAGE)
    assert "runtime._patches" in graph["runtime._lifecycle"]
    assert cycles(graph) == []
