"""The parse stage: one group of files with unique module names (``discovery.partition_by_module_name``) is scanned
as text (``analyzer.prefilter``), its relevant files are parsed with astroid and its model graph is built, giving a
``Group``: the project context the rules see and one ``FileContext`` per file to check.

A cheap text pass skips the files that cannot matter; a skipped file still gets its syntax checked, so skipping
never hides a broken file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import astroid
from astroid import nodes

from analyzer import rules as rule_registry
from analyzer.context import FileContext, ProjectContext, SettingsInfo, SourceFile
from analyzer.findings import FileError
from analyzer.modelgraph import ModelGraph
from analyzer.prefilter import FileFacts, ImportGraph, scan
from analyzer.rules import Rule
from analyzer.sources import SourceText, check_syntax, parse_source

logger = logging.getLogger(__name__)

PROJECT_ERROR_PATH = "."


def prefilter_applies(rules: Sequence[Rule]) -> bool:
    """Whether the text pass may skip files: its seed words describe the shipped rules' entry points; a rule from
    elsewhere may look at anything, so it gets every file."""
    return all(rule.check.__module__.startswith(f"{rule_registry.__name__}.") for rule in rules)


@dataclass(frozen=True)
class Group:
    """One set of files with unique module names, parsed together and checked against one model graph."""

    project: ProjectContext
    contexts: list[FileContext]
    errors: list[FileError]
    facts: dict[str, FileFacts] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # modname -> SourceText.fingerprint
    # What a run that parses every relevant file has: the modules that parse, in file order, and the files it
    # checks as (module, display path). A partial group (``analyzer.cache.partial``) parses fewer and predicts these.
    parsed: list[str] = field(default_factory=list)
    checkable: list[tuple[str, str]] = field(default_factory=list)
    graph_failed: bool = False


@dataclass(frozen=True)
class Scanned:
    """The first, text-only pass over a group: read errors, syntax errors of the files it skips, the facts and
    the relevant modules."""

    texts: Sequence[SourceText]
    errors: list[FileError]
    readable: list[SourceText]
    facts: dict[str, FileFacts]
    wanted: set[str]


def scan_group(texts: Sequence[SourceText], *, prefilter: bool) -> Scanned:
    errors = [text.error for text in texts if text.error is not None]
    readable = [text for text in texts if text.text is not None]
    facts = {
        text.source.modname: scan(text.text, text.source.modname, is_package=text.source.path.name == "__init__.py")
        for text in readable
        if text.text is not None
    }
    wanted = ImportGraph(facts).relevant() if prefilter else set(facts)
    for item in readable:
        assert item.text is not None
        if item.source.modname not in wanted:
            skipped_error = check_syntax(item.source, item.text)
            if skipped_error is not None:
                errors.append(skipped_error)
    return Scanned(texts, errors, readable, facts, wanted)


def parse_into(
    scanned: Scanned, names: set[str], modules: dict[str, nodes.Module], lines: dict[str, list[str]]
) -> list[FileError]:
    """Parse the named relevant files not parsed yet into ``modules`` and ``lines``; their parse errors."""
    builder = astroid.builder.AstroidBuilder(astroid.MANAGER, apply_transforms=False)
    errors: list[FileError] = []
    for item in scanned.readable:
        source = item.source
        if source.modname not in names or source.modname not in scanned.wanted or source.modname in modules:
            continue
        assert item.text is not None
        module = parse_source(builder, source, item.text)
        if isinstance(module, FileError):
            errors.append(module)
            continue
        modules[source.modname] = module
        lines[source.modname] = item.text.splitlines()
    return errors


def in_file_order(scanned: Scanned, modules: dict[str, nodes.Module]) -> dict[str, nodes.Module]:
    return {
        text.source.modname: modules[text.source.modname] for text in scanned.readable if text.source.modname in modules
    }


def file_contexts(
    sources: Sequence[SourceFile],
    modules: dict[str, nodes.Module],
    lines: dict[str, list[str]],
    project: ProjectContext,
) -> list[FileContext]:
    return [
        FileContext(source=source, module=modules[source.modname], lines=lines[source.modname], project=project)
        for source in sources
        if source.modname in modules and modules[source.modname].file == str(source.path)
    ]


def build_group(texts: Sequence[SourceText], settings: SettingsInfo, cwd: Path, *, prefilter: bool) -> Group:
    """Parse the files of one group that can matter (all of them without the prefilter) and build its model."""
    # Imported here: a run answered from the cache never loads the graph builder and the flow it uses.
    from analyzer.graph_builder import build_model_graph

    scanned = scan_group(texts, prefilter=prefilter)
    modules: dict[str, nodes.Module] = {}
    lines: dict[str, list[str]] = {}
    errors = scanned.errors + parse_into(scanned, scanned.wanted, modules, lines)
    modules = in_file_order(scanned, modules)
    graph_failed = False
    try:
        graph = build_model_graph(modules, settings)
    except Exception as error:  # a bug in the graph builder must not lose the run
        logger.debug("model graph failed", exc_info=True, extra={"files": len(texts)})
        errors.append(FileError(PROJECT_ERROR_PATH, f"internal error in model graph: {type(error).__name__}: {error}"))
        graph = ModelGraph(auth_user_model=settings.auth_user_model)
        graph_failed = True
    sources = tuple(text.source for text in texts)
    project = ProjectContext(graph=graph, settings=settings, files=sources, modules=modules, cwd=cwd)
    contexts = file_contexts(sources, modules, lines, project)
    digests = {text.source.modname: text.fingerprint for text in texts}
    checkable = [(context.source.modname, context.path) for context in contexts]
    return Group(project, contexts, errors, scanned.facts, digests, list(modules), checkable, graph_failed)
