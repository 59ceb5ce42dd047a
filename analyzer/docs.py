"""Rule documentation, generated from the rule modules: one page per rule in docs/rules/ and an index table.

``python -m analyzer.docs`` writes the pages (``--check`` only reports drift, ``--output DIR`` writes elsewhere).
The same Markdown serves ``--explain CODE`` and the SARIF rule descriptions, so the three can never disagree.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from analyzer import rules as rule_registry
from analyzer.rules import Rule

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "rules"
INDEX_NAME = "README.md"
RULE_PAGE = re.compile(r"^ORM\d{3}\.md$")


def rule_docs(rule: Rule) -> str:
    """The rule's own Markdown, dedented and stripped."""
    return textwrap.dedent(rule.docs).strip()


def section_titles(markdown: str) -> list[str]:
    """The level-2 headings of a Markdown text, in order."""
    return [match.group(1).strip() for match in re.finditer(r"^## +(.+?)\s*$", markdown, re.MULTILINE)]


def section(markdown: str, title: str) -> str:
    """The text under a level-2 heading, up to the next one; empty when there is no such heading."""
    match = re.search(rf"^## +{re.escape(title)}\s*$(.*?)(?=^## |\Z)", markdown, re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else ""


def default_label(rule: Rule) -> str:
    return "on" if rule.default_enabled else "off (opt-in)"


def rule_page(rule: Rule) -> str:
    """The complete page for a rule: title, catalogue facts, then its docs."""
    return (
        f"# {rule.code}: {rule.name}\n\n"
        f"{rule.summary}\n\n"
        f"- Code: `{rule.code}`\n"
        f"- Name: `{rule.name}`\n"
        f"- Default: {default_label(rule)}\n"
        f"- Severity: {rule.severity.value}\n\n"
        f"{rule_docs(rule)}\n"
    )


def _table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def index_page(rules: Sequence[Rule]) -> str:
    rows = "".join(
        f"| [{rule.code}]({rule.code}.md) | {rule.name} | {default_label(rule)} | {_table_cell(rule.summary)} |\n"
        for rule in rules
    )
    return (
        "# Rules\n\n"
        "Generated from the rule modules in `analyzer/rules/` by `python -m analyzer.docs`; edit the rule "
        "module, not these pages.\n"
        "Select rules with `--select`, `--ignore` and `--extend-select` (codes or prefixes); opt-in rules are off "
        "until selected by a code or a prefix longer than `ORM`. `python -m analyzer --explain CODE` prints a page.\n\n"
        "| Code | Name | Default | Summary |\n"
        "|---|---|---|---|\n"
        f"{rows}"
    )


def generated_pages(rules: Sequence[Rule] | None = None) -> dict[str, str]:
    """File name to content for every page the generator writes."""
    chosen = list(rule_registry.all_rules() if rules is None else rules)
    pages = {f"{rule.code}.md": rule_page(rule) for rule in chosen}
    pages[INDEX_NAME] = index_page(chosen)
    return pages


def drift(output: Path, pages: dict[str, str]) -> list[str]:
    """Names of the pages that differ from what is on disk, including stale rule pages to delete."""
    changed = [
        name
        for name, content in pages.items()
        if not (output / name).is_file() or (output / name).read_text(encoding="utf-8") != content
    ]
    stale = [path.name for path in output.glob("ORM*.md") if RULE_PAGE.match(path.name) and path.name not in pages]
    return sorted(changed + stale)


def write_pages(output: Path, pages: dict[str, str]) -> list[str]:
    """Write the pages and delete rule pages of rules that no longer exist; returns the names changed."""
    changed = drift(output, pages)
    output.mkdir(parents=True, exist_ok=True)
    for name in changed:
        if name in pages:
            (output / name).write_text(pages[name], encoding="utf-8")
        else:
            (output / name).unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyzer.docs", description="Generate docs/rules/.")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder to write (default: docs/rules)")
    parser.add_argument("--check", action="store_true", help="only report pages that are out of date; exit 1 if any")
    options = parser.parse_args(argv)
    pages = generated_pages()
    if options.check:
        stale = drift(options.output, pages)
        for name in stale:
            print(f"{options.output / name} is out of date; run python -m analyzer.docs", file=sys.stderr)
        return 1 if stale else 0
    changed = write_pages(options.output, pages)
    print(f"{len(pages)} pages in {options.output}, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
