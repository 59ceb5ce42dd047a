"""The cache as a layer around the check stage: each stage is given what is already known and returns what it
computed. ``open_cache`` is the one switch: without a cache folder the pipeline gets ``NoCache``, which builds every
group and checks every file; with one it gets ``CacheLayer``, which answers a whole unchanged run from one entry,
parses only what an edit reaches (``analyzer.cache.partial``), reuses file entries and the integration results,
and writes back what was computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.cache.keys import CacheKeys, FileKeys, cache_keys
from analyzer.cache.partial import partial_group, store_parse_index
from analyzer.cache.project import reuse_project_results, store_project_results
from analyzer.cache.store import ResultCache, results_from_json, results_to_json
from analyzer.config import Config
from analyzer.context import FileContext, SettingsInfo
from analyzer.findings import FileError, Finding
from analyzer.groups import Group
from analyzer.rules import Rule
from analyzer.sources import SourceText
from analyzer.workers import Checked

# The parse stage, for the files of one group.
BuildGroup = Callable[[Sequence[SourceText]], Group]


@dataclass(frozen=True)
class RawResult:
    """The findings and errors of the check stage, before suppressions, the baseline and the runtime report."""

    findings: list[Finding]
    errors: list[FileError]


@dataclass(frozen=True)
class GroupPlan:
    """What is known about one group before its rules run: the parsed group, the results already known for the
    files not re-checked (in check order) and the files to check."""

    group: Group
    known: list[Checked]
    pending: list[FileContext]


class NoCache:
    """The check stage with nothing known in advance."""

    def run(self, texts: Sequence[SourceText], compute: Callable[[], RawResult]) -> RawResult:
        return compute()

    def plan_group(self, number: int, texts: Sequence[SourceText], build: BuildGroup) -> GroupPlan:
        group = build(texts)
        contexts = {context.path: context for context in group.contexts}
        return GroupPlan(group, [], [contexts[path] for _, path in group.checkable])

    def record_group(self, number: int, plan: GroupPlan, checked: Sequence[Checked]) -> None:
        return None


@dataclass(frozen=True)
class _CachedPlan(GroupPlan):
    keys: FileKeys
    reused: bool  # the integration results were seeded from the cache
    partial: bool  # the group was parsed in part, with the last run's model graph


def _checked(entry: dict[str, Any]) -> Checked:
    findings, errors = results_from_json(entry)
    return Checked(findings, errors)


class CacheLayer(NoCache):
    """The check stage wrapped by the on-disk cache (``analyzer.cache.store``)."""

    def __init__(
        self,
        result_cache: ResultCache,
        keys: CacheKeys,
        *,
        settings: SettingsInfo,
        cwd: Path,
        rules: Sequence[Rule],
        prefilter: bool,
    ) -> None:
        self.result_cache = result_cache
        self.keys = keys
        self.settings = settings
        self.cwd = cwd
        self.rules = rules
        self.prefilter = prefilter

    def run(self, texts: Sequence[SourceText], compute: Callable[[], RawResult]) -> RawResult:
        run_key = self.keys.run(texts)
        cached = self.result_cache.get("run", run_key)
        if cached is not None:
            findings, errors = results_from_json(cached)
            return RawResult(findings, errors)
        raw = compute()
        self.result_cache.put("run", run_key, results_to_json(raw.findings, raw.errors))
        return raw

    def plan_group(self, number: int, texts: Sequence[SourceText], build: BuildGroup) -> GroupPlan:
        cache, keys = self.result_cache, self.keys
        partial = partial_group(texts, self.settings, self.cwd, self.rules, cache, self.prefilter, keys, number)
        if partial is not None:
            entries: dict[str, dict[str, Any]] = partial.entries
            group, file_keys, reused = partial.group, partial.keys, partial.reused
        else:
            group = build(texts)
            file_keys = keys.files(group)
            entries = {}
            for _, path in group.checkable:
                entry = cache.get("file", file_keys.by_path[path])
                if entry is not None:
                    entries[path] = entry
            reused = False
        contexts = {context.path: context for context in group.contexts}
        known: list[Checked] = []
        pending: list[FileContext] = []
        for _, path in group.checkable:
            entry = entries.get(path)
            if entry is None:
                pending.append(contexts[path])
            else:
                known.append(_checked(entry))
        if pending and partial is None:
            reused = reuse_project_results(cache, keys, file_keys.graph, group, number)
        return _CachedPlan(group, known, pending, file_keys, reused, partial is not None)

    def record_group(self, number: int, plan: GroupPlan, checked: Sequence[Checked]) -> None:
        assert isinstance(plan, _CachedPlan)
        cache, keys = self.result_cache, self.keys
        for context, results in zip(plan.pending, checked, strict=True):
            cache.put("file", plan.keys.by_path[context.path], results_to_json(results.findings, results.errors))
        if plan.pending and not plan.reused:
            store_project_results(cache, keys, plan.keys.graph, plan.group, number)
        if not plan.group.graph_failed:
            store_parse_index(cache, keys, plan.keys, plan.group, number, built_graph=not plan.partial)


def open_cache(
    cache_dir: Path | None,
    config: Config,
    rules: Sequence[Rule],
    cwd: Path,
    settings: SettingsInfo,
    texts: Sequence[SourceText],
    *,
    prefilter: bool,
) -> NoCache:
    """The cache layer for a run: ``NoCache`` without a cache folder or with the cache turned off."""
    if cache_dir is None or not config.cache:
        return NoCache()
    keys = cache_keys(config, rules, cwd, settings, [text.source for text in texts], prefilter=prefilter)
    return CacheLayer(ResultCache(cache_dir), keys, settings=settings, cwd=cwd, rules=rules, prefilter=prefilter)
