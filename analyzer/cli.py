"""The command line: ``python -m analyzer [PATH ...]`` and the ``django-orm-analyzer`` console script.

Exit codes: 0 no findings, 1 findings (0 with ``--exit-zero``), 2 a usage error (bad flag, unknown rule code,
missing path, bad configuration, unreadable baseline or runtime report) or an internal error in a rule.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from analyzer import rules as rule_registry
from analyzer.baseline import write_baseline
from analyzer.cache import CACHE_DIR_NAME
from analyzer.config import (
    OUTPUT_FORMATS,
    Config,
    find_config_file,
    load_config_file,
    parse_codes,
    validate_selectors,
)
from analyzer.docs import default_label, rule_page
from analyzer.engine import analyze
from analyzer.errors import AnalyzerError, UsageError
from analyzer.findings import AnalysisResult
from analyzer.progress import for_terminal
from analyzer.report import render, summary
from analyzer.report.text import confirmation_summary
from analyzer.suppressions import SourceLines

logger = logging.getLogger("analyzer")

PROGRAM = "django-orm-analyzer"
INTERNAL_ERROR_PREFIX = "internal error in "


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Find N+1 queries and ORM anti-patterns in a Django project, without running it.",
    )
    parser.add_argument("paths", nargs="*", default=["."], help="files or folders to analyse (default: .)")
    parser.add_argument(
        "--format", choices=OUTPUT_FORMATS, help="output format (default: text, one short line per finding)"
    )
    parser.add_argument(
        "--show-fix", action="store_true", default=None, help="print whole messages with their fix (--format full)"
    )
    parser.add_argument("--select", type=parse_codes, metavar="CODES", help="only these codes or prefixes")
    parser.add_argument("--ignore", type=parse_codes, metavar="CODES", help="never these codes or prefixes")
    parser.add_argument(
        "--extend-select", type=parse_codes, metavar="CODES", help="these codes or prefixes on top of the selection"
    )
    parser.add_argument("--exclude", metavar="GLOBS", help="comma-separated glob patterns of files to skip")
    parser.add_argument("--settings", metavar="MODULE", help="dotted Django settings module to read statically")
    parser.add_argument("--config", type=Path, metavar="FILE", help="configuration file (default: nearest pyproject)")
    parser.add_argument("--baseline", metavar="FILE", help="report only findings that are not in this baseline")
    parser.add_argument("--write-baseline", metavar="FILE", help="write all current findings to FILE and exit 0")
    parser.add_argument(
        "--runtime-report", metavar="FILE", help="mark findings a runtime report confirms; list runtime-only ones"
    )
    parser.add_argument("--exit-zero", action="store_true", default=None, help="exit 0 even when there are findings")
    parser.add_argument("--jobs", type=_positive_int, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument(
        "--no-cache",
        action="store_false",
        dest="cache",
        default=None,
        help=f"neither read nor write the result cache ({CACHE_DIR_NAME}/ under the project root)",
    )
    parser.add_argument(
        "--max-file-size", type=_positive_int, metavar="BYTES", help="skip larger files (default: 2 MB)"
    )
    parser.add_argument("--fix", action="store_true", default=None, help="apply the safe fixes, then report the rest")
    parser.add_argument(
        "--no-fix", action="store_false", dest="fix", default=None, help="do not apply fixes (overrides fix = true)"
    )
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    parser.add_argument(
        "--unsafe-fixes", action="store_true", default=None, help="also apply fixes that change behaviour or shape"
    )
    parser.add_argument("--fixable", type=parse_codes, metavar="CODES", help="only fix these codes or prefixes")
    parser.add_argument("--unfixable", type=parse_codes, metavar="CODES", help="never fix these codes or prefixes")
    parser.add_argument("--list-rules", action="store_true", help="list every rule and exit")
    parser.add_argument("--explain", metavar="CODE", help="print a rule's documentation and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details (rule crash tracebacks)")
    return parser


def resolve_config(options: argparse.Namespace, cwd: Path) -> Config:
    """The file's settings, then the flags given on the command line on top."""
    config_file = options.config if options.config is not None else find_config_file(cwd)
    values: dict[str, Any] = {"root": cwd}
    if config_file is not None:
        values.update(load_config_file(cwd / config_file))
    overrides = {
        "select": options.select,
        "ignore": options.ignore,
        "extend_select": options.extend_select,
        "exclude": tuple(part.strip() for part in options.exclude.split(",")) if options.exclude else None,
        "settings": options.settings,
        "output_format": options.format,
        "show_fix": options.show_fix,
        "baseline": options.baseline,
        "runtime_report": options.runtime_report,
        "exit_zero": options.exit_zero,
        "jobs": options.jobs,
        "cache": options.cache,
        "max_file_size": options.max_file_size,
        "fix": options.fix,
        "unsafe_fixes": options.unsafe_fixes,
        "fixable": options.fixable,
        "unfixable": options.unfixable,
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    return Config(**values)


def list_rules() -> str:
    rules = rule_registry.all_rules()
    if not rules:
        return "no rules are registered\n"
    width = max(len(rule.name) for rule in rules)
    return "".join(f"{rule.code}  {rule.name:<{width}}  {default_label(rule):<12}  {rule.summary}\n" for rule in rules)


def explain(code: str) -> str:
    rule = rule_registry.rule_by_code(code.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule code: {code} (--list-rules shows every code)")
    return rule_page(rule)


def _exit_code(result: AnalysisResult, config: Config) -> int:
    if any(error.message.startswith(INTERNAL_ERROR_PREFIX) for error in result.errors):
        return 2
    if result.findings and not config.exit_zero:
        return 1
    return 0


def run(options: argparse.Namespace, cwd: Path) -> int:
    if options.list_rules:
        sys.stdout.write(list_rules())
        return 0
    if options.explain:
        sys.stdout.write(explain(options.explain))
        return 0
    config = resolve_config(options, cwd)
    validate_selectors(config.fixable, rule_registry.all_rules(), "fixable")
    validate_selectors(config.unfixable, rule_registry.all_rules(), "unfixable")
    if options.write_baseline:
        # The baseline records every current finding, so an older baseline must not filter them.
        config = replace(config, baseline=None)
    cache_dir = (config.root or cwd) / CACHE_DIR_NAME if config.cache else None
    result = analyze(options.paths, config, cwd=cwd, cache_dir=cache_dir, progress=for_terminal(sys.stderr))
    if options.write_baseline:
        count = write_baseline(cwd / options.write_baseline, result.findings, SourceLines(cwd))
        print(f"wrote {count} findings to {options.write_baseline}", file=sys.stderr)
        return 0
    if options.diff or config.fix:
        # Imported here: libcst is only needed when fixing, and the plain analysis should not pay for its import.
        from analyzer.fix.command import apply_fixes, show_diff
        from analyzer.fix.plan import FixSettings

        settings = FixSettings(config.unsafe_fixes, config.fixable, config.unfixable)
        if options.diff:
            return show_diff(result, settings, cwd)
        result = apply_fixes(
            result,
            settings,
            cwd,
            lambda: analyze(options.paths, config, cwd=cwd, cache_dir=cache_dir, progress=for_terminal(sys.stderr)),
        )
    runtime_report = config.runtime_report is not None
    rendered = render(
        result, config.output_format, rule_registry.all_rules(), runtime_report=runtime_report, show_fix=config.show_fix
    )
    sys.stdout.write(rendered)
    if config.output_format not in ("text", "full"):
        # Machine-readable output stays parseable; the summaries go to stderr.
        print(summary(result), file=sys.stderr)
        if runtime_report:
            print(confirmation_summary(result), file=sys.stderr)
    return _exit_code(result, config)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_request:
        # argparse exits 2 on a bad flag and 0 after --help; main returns the code instead of exiting.
        return exit_request.code if isinstance(exit_request.code, int) else 2
    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    try:
        return run(options, Path.cwd())
    except AnalyzerError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return 2


def entry_point() -> NoReturn:
    """Run ``main`` as a program and leave without tearing the interpreter down.

    After a large run the heap holds many astroid trees; freeing them one by one at exit takes seconds and
    changes nothing, so the output is flushed and the process ends at once. Only the command line does this;
    ``main`` and ``analyze`` return normally for callers in the same process.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)
