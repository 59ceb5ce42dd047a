"""The analysis pipeline. ``analyze`` runs its stages in data-flow order, each a function from typed inputs to a
typed output: select the rules, load the baseline and runtime report, discover the files and read the settings,
read every file, check each group of files (parse, model graph, rules) and report (suppressions, baseline, runtime
confirmation).

Nothing that one file does can stop the run: unreadable, undecodable, oversized or unparsable files and a rule
that crashes on a file become entries in ``AnalysisResult.errors`` and the other files are still analysed.

Speed: a cheap text pass (``analyzer.prefilter``) skips files that cannot matter; trees are built syntax-only
(``analyzer.sources``); the cyclic garbage collector is off while the run builds its long-lived trees; each tree is
walked once into a node index that rules and integrations query (``analyzer.context.nodes_of``); rules run in
forked worker processes that share the parsed trees (``analyzer.workers``); and the cache layer
(``analyzer.cache.layer``) wraps the check stage, so that a rerun does only the work a change needs.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from analyzer import rules as rule_registry
from analyzer.baseline import Baseline
from analyzer.cache.layer import NoCache, RawResult, open_cache
from analyzer.config import Config, configured_per_file_ignores, select_rules, validate_selectors
from analyzer.confirmation import confirm, load_runtime_report
from analyzer.context import SettingsInfo, SourceFile
from analyzer.discovery import PathMatcher, discover, partition_by_module_name
from analyzer.findings import AnalysisResult, FileError, Finding
from analyzer.groups import PROJECT_ERROR_PATH, build_group, prefilter_applies
from analyzer.progress import Progress
from analyzer.rules import Rule
from analyzer.settings_reader import read_settings
from analyzer.sources import SourceText, read_sources
from analyzer.suppressions import PerFileIgnores, SourceLines, apply_suppressions
from analyzer.workers import check_files

logger = logging.getLogger(__name__)


def enabled_rules(config: Config) -> list[Rule]:
    """The registered rules the configuration turns on; an unknown code or prefix is a usage error."""
    registered = rule_registry.all_rules()
    validate_selectors(config.select, registered, "select")
    validate_selectors(config.ignore, registered, "ignore")
    validate_selectors(config.extend_select, registered, "extend-select")
    for pattern, codes in configured_per_file_ignores(config).items():
        validate_selectors(codes, registered, f'per-file-ignores "{pattern}"')
    return select_rules(config, registered)


@dataclass(frozen=True)
class Inputs:
    """The inputs that can fail, read before the (long) analysis so that a typo fails fast."""

    baseline: Baseline | None
    runtime_findings: list[dict[str, object]] | None


def load_inputs(config: Config, cwd: Path) -> Inputs:
    baseline = Baseline.load(cwd / config.baseline) if config.baseline else None
    runtime_findings = load_runtime_report(cwd / config.runtime_report) if config.runtime_report else None
    return Inputs(baseline, runtime_findings)


@dataclass(frozen=True)
class Project:
    """The discovered files, the settings read from them and the errors of both steps."""

    sources: list[SourceFile]
    settings: SettingsInfo
    errors: list[FileError]


def discover_project(paths: Sequence[str | Path], config: Config, cwd: Path, root: Path) -> Project:
    discovery = discover([Path(path) for path in paths], cwd, exclude=PathMatcher.from_strings(config.exclude, root))
    errors = list(discovery.errors)
    settings = read_settings(discovery.files, config.settings, search_roots=[root, cwd])
    if config.settings and settings.module is None:
        errors.append(FileError(PROJECT_ERROR_PATH, f"settings module {config.settings} not found"))
    return Project(list(discovery.files), settings, errors)


def check_groups(
    texts: Sequence[SourceText],
    settings: SettingsInfo,
    cwd: Path,
    rules: Sequence[Rule],
    *,
    prefilter: bool,
    jobs: int | None,
    cache: NoCache,
    progress: Progress,
) -> RawResult:
    """Parse and check each group of files with unique module names; the cache says what is already known."""
    raw = RawResult([], [])
    build = partial(build_group, settings=settings, cwd=cwd, prefilter=prefilter)
    by_display_path = {text.source.display_path: text for text in texts}
    groups = partition_by_module_name([text.source for text in texts])
    for number, group_sources in enumerate(groups):
        phase_started = time.perf_counter()
        group_texts = [by_display_path[source.display_path] for source in group_sources]
        plan = cache.plan_group(number, group_texts, build)
        raw.errors.extend(plan.group.errors)
        logger.debug(
            "parsed %d of %d files in %.2fs",
            len(plan.group.project.modules),
            len(group_sources),
            time.perf_counter() - phase_started,
            extra={"files": len(group_sources)},
        )
        phase_started = time.perf_counter()
        for known in plan.known:
            raw.findings.extend(known.findings)
            raw.errors.extend(known.errors)
        checked = check_files(plan.pending, rules, jobs, progress)
        for results in checked:
            raw.findings.extend(results.findings)
            raw.errors.extend(results.errors)
        cache.record_group(number, plan, checked)
        logger.debug(
            "checked %d files in %.2fs",
            len(plan.pending),
            time.perf_counter() - phase_started,
            extra={"files": len(plan.pending)},
        )
        del plan, checked
        if number < len(groups) - 1:
            # The collector is off: free this group's trees before the next group builds its own.
            gc.collect()
    return raw


@dataclass(frozen=True)
class Reported:
    """The findings to report, and the runtime findings no static finding matched."""

    findings: list[Finding]
    runtime_only: tuple[dict[str, object], ...]


def report(
    raw: RawResult, texts: Sequence[SourceText], config: Config, inputs: Inputs, cwd: Path, root: Path
) -> Reported:
    """Unique findings in order, without the suppressed and baselined ones, joined with a runtime report."""
    findings = sorted(set(raw.findings), key=Finding.sort_key)
    text_by_path = {text.source.display_path: text.text for text in texts if text.text is not None}
    preloaded = {
        finding.path: text_by_path[finding.path].splitlines() for finding in findings if finding.path in text_by_path
    }
    lines = SourceLines(cwd, preloaded)
    per_file_ignores = PerFileIgnores.from_config(config.per_file_ignores, root, cwd)
    kept = apply_suppressions(findings, lines, per_file_ignores)
    if inputs.baseline is not None:
        kept = inputs.baseline.filter_new(kept, lines)
    runtime_only: tuple[dict[str, object], ...] = ()
    if inputs.runtime_findings is not None:
        confirmation = confirm(kept, inputs.runtime_findings)
        kept = list(confirmation.findings)
        runtime_only = confirmation.runtime_only
    return Reported(kept, runtime_only)


def analyze(
    paths: Sequence[str | Path],
    config: Config | None = None,
    *,
    cwd: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Analyse the given files and folders without importing or executing them.

    ``cache_dir`` names the folder for reusable results (the command line passes ``.django-orm-analyzer-cache``
    under the project root unless the cache is turned off); without it nothing is written. ``progress`` shows
    files done / total while the rules run.

    Raises ``AnalyzerError`` subclasses for bad input (a missing path, an unknown rule code, an unreadable
    baseline or runtime report); problems with single files are reported in the result's ``errors``.
    """
    started = time.perf_counter()
    config = config or Config()
    cwd = (cwd or Path.cwd()).resolve()
    root = config.root or cwd
    rules = enabled_rules(config)
    prefilter = prefilter_applies(rules)
    inputs = load_inputs(config, cwd)
    project = discover_project(paths, config, cwd, root)
    with _collector_paused():
        texts = read_sources(project.sources, config.max_file_size)
        cache = open_cache(cache_dir, config, rules, cwd, project.settings, texts, prefilter=prefilter)
        raw = cache.run(
            texts,
            lambda: check_groups(
                texts,
                project.settings,
                cwd,
                rules,
                prefilter=prefilter,
                jobs=config.jobs,
                cache=cache,
                progress=progress or Progress(enabled=False),
            ),
        )
    reported = report(raw, texts, config, inputs, cwd, root)
    errors = [*project.errors, *raw.errors]
    return AnalysisResult(
        findings=tuple(reported.findings),
        errors=tuple(sorted(set(errors), key=lambda error: (error.path, error.message))),
        files=len(project.sources),
        seconds=time.perf_counter() - started,
        runtime_only=reported.runtime_only,
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Turn the cyclic garbage collector off for the run and restore it afterwards.

    Astroid trees are large, long-lived and full of parent links: the collector's passes over them cost about
    half the parse time and reclaim nothing until the run ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
