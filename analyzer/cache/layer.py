"""The cache as a layer around the check stage: each stage is given what is already known and returns what it
computed. ``open_cache`` is the one switch: without a cache folder the pipeline gets ``NoCache``, which builds every
group and checks every file; with one it gets ``CacheLayer``, which answers a whole unchanged run from one entry,
parses only what an edit reaches (``analyzer.cache.partial``), reuses file entries and the integration results,
and writes back what was computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.cache.keys import CacheKeys, FileKeys, cache_keys
from analyzer.cache.partial import partial_group, store_parse_index
from analyzer.cache.project import reuse_project_results, store_project_results
from analyzer.cache.store import ResultCache, Results, results_from_json, results_to_json
from analyzer.config import Config
from analyzer.context import FileContext, SettingsInfo
from analyzer.findings import FileError, Finding, ProjectSummary
from analyzer.groups import Group
from analyzer.project_summary import summarize
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
    summaries: list[ProjectSummary] = field(default_factory=list)  # what was understood, per group


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

    def summarize_group(self, number: int, plan: GroupPlan) -> ProjectSummary:
        """What the analysis understood of the group's project."""
        return summarize(plan.group.project)


@dataclass(frozen=True)
class _CachedPlan(GroupPlan):
    keys: FileKeys
    reused: bool  # the integration results were seeded from the cache
    partial: bool  # the group was parsed in part, with the last run's model graph


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
        cached = self.result_cache.get_decoded("run", run_key, _run_from_json)
        if cached is not None:
            return cached
        raw = compute()
        entry = results_to_json(raw.findings, raw.errors)
        entry["project"] = [summary.to_dict() for summary in raw.summaries]
        self.result_cache.put("run", run_key, entry)
        return raw

    def plan_group(self, number: int, texts: Sequence[SourceText], build: BuildGroup) -> GroupPlan:
        cache, keys = self.result_cache, self.keys
        partial = partial_group(texts, self.settings, self.cwd, self.rules, cache, self.prefilter, keys, number)
        if partial is not None:
            entries: dict[str, Results] = partial.entries
            group, file_keys, reused = partial.group, partial.keys, partial.reused
        else:
            group = build(texts)
            file_keys = keys.files(group)
            entries = {}
            for _, path in group.checkable:
                entry = cache.get_results("file", file_keys.by_path[path])
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
                known.append(Checked(*entry))
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

    def summarize_group(self, number: int, plan: GroupPlan) -> ProjectSummary:
        """A group parsed in part (an edit far from the models) keeps the summary of the last full parse, which
        saw every module; a full parse computes it afresh and records it."""
        assert isinstance(plan, _CachedPlan)
        key = self.keys.parse_index(number)
        if plan.partial:
            known = self.result_cache.get_decoded("summary", key, ProjectSummary.from_dict)
            if known is not None:
                return known
        summary = summarize(plan.group.project)
        if not plan.partial:
            self.result_cache.put("summary", key, summary.to_dict())
        return summary


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


def _run_from_json(entry: dict[str, Any]) -> RawResult:
    findings, errors = results_from_json(entry)
    return RawResult(findings, errors, [ProjectSummary.from_dict(item) for item in entry.get("project", [])])
