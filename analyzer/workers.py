"""The check stage's workers: running every rule on one file, and on many files in forked worker processes.

Workers are forked after parsing, so they inherit the parsed modules and model graph copy-on-write (measured:
cheaper than sending a picklable summary, which would have to be re-parsed). What a worker is given is an index
into the inherited list of files; only its findings and errors travel back.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.context import FileContext
from analyzer.findings import FileError, Finding
from analyzer.progress import Progress
from analyzer.rules import Rule

logger = logging.getLogger(__name__)

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 48


@dataclass(frozen=True)
class Checked:
    """What the rules reported for one file."""

    findings: list[Finding]
    errors: list[FileError]


def check_file(context: FileContext, rules: Sequence[Rule]) -> Checked:
    """Run every rule on one file; a rule that crashes loses its findings for this file, not the run."""
    checked = Checked([], [])
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


def _check_in_worker(index: int) -> Checked:
    assert _WORKER_STATE is not None
    contexts, rules = _WORKER_STATE
    return check_file(contexts[index], rules)


def check_files(
    contexts: list[FileContext], rules: Sequence[Rule], jobs: int | None, progress: Progress | None = None
) -> list[Checked]:
    """Check the files, in forked worker processes when there are many files and fork is available.

    Workers are forked after parsing, so they share the parsed modules and model graph with the parent
    copy-on-write (measured: cheaper than sending a picklable summary, which would have to be re-parsed);
    only the findings travel back.
    """
    progress = progress or Progress(enabled=False)
    progress.start(len(contexts), "checking")
    workers = min(jobs or os.cpu_count() or 1, len(contexts))
    parallel = workers > 1 and len(contexts) >= PARALLEL_MIN_FILES and "fork" in multiprocessing.get_all_start_methods()
    results: list[Checked] = []
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
