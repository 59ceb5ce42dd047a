"""The analysis pipeline: find files, read the settings, parse with astroid, build the project model, run the
rules, then drop suppressed and baselined findings and join a runtime report.

Nothing that one file does can stop the run: unreadable, undecodable, oversized or unparsable files and a rule
that crashes on a file become entries in ``AnalysisResult.errors`` and the other files are still analysed.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import time
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import astroid
from astroid import context as astroid_context
from astroid import nodes
from astroid.inference_tip import clear_inference_tip_cache

from analyzer import rules as rule_registry
from analyzer.baseline import Baseline
from analyzer.config import Config, select_rules, validate_selectors
from analyzer.confirmation import confirm, load_runtime_report
from analyzer.context import FileContext, ProjectContext, SettingsInfo, SourceFile
from analyzer.discovery import PathMatcher, discover, partition_by_module_name
from analyzer.findings import AnalysisResult, FileError, Finding
from analyzer.modelgraph import ModelGraph
from analyzer.rules import Rule
from analyzer.settings_reader import read_settings
from analyzer.suppressions import PerFileIgnores, SourceLines, apply_suppressions

logger = logging.getLogger(__name__)

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 48
PROJECT_ERROR_PATH = "."


def enabled_rules(config: Config) -> list[Rule]:
    """The registered rules the configuration turns on; an unknown code or prefix is a usage error."""
    registered = rule_registry.all_rules()
    validate_selectors(config.select, registered, "select")
    validate_selectors(config.ignore, registered, "ignore")
    validate_selectors(config.extend_select, registered, "extend-select")
    for pattern, codes in config.per_file_ignores.items():
        validate_selectors(codes, registered, f'per-file-ignores "{pattern}"')
    return select_rules(config, registered)


def read_source(source: SourceFile, max_file_size: int) -> str | FileError:
    """The decoded text of a file, or the reason it cannot be analysed."""
    try:
        size = source.path.stat().st_size
        if size > max_file_size:
            return FileError(
                source.display_path,
                f"skipped: file is {size / 1_048_576:.1f} MB, over the {max_file_size / 1_048_576:.1f} MB limit",
            )
        data = source.path.read_bytes()
    except PermissionError:
        return FileError(source.display_path, "cannot read file: permission denied")
    except OSError as error:
        return FileError(source.display_path, f"cannot read file: {error.strerror or error}")
    if b"\0" in data:
        return FileError(source.display_path, "cannot parse file: it contains NUL bytes")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if str(error).startswith("unknown encoding"):
            return FileError(source.display_path, f"cannot decode file: {error}")
        # Invalid UTF-8 in the first two lines: decoding below reports where.
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"cannot decode file as {encoding}: invalid byte 0x{data[error.start]:02x} at line {line}"
        return FileError(source.display_path, message)
    except LookupError:
        return FileError(source.display_path, f"cannot decode file: unknown encoding {encoding}")


def parse_source(builder: astroid.builder.AstroidBuilder, source: SourceFile, text: str) -> nodes.Module | FileError:
    try:
        return builder.string_build(text, source.modname, str(source.path))
    except astroid.AstroidSyntaxError as error:
        cause = error.error
        if isinstance(cause, SyntaxError) and cause.lineno:
            return FileError(source.display_path, f"syntax error at line {cause.lineno}: {cause.msg}")
        return FileError(source.display_path, f"syntax error: {cause}")
    except astroid.AstroidBuildingError as error:
        return FileError(source.display_path, f"cannot parse file: {error}")
    except RecursionError:
        return FileError(source.display_path, "cannot parse file: it is nested too deeply")


# Names of the modules this process built from analysed files. Library modules (Django, the standard library)
# stay in astroid's cache between runs and groups: parsing Django again costs seconds per run.
_PROJECT_MODULES: set[str] = set()


def _forget_project_modules(names: Sequence[str]) -> None:
    """Drop earlier project modules and any module named like one about to be built from astroid's cache.

    The cache holds modules by name, so a previous group (or run) must not answer imports for this one; cached
    inference results may point into the dropped modules, so they go too.
    """
    for name in _PROJECT_MODULES | set(names):
        astroid.MANAGER.astroid_cache.pop(name, None)
    _PROJECT_MODULES.clear()
    _PROJECT_MODULES.update(names)
    clear_inference_tip_cache()
    astroid_context._invalidate_cache()


@dataclass
class _Checked:
    findings: list[Finding]
    errors: list[FileError]


@dataclass
class _Group:
    """One set of files with unique module names, parsed together and checked against one model graph."""

    project: ProjectContext
    contexts: list[FileContext]
    errors: list[FileError]


def build_group(sources: Sequence[SourceFile], settings: SettingsInfo, cwd: Path, config: Config) -> _Group:
    from analyzer.graph_builder import build_model_graph

    _forget_project_modules([source.modname for source in sources])
    builder = astroid.builder.AstroidBuilder(astroid.MANAGER)
    modules: dict[str, nodes.Module] = {}
    texts: dict[str, str] = {}
    errors: list[FileError] = []
    for source in sources:
        text = read_source(source, config.max_file_size)
        if isinstance(text, FileError):
            errors.append(text)
            continue
        module = parse_source(builder, source, text)
        if isinstance(module, FileError):
            errors.append(module)
            continue
        modules[source.modname] = module
        texts[source.modname] = text
    try:
        graph = build_model_graph(modules, settings)
    except Exception as error:  # a bug in the graph builder must not lose the run
        logger.debug("model graph failed", exc_info=True, extra={"files": len(sources)})
        errors.append(FileError(PROJECT_ERROR_PATH, f"internal error in model graph: {type(error).__name__}: {error}"))
        graph = ModelGraph(auth_user_model=settings.auth_user_model)
    project = ProjectContext(graph=graph, settings=settings, files=tuple(sources), modules=modules, cwd=cwd)
    contexts = [
        FileContext(
            source=source, module=modules[source.modname], lines=texts[source.modname].splitlines(), project=project
        )
        for source in sources
        if source.modname in modules and modules[source.modname].file == str(source.path)
    ]
    return _Group(project, contexts, errors)


def check_file(context: FileContext, rules: Sequence[Rule]) -> _Checked:
    """Run every rule on one file; a rule that crashes loses its findings for this file, not the run."""
    checked = _Checked([], [])
    for rule in rules:
        try:
            checked.findings.extend(rule.check(context))
        except Exception as error:  # astroid errors, RecursionError or a bug in the rule
            logger.debug(
                "%s crashed on %s",
                rule.code,
                context.path,
                exc_info=True,
                extra={"rule": rule.code, "path": context.path},
            )
            checked.errors.append(
                FileError(context.path, f"internal error in {rule.code}: {type(error).__name__}: {error}")
            )
    return checked


# The state a forked worker inherits: set just before the pool starts, read by _check_in_worker.
_WORKER_STATE: tuple[list[FileContext], Sequence[Rule]] | None = None


def _check_in_worker(index: int) -> _Checked:
    assert _WORKER_STATE is not None
    contexts, rules = _WORKER_STATE
    return check_file(contexts[index], rules)


def check_files(contexts: list[FileContext], rules: Sequence[Rule], jobs: int | None) -> list[_Checked]:
    """Check the files, in forked worker processes when there are many files and fork is available.

    Workers are forked after parsing, so they share the parsed modules and model graph with the parent for free;
    only the findings travel back.
    """
    workers = min(jobs or os.cpu_count() or 1, len(contexts))
    parallel = workers > 1 and len(contexts) >= PARALLEL_MIN_FILES and "fork" in multiprocessing.get_all_start_methods()
    if not parallel:
        return [check_file(context, rules) for context in contexts]
    global _WORKER_STATE
    _WORKER_STATE = (contexts, rules)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_check_in_worker, range(len(contexts)), chunksize=max(1, len(contexts) // (workers * 4)))
    finally:
        _WORKER_STATE = None


def analyze(paths: Sequence[str | Path], config: Config | None = None, *, cwd: Path | None = None) -> AnalysisResult:
    """Analyse the given files and folders without importing or executing them.

    Raises ``AnalyzerError`` subclasses for bad input (a missing path, an unknown rule code, an unreadable
    baseline or runtime report); problems with single files are reported in the result's ``errors``.
    """
    started = time.perf_counter()
    config = config or Config()
    cwd = (cwd or Path.cwd()).resolve()
    root = config.root or cwd
    rules = enabled_rules(config)
    # Read the inputs that can fail before the (long) analysis, so a typo fails fast.
    baseline = Baseline.load(cwd / config.baseline) if config.baseline else None
    runtime_findings = load_runtime_report(cwd / config.runtime_report) if config.runtime_report else None

    discovery = discover([Path(path) for path in paths], cwd, exclude=PathMatcher.from_strings(config.exclude, root))
    errors = list(discovery.errors)
    sources = discovery.files
    settings = read_settings(sources, config.settings, search_roots=[root, cwd])
    if config.settings and settings.module is None:
        errors.append(FileError(PROJECT_ERROR_PATH, f"settings module {config.settings} not found"))

    findings: list[Finding] = []
    preloaded: dict[str, list[str]] = {}
    for group_sources in partition_by_module_name(sources):
        group = build_group(group_sources, settings, cwd, config)
        errors.extend(group.errors)
        preloaded.update({context.path: context.lines for context in group.contexts})
        for checked in check_files(group.contexts, rules, config.jobs):
            findings.extend(checked.findings)
            errors.extend(checked.errors)

    lines = SourceLines(cwd, preloaded)
    per_file_ignores = PerFileIgnores.from_config(config.per_file_ignores, root, cwd)
    kept = apply_suppressions(sorted(set(findings), key=Finding.sort_key), lines, per_file_ignores)
    if baseline is not None:
        kept = baseline.filter_new(kept, lines)
    runtime_only: tuple[dict[str, object], ...] = ()
    if runtime_findings is not None:
        confirmation = confirm(kept, runtime_findings)
        kept = list(confirmation.findings)
        runtime_only = confirmation.runtime_only
    return AnalysisResult(
        findings=tuple(kept),
        errors=tuple(sorted(set(errors), key=lambda error: (error.path, error.message))),
        files=len(sources),
        seconds=time.perf_counter() - started,
        runtime_only=runtime_only,
    )
