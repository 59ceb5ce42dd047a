"""What a rule sees: the file being checked and the facts about the whole project, computed once and shared.

Also the per-tree node index (``nodes_of``): rules and integrations look for the classes, calls or subscripts of a
module many times over; astroid's ``nodes_of_class`` walks the whole tree on every call, through one nested
generator per level, so the index walks each module once and answers every later question from lists.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from astroid import nodes

from analyzer.findings import Finding, Fix, RelatedLocation, Severity
from analyzer.modelgraph import ModelGraph


class RuleIdentity(Protocol):
    """What a finding takes from its rule (``analyzer.rules.Rule`` has it); a protocol, so that this module does not
    import the rules package, which imports it."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def severity(self) -> Severity: ...


T = TypeVar("T")
N = TypeVar("N", bound=nodes.NodeNG)
NodeClasses = type[N] | tuple[type[N], ...]
# The index is kept on the module object itself, so it lives and dies with the tree (and forked workers inherit the
# indexes the parent built before the fork).
_INDEX_ATTRIBUTE = "_orm_analyzer_node_index"
# Subtrees that ``nodes_of`` answers from the index: scopes (functions, classes, lambdas, comprehensions). Other
# subtrees are small and walked directly.
_INDEXED_SUBTREES = nodes.LocalsDictNodeNG


class NodeIndex:
    """Every node of one tree, in the pre-order ``nodes_of_class`` yields them, from a single walk.

    Answers ``nodes_of_class`` questions for the whole tree and for any scope inside it; each answer is computed
    once per node class and then shared, so callers must not change the lists they get.
    """

    def __init__(self, root: nodes.NodeNG) -> None:
        self.nodes: list[nodes.NodeNG] = []
        # id(scope) -> (position of the scope, position past its last descendant)
        self.spans: dict[int, tuple[int, int]] = {}
        # Positions as machine integers: a list would hold one int object per node.
        self._positions: dict[object, array[int]] = {}
        self._whole_tree: dict[object, list[nodes.NodeNG]] = {}
        self._by_type: dict[type[nodes.NodeNG], array[int]] | None = None
        try:
            self._walk(root)
        except RecursionError:
            # A very deeply nested expression: the same walk with an explicit stack (slower, no depth limit).
            self.nodes.clear()
            self.spans.clear()
            self._walk_with_stack(root)

    def _walk(self, root: nodes.NodeNG) -> None:
        ordered = self.nodes
        spans = self.spans
        append = ordered.append

        def visit(node: nodes.NodeNG) -> None:
            position = len(ordered)
            append(node)
            for child in node.get_children():
                visit(child)
            if isinstance(node, _INDEXED_SUBTREES):
                spans[id(node)] = (position, len(ordered))

        visit(root)

    def _walk_with_stack(self, root: nodes.NodeNG) -> None:
        ordered = self.nodes
        spans = self.spans
        # A scope is pushed again, as the bitwise complement of its position, to note where its subtree ends.
        stack: list[nodes.NodeNG | int] = [root]
        while stack:
            item = stack.pop()
            if isinstance(item, int):
                spans[id(ordered[~item])] = (~item, len(ordered))
                continue
            if isinstance(item, _INDEXED_SUBTREES):
                stack.append(~len(ordered))
            ordered.append(item)
            children = list(item.get_children())
            children.reverse()
            stack.extend(children)

    def positions(self, klass: NodeClasses[N]) -> array[int]:
        """The positions of the nodes that are instances of ``klass``, ascending."""
        found = self._positions.get(klass)
        if found is not None:
            return found
        if self._by_type is None:
            by_type: dict[type[nodes.NodeNG], array[int]] = {}
            for position, node in enumerate(self.nodes):
                positions = by_type.get(type(node))
                if positions is None:
                    by_type[type(node)] = array("l", (position,))
                else:
                    positions.append(position)
            self._by_type = by_type
        matching = [positions for node_type, positions in self._by_type.items() if issubclass(node_type, klass)]
        found = matching[0] if len(matching) == 1 else array("l", sorted(item for group in matching for item in group))
        self._positions[klass] = found
        return found

    def of_class(self, klass: NodeClasses[N], within: nodes.NodeNG | None = None) -> list[N]:
        """``within.nodes_of_class(klass)`` (the whole tree without ``within``), in the same order."""
        positions = self.positions(klass)
        ordered = self.nodes
        if within is None:
            found = self._whole_tree.get(klass)
            if found is None:
                found = [ordered[position] for position in positions]
                self._whole_tree[klass] = found
            return cast(list[N], found)
        start, end = self.spans[id(within)]
        first = bisect_left(positions, start)
        last = bisect_left(positions, end, first)
        return [cast(N, ordered[position]) for position in positions[first:last]]


def node_index(module: nodes.Module) -> NodeIndex:
    """The node index of a module, built on first use and kept with the module."""
    index = module.__dict__.get(_INDEX_ATTRIBUTE)
    if not isinstance(index, NodeIndex):
        index = NodeIndex(module)
        setattr(module, _INDEX_ATTRIBUTE, index)
    return index


def nodes_of(root: nodes.NodeNG, klass: NodeClasses[N]) -> Sequence[N]:
    """The nodes under ``root`` (itself included) that are instances of ``klass``, in the order of astroid's
    ``root.nodes_of_class(klass)``, answered from the index of the module that holds ``root``."""
    if isinstance(root, nodes.Module):
        return node_index(root).of_class(klass)
    if isinstance(root, _INDEXED_SUBTREES):
        module = root.root()
        if isinstance(module, nodes.Module):
            index = node_index(module)
            if id(root) in index.spans:
                return index.of_class(klass, within=root)
    return list(root.nodes_of_class(klass))


def call_keyword(call: nodes.Call, name: str) -> nodes.NodeNG | None:
    """The value passed as ``name=`` to a call, or None."""
    return next((item.value for item in call.keywords or () if item.arg == name), None)


@dataclass(frozen=True)
class SourceFile:
    """A Python file found under the analysed paths."""

    path: Path  # absolute
    display_path: str  # relative to the current directory, with forward slashes
    modname: str  # dotted module name relative to its import root ("catalog.views")
    root: Path  # the import root the module name is relative to


@dataclass(frozen=True)
class SettingsInfo:
    """The parts of the Django settings module that the analysis reads statically."""

    module: str | None = None
    path: Path | None = None
    installed_apps: tuple[str, ...] = ()
    auth_user_model: str = "auth.User"
    template_dirs: tuple[Path, ...] = ()
    app_dirs: bool = True


@dataclass
class ProjectContext:
    """Facts about the whole project, shared by every file and rule."""

    graph: ModelGraph
    settings: SettingsInfo
    files: tuple[SourceFile, ...]
    modules: dict[str, nodes.Module]  # modname -> parsed module, for files that parsed
    cwd: Path
    memo: dict[str, Any] = field(default_factory=dict)

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a project-wide fact once and reuse it for every file and rule."""
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value

    def display_path(self, path: Path | str) -> str:
        absolute = Path(path).resolve()
        try:
            return absolute.relative_to(self.cwd).as_posix()
        except ValueError:
            return absolute.as_posix()


@dataclass
class FileContext:
    """One file under check, with its parsed module and the project facts."""

    source: SourceFile
    module: nodes.Module
    lines: list[str]
    project: ProjectContext
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.source.display_path

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a per-file fact (such as the flow events) once for all rules."""
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value

    def finding(
        self,
        rule: RuleIdentity,
        node: nodes.NodeNG,
        message: str,
        *,
        model: str | None = None,
        field: str | None = None,
        fix: Fix | None = None,
        related: tuple[RelatedLocation, ...] = (),
        path: str | None = None,
    ) -> Finding:
        """Turn an astroid node into a finding; astroid's 0-based columns become 1-based here and only here."""
        line = node.lineno or 1
        column = (node.col_offset or 0) + 1
        end_line = node.end_lineno or line
        end_column = (node.end_col_offset or (column - 1)) + 1
        return Finding(
            code=rule.code,
            name=rule.name,
            severity=rule.severity,
            message=message,
            path=path or self.path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            model=model,
            field=field,
            fix=fix,
            related=related,
        )
