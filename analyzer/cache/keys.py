"""Cache keys: what every entry's key is made of, so that an entry is found again exactly when its result would be
the same. The base holds the analyzer's own fingerprint, the settings, the configuration, the rules and the
template files; a file's key adds its content and the content of everything its findings can depend on.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.cache.store import analyzer_fingerprint, combine, digest
from analyzer.config import DEFAULT_MAX_FILE_SIZE, Config
from analyzer.context import SettingsInfo, SourceFile
from analyzer.filesystem import read_regular_file
from analyzer.groups import Group
from analyzer.prefilter import ImportGraph
from analyzer.rules import Rule
from analyzer.sources import SourceText

# Template files are hashed for the cache key: ORM110 reads them from these suffixes.
TEMPLATE_SUFFIXES = frozenset({".html", ".htm", ".txt", ".xml", ".jinja", ".jinja2", ".j2"})


def template_fingerprint(sources: Sequence[SourceFile], settings: SettingsInfo) -> str:
    """A hash of every template file the template rules can read: TEMPLATES DIRS and each package's templates/ and
    jinja2/ folders."""
    folders = {*settings.template_dirs}
    for source in sources:
        if source.path.name == "__init__.py":
            folders.add(source.path.parent / "templates")
            folders.add(source.path.parent / "jinja2")
    parts: list[str] = []
    for folder in sorted(folders):
        for directory, subfolders, names in os.walk(folder):
            subfolders.sort()
            for name in sorted(names):
                path = Path(directory, name)
                if path.suffix not in TEMPLATE_SUFFIXES:
                    continue
                try:
                    # A named pipe called page.html would block a plain read: only regular files, within the cap.
                    parts.append(f"{path}:{digest(read_regular_file(path, DEFAULT_MAX_FILE_SIZE))}")
                except OSError as error:
                    parts.append(f"{path}:unreadable:{error.errno}:{error}")
    return combine(parts)


@dataclass(frozen=True)
class FileKeys:
    """The cache keys of one group: one per checked file, and one for the project-wide integration results."""

    by_path: dict[str, str]
    graph: str  # the model graph and the modules it is built from
    graph_closure: set[str]  # those modules and what they import


@dataclass
class CacheKeys:
    """The parts of every cache key that do not depend on one file."""

    base: str

    def run(self, texts: Sequence[SourceText]) -> str:
        return combine([self.base, "run", *(text.fingerprint for text in texts)])

    def files(self, group: Group) -> FileKeys:
        """A key per checked file: its own content, its imports' content (transitively), the model graph and the
        content of every file whose changes reach any file without an import: the modules the models are built
        from (and what they import) for every file, and the project-wide integrations (files with their words,
        and what those import) for the files whose findings those integrations can change.

        An integration (a template render, a serializer, an admin, a paginator, a class another class extends)
        reports where the read happens: in its own file, in a file it imports (a helper, a base view), in a model
        module (a property, a method) or in a file that imports an integration file (a view built on a project
        base view). Any other file cannot see the integrations, so editing a view does not re-check it."""
        imports = ImportGraph(group.facts)
        graph = group.project.graph
        resolver_modules = set(group.parsed)
        graph_modules: set[str] = set()
        for info in graph.models.values():
            for qualname in (info.qualname, *info.bases, *info.properties.values(), *info.methods.values()):
                graph_modules.update(project_module(qualname, resolver_modules))
            for classes in info.manager_classes.values():
                for qualname in classes:
                    graph_modules.update(project_module(qualname, resolver_modules))
        # Signal receivers run for the writes of files that never import them: they reach every file, as models do.
        graph_modules.update(name for name, facts in group.facts.items() if facts.signals and name in resolver_modules)
        scoped = {name for name, facts in group.facts.items() if facts.project_scope and name in resolver_modules}
        graph_closure = imports.closure(graph_modules)
        scoped_closure = imports.closure(scoped)
        scope_dependents = scoped_closure | graph_closure | imports.importers(scoped)
        packages = sorted(source.modname for source in group.project.files if source.path.name == "__init__.py")

        def digests(names: set[str]) -> list[str]:
            return sorted(group.digests[name] for name in names if name in group.digests)

        graph_key = combine([self.base, repr(graph), *packages, *digests(graph_closure)])
        scoped_key = combine([graph_key, "integrations", *digests(scoped_closure)])
        keys: dict[str, str] = {}
        for modname, path in group.checkable:
            shared_key = scoped_key if modname in scope_dependents else graph_key
            parts = digests(imports.closure([modname]))
            keys[path] = combine([shared_key, "file", group.digests[modname], *parts])
        return FileKeys(keys, graph_key, graph_closure)

    def graph_state(self, number: int, graph_closure: Collection[str], fingerprints: dict[str, str]) -> str:
        """Where a run's index is kept by the content of its model modules, for a later run to find again."""
        parts = sorted(f"{name}={fingerprints.get(name, '')}" for name in graph_closure)
        return combine([self.base, "graph-state", str(number), *parts])

    def parse_index(self, number: int) -> str:
        """Where the latest run of group ``number`` says what it parsed and which model graph it built."""
        return combine([self.base, "parse-index", str(number)])

    def project_index(self, number: int) -> str:
        """Where the latest integration results of group ``number`` say which modules they were built from."""
        return combine([self.base, "project-index", str(number)])

    def project(self, group: Group, graph_key: str, contributors: Sequence[str]) -> str:
        """The key of the integration results: the model graph, the templates (in the base), the contributing
        modules in file order and the content of everything they import (``analyzer.integrations.scope``)."""
        imports = ImportGraph(group.facts)
        # A view with no module of its own falls back to the first parsed module for name resolution.
        first = group.parsed[0] if group.parsed else ""
        closure = sorted(group.digests[name] for name in imports.closure(contributors) if name in group.digests)
        return combine([graph_key, "project", first, *contributors, "imports", *closure])


def project_module(qualname: str, modules: Collection[str]) -> list[str]:
    parts = qualname.split(".")
    for end in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:end])
        if head in modules:
            return [head]
    return []


# The project-wide results of the integration rules (``ProjectContext.shared`` keys), cached as one entry so that
# a rerun that re-checks only files outside their scope does not recompute them. ORM110 keeps the file of the
# render that owns each finding; ORM111 and ORM112 keep plain findings.


def cache_keys(
    config: Config,
    rules: Sequence[Rule],
    cwd: Path,
    settings: SettingsInfo,
    sources: Sequence[SourceFile],
    *,
    prefilter: bool,
) -> CacheKeys:
    """The keys of one run: everything but the files' own content goes into the base."""
    rule_identities = [f"{rule.code}:{rule.check.__module__}.{rule.check.__qualname__}" for rule in rules]
    base = combine(
        [
            analyzer_fingerprint(),
            str(cwd),
            repr(settings),
            str(config.max_file_size),
            str(prefilter),
            template_fingerprint(sources, settings),
            *rule_identities,
        ]
    )
    return CacheKeys(base)
