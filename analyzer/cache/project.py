"""The project-wide integration results (templates ORM110, serializers ORM111, admin ORM112) as one cache entry,
with an index of the modules they were built from, so that a rerun that re-checks only files outside their scope
does not compute them again. They live in ``ProjectContext.memo``; this module seeds and saves that memo.
"""

from __future__ import annotations

import logging
from typing import Any

from analyzer.cache.keys import CacheKeys
from analyzer.cache.store import ResultCache
from analyzer.context import ProjectContext
from analyzer.findings import Finding
from analyzer.groups import Group
from analyzer.prefilter import ImportGraph

logger = logging.getLogger(__name__)

# The project-wide results of the integration rules (``ProjectContext.shared`` keys). ORM110, ORM113 and ORM115 keep
# the file of the render or table view that owns each finding; ORM111, ORM112 and ORM114 keep plain findings.
_OWNED_PROJECT_RESULTS = ("rules.ORM110", "rules.ORM113", "rules.ORM115")
_PROJECT_RESULTS = ("rules.ORM110", "rules.ORM111", "rules.ORM112", "rules.ORM113", "rules.ORM114", "rules.ORM115")


def contributors_before(result_cache: ResultCache, keys: CacheKeys, number: int) -> list[str]:
    index = result_cache.get("project-index", keys.project_index(number))
    contributors = index.get("contributors") if index is not None else None
    return [str(name) for name in contributors] if isinstance(contributors, list) else []


def reuse_project_results(
    result_cache: ResultCache, keys: CacheKeys, graph_key: str, group: Group, number: int
) -> bool:
    """Seed the project memo with the integration results of an earlier run when they still hold: no module they
    were built from (or that those import) changed, and no other changed module became a contributor."""
    # Imported here: the integrations load Django's template code, which a run answered from the cache never needs.
    from analyzer.integrations.scope import module_contributes

    index = result_cache.get("project-index", keys.project_index(number))
    contributors = index.get("contributors") if index is not None else None
    if not isinstance(contributors, list):
        return False
    key = keys.project(group, graph_key, contributors)
    entry = result_cache.get("project", key)
    # The content of every file when the entry was computed: a file that differs now must not have become a
    # contributor. (Files the contributors reach are in the key.)
    fingerprints = entry.get("fingerprints") if entry is not None else None
    if entry is None or not isinstance(fingerprints, dict):
        return False
    imports = ImportGraph(group.facts)
    reached = imports.closure(contributors)
    paths = {source.modname: source.display_path for source in group.project.files}
    for modname, fingerprint in group.digests.items():
        if fingerprints.get(modname) == fingerprint:
            continue
        if modname in reached or module_contributes(group.project, modname, paths[modname]):
            return False
    return _load_project_results(entry, key, group.project)


def _load_project_results(entry: dict[str, Any], key: str, project: ProjectContext) -> bool:
    """Seed the project memo with cached integration results; False when the entry is malformed."""
    try:
        for name, items in entry.items():
            if name in _OWNED_PROJECT_RESULTS:
                project.memo[name] = [(owner, Finding.from_dict(item)) for owner, item in items]
            elif name in _PROJECT_RESULTS:
                project.memo[name] = [Finding.from_dict(item) for item in items]
    except (KeyError, TypeError, ValueError) as error:
        logger.debug("ignoring unreadable project entry %s: %s", key, error, extra={"key": key})
        for name in _PROJECT_RESULTS:
            project.memo.pop(name, None)
        return False
    return True


def store_project_results(
    result_cache: ResultCache, keys: CacheKeys, graph_key: str, group: Group, number: int
) -> None:
    """Save the integration results the rules computed in this process (the parent computes them before forking),
    and which modules they were built from."""
    project = group.project
    built_from = project.memo.get("integrations.contributors", set())
    contributors = [source.modname for source in project.files if source.modname in built_from]
    key = keys.project(group, graph_key, contributors)
    payload: dict[str, Any] = {}
    for name in _PROJECT_RESULTS:
        if name not in project.memo:
            continue
        if name in _OWNED_PROJECT_RESULTS:
            payload[name] = [[owner, finding.to_dict()] for owner, finding in project.memo[name]]
        else:
            payload[name] = [finding.to_dict() for finding in project.memo[name]]
    if payload:
        payload["fingerprints"] = group.digests
        result_cache.put("project", key, payload)
        result_cache.put("project-index", keys.project_index(number), {"contributors": contributors})
