"""What a rule sees: the file being checked and the facts about the whole project, computed once and shared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from analyzer.findings import Finding, Fix, RelatedLocation
from analyzer.modelgraph import ModelGraph

if TYPE_CHECKING:
    from astroid import nodes

    from analyzer.rules._base import Rule

T = TypeVar("T")


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
        rule: Rule,
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
