"""The analysis pipeline: find files, read the settings, pick the files that can matter, parse those with astroid,
build the project model, run the rules, then drop suppressed and baselined findings and join a runtime report.

Nothing that one file does can stop the run: unreadable, undecodable, oversized or unparsable files and a rule
that crashes on a file become entries in ``AnalysisResult.errors`` and the other files are still analysed.

Speed: a cheap text pass (``analyzer.prefilter``) skips files that cannot matter; trees are built syntax-only
(the analysis resolves names itself and never asks astroid to infer, so astroid's transforms and its inference of
``self.x = ...`` assignments, which import Django's own source, are skipped); the cyclic garbage collector is off
while the run builds its long-lived trees; each tree is walked once into a node index that rules and integrations
query (``analyzer.context.nodes_of``); rules run in forked worker processes that share the parsed trees; and with a
cache folder, results are reused per run and per file, and after an edit far from the models and the
integrations only what the re-checked files reach is parsed (``_partial_group``, ``analyzer.cache``).
"""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import os
import time
import tokenize
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astroid
from astroid import nodes

from analyzer import rules as rule_registry
from analyzer.baseline import Baseline
from analyzer.cache import (
    ResultCache,
    analyzer_fingerprint,
    combine,
    digest,
    graph_from_json,
    graph_to_json,
    results_from_json,
    results_to_json,
)
from analyzer.config import Config, select_rules, validate_selectors
from analyzer.confirmation import confirm, load_runtime_report
from analyzer.context import FileContext, ProjectContext, SettingsInfo, SourceFile
from analyzer.discovery import PathMatcher, discover, partition_by_module_name
from analyzer.findings import AnalysisResult, FileError, Finding
from analyzer.modelgraph import ModelGraph
from analyzer.prefilter import FileFacts, ImportGraph, scan
from analyzer.progress import Progress
from analyzer.rules import Rule
from analyzer.settings_reader import read_settings
from analyzer.suppressions import PerFileIgnores, SourceLines, apply_suppressions

logger = logging.getLogger(__name__)

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 48
PROJECT_ERROR_PATH = "."
# Template files are hashed for the cache key: ORM110 reads them from these suffixes.
TEMPLATE_SUFFIXES = frozenset({".html", ".htm", ".txt", ".xml", ".jinja", ".jinja2", ".j2"})


def enabled_rules(config: Config) -> list[Rule]:
    """The registered rules the configuration turns on; an unknown code or prefix is a usage error."""
    registered = rule_registry.all_rules()
    validate_selectors(config.select, registered, "select")
    validate_selectors(config.ignore, registered, "ignore")
    validate_selectors(config.extend_select, registered, "extend-select")
    for pattern, codes in config.per_file_ignores.items():
        validate_selectors(codes, registered, f'per-file-ignores "{pattern}"')
    return select_rules(config, registered)


def read_bytes(source: SourceFile, max_file_size: int) -> bytes | FileError:
    """The raw content of a file, or the reason it cannot be read."""
    try:
        size = source.path.stat().st_size
        if size > max_file_size:
            return FileError(
                source.display_path,
                f"skipped: file is {size / 1_048_576:.1f} MB, over the {max_file_size / 1_048_576:.1f} MB limit",
            )
        return source.path.read_bytes()
    except PermissionError:
        return FileError(source.display_path, "cannot read file: permission denied")
    except OSError as error:
        return FileError(source.display_path, f"cannot read file: {error.strerror or error}")


def decode_source(source: SourceFile, data: bytes) -> str | FileError:
    """The decoded text of a file's content, or the reason it cannot be analysed."""
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


def read_source(source: SourceFile, max_file_size: int) -> str | FileError:
    """The decoded text of a file, or the reason it cannot be analysed."""
    data = read_bytes(source, max_file_size)
    return data if isinstance(data, FileError) else decode_source(source, data)


def _syntax_error(source: SourceFile, cause: BaseException) -> FileError:
    if isinstance(cause, SyntaxError) and cause.lineno:
        return FileError(source.display_path, f"syntax error at line {cause.lineno}: {cause.msg}")
    return FileError(source.display_path, f"syntax error: {cause}")


def parse_source(builder: astroid.builder.AstroidBuilder, source: SourceFile, text: str) -> nodes.Module | FileError:
    """A syntax-only astroid tree: the rebuilder's output without astroid's post-build steps.

    Those steps (transforms, ``self.x = ...`` inference, star-import locals) infer through imports and so parse
    Django's own source; the analysis never asks astroid to infer, so they would cost most of the run for nothing.
    """
    try:
        module, _ = builder._data_build(text, source.modname, str(source.path))
    except astroid.AstroidSyntaxError as error:
        return _syntax_error(source, error.error)
    except astroid.AstroidBuildingError as error:
        return FileError(source.display_path, f"cannot parse file: {error}")
    except RecursionError:
        return FileError(source.display_path, "cannot parse file: it is nested too deeply")
    module.file_bytes = text.encode("utf-8", "surrogatepass")
    module.file_encoding = "utf-8"
    parsed: nodes.Module = module
    return parsed


def check_syntax(source: SourceFile, text: str) -> FileError | None:
    """The error astroid would report for a file the prefilter skips, so skipping never hides a broken file."""
    try:
        # astroid's own parse step, so the message is the one a parsed file would get.
        astroid.builder._parse_string(text, type_comments=True, modname=source.modname)
    except (SyntaxError, ValueError, TypeError, MemoryError) as error:
        return _syntax_error(source, error)
    except RecursionError:
        return FileError(source.display_path, "cannot parse file: it is nested too deeply")
    return None


@dataclass
class SourceText:
    """A discovered file as read once per run: its text (None when it cannot be read) and its content hash."""

    source: SourceFile
    text: str | None
    error: FileError | None
    digest: str  # of the raw bytes; empty when the file cannot be read

    @property
    def fingerprint(self) -> str:
        return f"{self.source.display_path}:{self.source.modname}:{self.digest or self.error}"


def read_sources(sources: Sequence[SourceFile], max_file_size: int) -> list[SourceText]:
    texts: list[SourceText] = []
    for source in sources:
        data = read_bytes(source, max_file_size)
        if isinstance(data, FileError):
            texts.append(SourceText(source, None, data, ""))
            continue
        text = decode_source(source, data)
        if isinstance(text, FileError):
            texts.append(SourceText(source, None, text, digest(data)))
        else:
            texts.append(SourceText(source, text, None, digest(data)))
    return texts


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
    facts: dict[str, FileFacts] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # modname -> SourceText.fingerprint
    # What a run that parses every relevant file has: the modules that parse, in file order, and the files it
    # checks as (module, display path). A partial group (``_partial_group``) parses fewer and predicts these.
    parsed: list[str] = field(default_factory=list)
    checkable: list[tuple[str, str]] = field(default_factory=list)
    graph_failed: bool = False


def _prefilter_applies(rules: Sequence[Rule]) -> bool:
    # The prefilter's seed words describe the shipped rules' entry points; a rule from elsewhere may look at
    # anything, so it gets every file.
    return all(rule.check.__module__.startswith(f"{rule_registry.__name__}.") for rule in rules)


@dataclass
class _Scanned:
    """The first, text-only pass over a group: read errors, syntax errors of the files it skips, the facts and
    the relevant modules."""

    texts: Sequence[SourceText]
    errors: list[FileError]
    readable: list[SourceText]
    facts: dict[str, FileFacts]
    wanted: set[str]


def scan_group(texts: Sequence[SourceText], *, prefilter: bool) -> _Scanned:
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
    return _Scanned(texts, errors, readable, facts, wanted)


def _parse(
    scanned: _Scanned, names: set[str], modules: dict[str, nodes.Module], lines: dict[str, list[str]]
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


def _in_file_order(scanned: _Scanned, modules: dict[str, nodes.Module]) -> dict[str, nodes.Module]:
    return {
        text.source.modname: modules[text.source.modname] for text in scanned.readable if text.source.modname in modules
    }


def _contexts(
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


def build_group(texts: Sequence[SourceText], settings: SettingsInfo, cwd: Path, *, prefilter: bool) -> _Group:
    """Parse the files of one group that can matter (all of them without the prefilter) and build its model."""
    from analyzer.graph_builder import build_model_graph

    scanned = scan_group(texts, prefilter=prefilter)
    modules: dict[str, nodes.Module] = {}
    lines: dict[str, list[str]] = {}
    errors = scanned.errors + _parse(scanned, scanned.wanted, modules, lines)
    modules = _in_file_order(scanned, modules)
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
    contexts = _contexts(sources, modules, lines, project)
    digests = {text.source.modname: text.fingerprint for text in texts}
    checkable = [(context.source.modname, context.path) for context in contexts]
    return _Group(project, contexts, errors, scanned.facts, digests, list(modules), checkable, graph_failed)


_INTEGRATION_RULES = frozenset({"ORM110", "ORM111", "ORM112", "ORM113", "ORM114", "ORM115"})


@dataclass
class _Partial:
    """A group parsed in part, with the file keys and the files to check already known."""

    group: _Group
    keys: _FileKeys
    entries: dict[str, dict[str, Any]]  # display path -> the cached entry, for the files not re-checked
    reused: bool  # the integration results were seeded from the cache


_IndexFacts = tuple[dict[str, str], list[str], set[str], set[str], str]


def _index_facts(index: dict[str, Any] | None, number: int) -> _IndexFacts | None:
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


def _index_before(
    result_cache: ResultCache, keys: _CacheKeys, number: int, current: dict[str, str]
) -> _IndexFacts | None:
    """The last run's index when no model module changed since; else the index of an earlier run whose model modules
    had today's content (an edit to a model undone), found by the latest index's list of model modules."""
    latest = _index_facts(result_cache.get("parse-index", keys.parse_index(number)), number)
    if latest is None:
        return None

    def graph_unchanged(facts: _IndexFacts) -> bool:
        fingerprints, graph_closure = facts[0], facts[3]
        return all(current.get(name) == fingerprints.get(name) for name in graph_closure)

    if graph_unchanged(latest):
        return latest
    state_key = keys.graph_state(number, latest[3], current)
    earlier = _index_facts(result_cache.get("parse-index", state_key), number)
    return earlier if earlier is not None and graph_unchanged(earlier) else None


def _partial_group(
    texts: Sequence[SourceText],
    settings: SettingsInfo,
    cwd: Path,
    rules: Sequence[Rule],
    result_cache: ResultCache,
    keys: _CacheKeys,
    number: int,
) -> _Partial | None:
    """Parse only what the files to re-check can reach, or None when the last run's facts do not carry over.

    The last run's index gives the content of every file, the modules that parsed and its model graph (which
    depends only on the model modules and what they import). When no edited or removed file is among those and no
    edited file declares a model, the graph and every file key can be computed without a tree; only the files
    whose entries miss are checked, and those need the trees of what they import, of what imports them (a class
    another class extends), of the model modules (properties, methods) and of the edited files. The integration
    results need the whole project: unless their cache entry still holds, the caller parses everything.
    """
    from analyzer.graph_builder import build_model_graph

    current = {text.source.modname: text.fingerprint for text in texts}
    before = _index_before(result_cache, keys, number, current)
    if before is None:
        return None
    fingerprints, parsed_before, checked_before, graph_closure_before, graph_key = before
    changed = {name for name, fingerprint in current.items() if fingerprints.get(name) != fingerprint}
    removed = set(fingerprints) - set(current)
    if (changed | removed) & graph_closure_before:  # ruled out by _index_before; kept as the invariant
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
    scanned = scan_group(texts, prefilter=_prefilter_applies(rules))
    imports = ImportGraph(scanned.facts)
    integrations = any(rule.code in _INTEGRATION_RULES for rule in rules)
    if integrations and changed & imports.closure(_contributors_before(result_cache, keys, number)):
        # An edit the integration results were built from: they need every tree, so parse them all at once.
        return None
    unchanged_parsed = {name for name in parsed_before if name in scanned.wanted and name not in changed}
    modules: dict[str, nodes.Module] = {}
    lines: dict[str, list[str]] = {}
    # Edited files, and relevant files that did not parse last time (or were not relevant then), are parsed now.
    fresh = (changed & scanned.wanted) | (scanned.wanted - unchanged_parsed)
    errors = scanned.errors + _parse(scanned, imports.closure(fresh), modules, lines)
    try:
        declared = build_model_graph(_in_file_order(scanned, modules), settings)
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
    group = _Group(project, [], errors, scanned.facts, current, parsed, checkable)
    file_keys = keys.files(group)
    entries: dict[str, dict[str, Any]] = {}
    missing: set[str] = set()
    for name, path in checkable:
        entry = result_cache.get("file", file_keys.by_path[path])
        if entry is None:
            missing.add(name)
        else:
            entries[path] = entry
    if missing:
        reach = imports.closure(missing | imports.importers(missing) | file_keys.graph_closure)
        errors.extend(_parse(scanned, reach, modules, lines))
    project.modules = _in_file_order(scanned, modules)
    if list(project.modules) != [name for name in parsed if name in project.modules]:
        return None
    group.contexts = _contexts(sources, modules, lines, project)
    pending = [context for context in group.contexts if context.source.modname in missing]
    if len(pending) != len(missing):
        return None
    reused = False
    if pending and integrations:
        reused = _reuse_project_results(result_cache, keys, file_keys.graph, group, number)
        if not reused:
            return None
    return _Partial(group, file_keys, entries, reused)


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


def check_files(
    contexts: list[FileContext], rules: Sequence[Rule], jobs: int | None, progress: Progress | None = None
) -> list[_Checked]:
    """Check the files, in forked worker processes when there are many files and fork is available.

    Workers are forked after parsing, so they share the parsed modules and model graph with the parent
    copy-on-write (measured: cheaper than sending a picklable summary, which would have to be re-parsed);
    only the findings travel back.
    """
    progress = progress or Progress(enabled=False)
    progress.start(len(contexts), "checking")
    workers = min(jobs or os.cpu_count() or 1, len(contexts))
    parallel = workers > 1 and len(contexts) >= PARALLEL_MIN_FILES and "fork" in multiprocessing.get_all_start_methods()
    results: list[_Checked] = []
    if not parallel:
        for context in contexts:
            results.append(check_file(context, rules))
            progress.advance()
        progress.close()
        return results
    # The first file is checked here, before the fork: project-wide facts that rules compute on their first call
    # (every rendered template, serializer and admin class) land in the shared memo once and every worker
    # inherits them, instead of each worker computing them again.
    first_started = time.perf_counter()
    results.append(check_file(contexts[0], rules))
    progress.advance()
    logger.debug("checked the first file in %.2fs", time.perf_counter() - first_started, extra={"workers": workers})
    global _WORKER_STATE
    _WORKER_STATE = (contexts, rules)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunksize = max(1, len(contexts) // (workers * 8))
            for checked in pool.imap(_check_in_worker, range(1, len(contexts)), chunksize=chunksize):
                results.append(checked)
                progress.advance()
    finally:
        _WORKER_STATE = None
        progress.close()
    return results


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
                    parts.append(f"{path}:{digest(path.read_bytes())}")
                except OSError as error:
                    parts.append(f"{path}:unreadable:{error.errno}")
    return combine(parts)


@dataclass(frozen=True)
class _FileKeys:
    """The cache keys of one group: one per checked file, and one for the project-wide integration results."""

    by_path: dict[str, str]
    graph: str  # the model graph and the modules it is built from
    graph_closure: set[str]  # those modules and what they import


@dataclass
class _CacheKeys:
    """The parts of every cache key that do not depend on one file."""

    base: str

    def run(self, texts: Sequence[SourceText]) -> str:
        return combine([self.base, "run", *(text.fingerprint for text in texts)])

    def files(self, group: _Group) -> _FileKeys:
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
                graph_modules.update(_project_module(qualname, resolver_modules))
            for classes in info.manager_classes.values():
                for qualname in classes:
                    graph_modules.update(_project_module(qualname, resolver_modules))
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
        return _FileKeys(keys, graph_key, graph_closure)

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

    def project(self, group: _Group, graph_key: str, contributors: Sequence[str]) -> str:
        """The key of the integration results: the model graph, the templates (in the base), the contributing
        modules in file order and the content of everything they import (``analyzer.integrations.scope``)."""
        imports = ImportGraph(group.facts)
        # A view with no module of its own falls back to the first parsed module for name resolution.
        first = group.parsed[0] if group.parsed else ""
        closure = sorted(group.digests[name] for name in imports.closure(contributors) if name in group.digests)
        return combine([graph_key, "project", first, *contributors, "imports", *closure])


def _project_module(qualname: str, modules: Collection[str]) -> list[str]:
    parts = qualname.split(".")
    for end in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:end])
        if head in modules:
            return [head]
    return []


# The project-wide results of the integration rules (``ProjectContext.shared`` keys), cached as one entry so that
# a rerun that re-checks only files outside their scope does not recompute them. ORM110, ORM113 and ORM115 keep the
# file of the render or table view that owns each finding; ORM111, ORM112 and ORM114 keep plain findings.
_OWNED_PROJECT_RESULTS = ("rules.ORM110", "rules.ORM113", "rules.ORM115")
_PROJECT_RESULTS = ("rules.ORM110", "rules.ORM111", "rules.ORM112", "rules.ORM113", "rules.ORM114", "rules.ORM115")


def _contributors_before(result_cache: ResultCache, keys: _CacheKeys, number: int) -> list[str]:
    index = result_cache.get("project-index", keys.project_index(number))
    contributors = index.get("contributors") if index is not None else None
    return [str(name) for name in contributors] if isinstance(contributors, list) else []


def _reuse_project_results(
    result_cache: ResultCache, keys: _CacheKeys, graph_key: str, group: _Group, number: int
) -> bool:
    """Seed the project memo with the integration results of an earlier run when they still hold: no module they
    were built from (or that those import) changed, and no other changed module became a contributor."""
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


def _store_project_results(
    result_cache: ResultCache, keys: _CacheKeys, graph_key: str, group: _Group, number: int
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


def _store_parse_index(
    result_cache: ResultCache, keys: _CacheKeys, file_keys: _FileKeys, group: _Group, number: int, *, built_graph: bool
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


def _cache_keys(
    config: Config, rules: Sequence[Rule], cwd: Path, settings: SettingsInfo, sources: Sequence[SourceFile]
) -> _CacheKeys:
    rule_identities = [f"{rule.code}:{rule.check.__module__}.{rule.check.__qualname__}" for rule in rules]
    base = combine(
        [
            analyzer_fingerprint(),
            str(cwd),
            repr(settings),
            str(config.max_file_size),
            str(_prefilter_applies(rules)),
            template_fingerprint(sources, settings),
            *rule_identities,
        ]
    )
    return _CacheKeys(base)


@dataclass
class _RawResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)


def _run_rules(
    texts: list[SourceText],
    settings: SettingsInfo,
    cwd: Path,
    config: Config,
    rules: Sequence[Rule],
    result_cache: ResultCache | None,
    progress: Progress,
) -> _RawResult:
    raw = _RawResult()
    keys = _cache_keys(config, rules, cwd, settings, [text.source for text in texts]) if result_cache else None
    run_key = keys.run(texts) if keys is not None else ""
    if result_cache is not None:
        cached = result_cache.get("run", run_key)
        if cached is not None:
            raw.findings, raw.errors = results_from_json(cached)
            return raw
    by_display_path = {text.source.display_path: text for text in texts}
    prefilter = _prefilter_applies(rules)
    groups = partition_by_module_name([text.source for text in texts])
    for number, group_sources in enumerate(groups):
        phase_started = time.perf_counter()
        group_texts = [by_display_path[source.display_path] for source in group_sources]
        partial = None
        if result_cache is not None and keys is not None:
            partial = _partial_group(group_texts, settings, cwd, rules, result_cache, keys, number)
        group = partial.group if partial is not None else build_group(group_texts, settings, cwd, prefilter=prefilter)
        raw.errors.extend(group.errors)
        logger.debug(
            "parsed %d of %d files in %.2fs",
            len(group.project.modules),
            len(group_sources),
            time.perf_counter() - phase_started,
            extra={"files": len(group_sources)},
        )
        phase_started = time.perf_counter()
        group_keys = keys.files(group) if partial is None and keys is not None else None
        if partial is not None:
            group_keys = partial.keys
        file_keys = group_keys.by_path if group_keys is not None else {}
        contexts = {context.path: context for context in group.contexts}
        pending: list[FileContext] = []
        for _, path in group.checkable:
            if partial is not None:
                entry = partial.entries.get(path)
            else:
                entry = result_cache.get("file", file_keys[path]) if result_cache is not None else None
            if entry is None:
                pending.append(contexts[path])
                continue
            findings, errors = results_from_json(entry)
            raw.findings.extend(findings)
            raw.errors.extend(errors)
        reused = partial.reused if partial is not None else False
        if pending and partial is None and result_cache is not None and keys is not None and group_keys is not None:
            reused = _reuse_project_results(result_cache, keys, group_keys.graph, group, number)
        for context, checked in zip(pending, check_files(pending, rules, config.jobs, progress), strict=True):
            raw.findings.extend(checked.findings)
            raw.errors.extend(checked.errors)
            if result_cache is not None:
                result_cache.put("file", file_keys[context.path], results_to_json(checked.findings, checked.errors))
        if result_cache is not None and keys is not None and group_keys is not None:
            if pending and not reused:
                _store_project_results(result_cache, keys, group_keys.graph, group, number)
            if not group.graph_failed:
                _store_parse_index(result_cache, keys, group_keys, group, number, built_graph=partial is None)
        logger.debug(
            "checked %d files in %.2fs",
            len(pending),
            time.perf_counter() - phase_started,
            extra={"files": len(pending)},
        )
        del group, pending
        if number < len(groups) - 1:
            # The collector is off: free this group's trees before the next group builds its own.
            gc.collect()
    if result_cache is not None:
        result_cache.put("run", run_key, results_to_json(raw.findings, raw.errors))
    return raw


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
    # Read the inputs that can fail before the (long) analysis, so a typo fails fast.
    baseline = Baseline.load(cwd / config.baseline) if config.baseline else None
    runtime_findings = load_runtime_report(cwd / config.runtime_report) if config.runtime_report else None

    discovery = discover([Path(path) for path in paths], cwd, exclude=PathMatcher.from_strings(config.exclude, root))
    errors = list(discovery.errors)
    sources = discovery.files
    settings = read_settings(sources, config.settings, search_roots=[root, cwd])
    if config.settings and settings.module is None:
        errors.append(FileError(PROJECT_ERROR_PATH, f"settings module {config.settings} not found"))

    result_cache = ResultCache(cache_dir) if cache_dir is not None and config.cache else None
    with _collector_paused():
        texts = read_sources(sources, config.max_file_size)
        raw = _run_rules(texts, settings, cwd, config, rules, result_cache, progress or Progress(enabled=False))
    errors.extend(raw.errors)
    findings = sorted(set(raw.findings), key=Finding.sort_key)
    text_by_path = {text.source.display_path: text.text for text in texts if text.text is not None}
    preloaded = {
        finding.path: text_by_path[finding.path].splitlines() for finding in findings if finding.path in text_by_path
    }

    lines = SourceLines(cwd, preloaded)
    per_file_ignores = PerFileIgnores.from_config(config.per_file_ignores, root, cwd)
    kept = apply_suppressions(findings, lines, per_file_ignores)
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
