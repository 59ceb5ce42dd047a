"""Partial reruns: after an edit far from the models and the integrations, parse only what the re-checked files
can reach. The parse index of each run (what it parsed, which files it checked, its model graph and the modules that
graph is built from) lets the next run predict those without building every tree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from astroid import nodes

from analyzer.cache.keys import CacheKeys, FileKeys
from analyzer.cache.project import contributors_before, reuse_project_results
from analyzer.cache.store import ResultCache, Results, graph_from_json, graph_to_json
from analyzer.context import ProjectContext, SettingsInfo
from analyzer.groups import Group, file_contexts, in_file_order, parse_into, scan_group
from analyzer.prefilter import ImportGraph
from analyzer.rules import Rule
from analyzer.sources import SourceText, recursion_for

logger = logging.getLogger(__name__)


_INTEGRATION_RULES = frozenset({"ORM110", "ORM111", "ORM112", "ORM113", "ORM114", "ORM115"})


@dataclass(frozen=True)
class Partial:
    """A group parsed in part, with the file keys and the files to check already known."""

    group: Group
    keys: FileKeys
    entries: dict[str, Results]  # display path -> the cached results, for the files not re-checked
    reused: bool  # the integration results were seeded from the cache


IndexFacts = tuple[dict[str, str], list[str], set[str], set[str], str]


def _index_facts(index: dict[str, Any] | None, number: int) -> IndexFacts | None:
    if index is None:
        return None
    try:
        return (
            {str(name): str(value) for name, value in index["fingerprints"].items()},
            [str(name) for name in index["parsed"]],
            {str(name) for name in index["checkable"]},
            {str(name) for name in index["graph_closure"]},
            str(index["graph"]),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        logger.debug("ignoring unreadable parse index: %s", error, extra={"group": number})
        return None


def index_before(result_cache: ResultCache, keys: CacheKeys, number: int, current: dict[str, str]) -> IndexFacts | None:
    """The last run's index when no model module changed since; else the index of an earlier run whose model modules
    had today's content (an edit to a model undone), found by the latest index's list of model modules."""
    latest = _index_facts(result_cache.get("parse-index", keys.parse_index(number)), number)
    if latest is None:
        return None

    def graph_unchanged(facts: IndexFacts) -> bool:
        fingerprints, graph_closure = facts[0], facts[3]
        return all(current.get(name) == fingerprints.get(name) for name in graph_closure)

    if graph_unchanged(latest):
        return latest
    state_key = keys.graph_state(number, latest[3], current)
    earlier = _index_facts(result_cache.get("parse-index", state_key), number)
    return earlier if earlier is not None and graph_unchanged(earlier) else None


def partial_group(
    texts: Sequence[SourceText],
    settings: SettingsInfo,
    cwd: Path,
    rules: Sequence[Rule],
    result_cache: ResultCache,
    prefilter: bool,
    keys: CacheKeys,
    number: int,
) -> Partial | None:
    """Parse only what the files to re-check can reach, or None when the last run's facts do not carry over.

    The last run's index gives the content of every file, the modules that parsed and its model graph (which
    depends only on the model modules and what they import). When no edited or removed file is among those and no
    edited file declares a model, the graph and every file key can be computed without a tree; only the files
    whose entries miss are checked, and those need the trees of what they import, of what imports them (a class
    another class extends), of the model modules (properties, methods) and of the edited files. The integration
    results need the whole project: unless their cache entry still holds, the caller parses everything.
    """
    from analyzer.graph_builder import build_model_graph  # only when a partial parse is tried

    current = {text.source.modname: text.fingerprint for text in texts}
    before = index_before(result_cache, keys, number, current)
    if before is None:
        return None
    fingerprints, parsed_before, checked_before, graph_closure_before, graph_key = before
    changed = {name for name, fingerprint in current.items() if fingerprints.get(name) != fingerprint}
    removed = set(fingerprints) - set(current)
    if (changed | removed) & graph_closure_before:  # ruled out by index_before; kept as the invariant
        return None
    graph_entry = result_cache.get("graph", graph_key)
    try:
        graph = graph_from_json(graph_entry) if graph_entry is not None else None
    except (KeyError, TypeError, ValueError) as error:
        logger.debug("ignoring unreadable model graph entry: %s", error, extra={"group": number})
        graph = None
    if graph is None:
        # Unreadable or gone: drop it so that this run's full build writes it again.
        result_cache.discard("graph", graph_key)
        return None
    scanned = scan_group(texts, prefilter=prefilter)
    imports = ImportGraph(scanned.facts)
    integrations = any(rule.code in _INTEGRATION_RULES for rule in rules)
    if integrations and changed & imports.closure(contributors_before(result_cache, keys, number)):
        # An edit the integration results were built from: they need every tree, so parse them all at once.
        return None
    unchanged_parsed = {name for name in parsed_before if name in scanned.wanted and name not in changed}
    modules: dict[str, nodes.Module] = {}
    lines: dict[str, list[str]] = {}
    # Edited files, and relevant files that did not parse last time (or were not relevant then), are parsed now.
    fresh = (changed & scanned.wanted) | (scanned.wanted - unchanged_parsed)
    errors = scanned.errors + parse_into(scanned, imports.closure(fresh), modules, lines)
    try:
        with recursion_for(modules.values()):
            declared = build_model_graph(in_file_order(scanned, modules), settings)
    except Exception:  # the full build reports it
        logger.debug("model graph of the edited files failed", exc_info=True, extra={"group": number})
        return None
    if any(qualname.rpartition(".")[0] in changed for qualname in declared.by_qualname):
        return None
    sources = tuple(text.source for text in texts)
    parsed = [
        text.source.modname
        for text in scanned.readable
        if text.source.modname in unchanged_parsed or text.source.modname in modules
    ]
    by_name = {source.modname: source for source in sources}
    checkable = [
        (name, by_name[name].display_path)
        for name in parsed
        if (name in modules and modules[name].file == str(by_name[name].path))
        or (name not in modules and name in checked_before)
    ]
    project = ProjectContext(graph=graph, settings=settings, files=sources, modules={}, cwd=cwd)
    group = Group(project, [], errors, scanned.facts, current, parsed, checkable)
    file_keys = keys.files(group)
    entries: dict[str, Results] = {}
    missing: set[str] = set()
    for name, path in checkable:
        entry = result_cache.get_results("file", file_keys.by_path[path])
        if entry is None:
            missing.add(name)
        else:
            entries[path] = entry
    if missing:
        reach = imports.closure(missing | imports.importers(missing) | file_keys.graph_closure)
        errors.extend(parse_into(scanned, reach, modules, lines))
    project.modules = in_file_order(scanned, modules)
    if list(project.modules) != [name for name in parsed if name in project.modules]:
        return None
    group = replace(group, contexts=file_contexts(sources, modules, lines, project))
    pending = [context for context in group.contexts if context.source.modname in missing]
    if len(pending) != len(missing):
        return None
    reused = False
    if pending and integrations:
        reused = reuse_project_results(result_cache, keys, file_keys.graph, group, number)
        if not reused:
            return None
    return Partial(group, file_keys, entries, reused)


def store_parse_index(
    result_cache: ResultCache, keys: CacheKeys, file_keys: FileKeys, group: Group, number: int, *, built_graph: bool
) -> None:
    """Record what this run parsed and its model graph, so that the next run can parse only what it needs.

    A run that built the graph writes it (over an unreadable entry too); a run that reused it writes it only
    when the key moved (a new package)."""
    if built_graph or not result_cache.has("graph", file_keys.graph):
        result_cache.put("graph", file_keys.graph, graph_to_json(group.project.graph))
    index = {
        "fingerprints": group.digests,
        "parsed": group.parsed,
        "checkable": [name for name, _ in group.checkable],
        "graph_closure": sorted(file_keys.graph_closure),
        "graph": file_keys.graph,
    }
    result_cache.put("parse-index", keys.parse_index(number), index)
    result_cache.put("parse-index", keys.graph_state(number, file_keys.graph_closure, group.digests), index)
