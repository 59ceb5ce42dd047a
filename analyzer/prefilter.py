"""The cheap first pass: which files can matter to the analysis, read from their text before astroid builds a tree.

Building an astroid tree costs far more than reading a file, and many files in a large tree (empty package
``__init__`` files, pure utilities, scripts) can neither produce a finding nor change one. A file is *relevant*
when its text mentions the ORM or the Django machinery the rules read (``SEED_PATTERN``), or when it imports,
directly or through other project modules, a relevant module: a view that loops over ``selectors.books()`` has
no ORM word of its own. The flow follows calls into helpers across modules and the model graph follows bases, so
every project module that a relevant module imports, transitively, is parsed too (``ImportGraph.closure``).
Everything else is skipped; the set is a superset of what the rules can reach, so findings do not change.

The same import graph gives the cache each file's dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Words whose absence proves a file cannot yield a finding on its own: every rule starts from a model, a
# manager or queryset, a Django or DRF import, raw SQL, a template render or an admin class.
SEED_PATTERN = re.compile(
    r"django|rest_framework|modelcluster|models|Model|objects|Manager|QuerySet|queryset|select_related|"
    r"prefetch_related|_set\b|execute|cursor|raw\(|serializer|Serializer|admin|template|render|paginat|Paginat"
)
# Words of the project-wide integrations, whose findings in one file can depend on another file that does not import
# it: views rendering templates (class-based views name their templates implicitly), DRF serializers and viewsets,
# admin registrations, pagination, graphene schemas and django-tables2 tables. A change to such a file invalidates the
# cached entries of every file those integrations can report in (``analyzer.cache.keys.CacheKeys.files``). (Model,
# manager and queryset modules reach every file; the cache keys find those from the model graph itself.)
PROJECT_SCOPE_PATTERN = re.compile(
    r"render|template|Template|View\b|\bviews\b|serializ|Serializ|admin|Admin|paginat|Paginat|graphene|tables2"
)
# Model signals a receiver can be connected to: such a module reaches every file that saves or deletes rows.
SIGNAL_PATTERN = re.compile(r"\b(?:pre|post)_(?:save|delete)\b")
# ``import a.b as c`` / ``from .a import (b, c)``: enough of the import syntax to name every imported module.
_IMPORT_PATTERN = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<source>\.*[\w.]*)[ \t]+import[ \t]*(?P<names>\([^)]*\)|[^\n#;]*(?:\\\n[^\n#;]*)*)"
    r"|import[ \t]+(?P<modules>[^\n#;]+))",
    re.MULTILINE,
)
_NAME_PATTERN = re.compile(r"[\w.]+")


@dataclass(frozen=True)
class FileFacts:
    """What the first pass learns about one file from its text."""

    modname: str
    imports: tuple[str, ...]  # absolute dotted names of everything imported (modules and names in modules)
    seed: bool  # the text can yield findings by itself
    project_scope: bool  # the text can change findings of files that do not import it
    # The text can connect a model signal receiver, which runs for writes in any file (``integrations.signals``).
    signals: bool = False


def _absolute(source: str, modname: str, is_package: bool) -> str:
    level = len(source) - len(source.lstrip("."))
    name = source[level:]
    if not level:
        return name
    parts = modname.split(".") if is_package else modname.split(".")[:-1]
    if level > 1:
        parts = parts[: max(0, len(parts) - (level - 1))]
    base = ".".join(parts)
    return f"{base}.{name}" if base and name else base or name


def imported_names(text: str, modname: str, *, is_package: bool) -> tuple[str, ...]:
    """Every module and ``module.name`` the text imports, with relative imports made absolute.

    Imports inside functions and ``if TYPE_CHECKING`` blocks count too: reading more imports than Python would
    run only makes the dependency set larger, never wrong.
    """
    found: list[str] = []
    for match in _IMPORT_PATTERN.finditer(text):
        if match.group("modules") is not None:
            for part in match.group("modules").split(","):
                words = part.split()
                if words and _NAME_PATTERN.fullmatch(words[0]):
                    found.append(words[0])
            continue
        source = _absolute(match.group("source"), modname, is_package)
        if source:
            found.append(source)
        names = match.group("names").strip("()\\ \t\n")
        for part in names.replace("\\\n", " ").split(","):
            words = part.split()
            if words and words[0] != "*" and words[0].isidentifier():
                found.append(f"{source}.{words[0]}" if source else words[0])
    return tuple(dict.fromkeys(found))


def scan(text: str, modname: str, *, is_package: bool) -> FileFacts:
    return FileFacts(
        modname=modname,
        imports=imported_names(text, modname, is_package=is_package),
        seed=SEED_PATTERN.search(text) is not None,
        project_scope=PROJECT_SCOPE_PATTERN.search(text) is not None,
        signals=SIGNAL_PATTERN.search(text) is not None,
    )


class ImportGraph:
    """Which project modules import which, from the first pass's facts (module names unique within a group)."""

    def __init__(self, facts: Mapping[str, FileFacts]) -> None:
        self.facts = facts
        self.edges: dict[str, set[str]] = {name: self._project_targets(fact.imports) for name, fact in facts.items()}
        self.reverse: dict[str, set[str]] = {name: set() for name in facts}
        for name, targets in self.edges.items():
            for target in targets:
                self.reverse[target].add(name)

    def _project_targets(self, imports: Iterable[str]) -> set[str]:
        # ``from a.b import c`` runs a/__init__ and a/b, and c may be a module: every project-module prefix counts.
        targets: set[str] = set()
        for imported in imports:
            parts = imported.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                if prefix in self.facts:
                    targets.add(prefix)
        return targets

    def closure(self, start: Iterable[str]) -> set[str]:
        """The modules and every project module they import, transitively."""
        return _reachable(start, self.edges)

    def importers(self, start: Iterable[str]) -> set[str]:
        """The modules and every project module that imports one of them, transitively."""
        return _reachable(start, self.reverse)

    def relevant(self) -> set[str]:
        """The modules whose trees the analysis needs: seeds, their importers, and everything those import."""
        seeds = [name for name, fact in self.facts.items() if fact.seed]
        return self.closure(self.importers(seeds))


def _reachable(start: Iterable[str], edges: Mapping[str, set[str]]) -> set[str]:
    seen = set(start)
    pending = list(seen)
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen
