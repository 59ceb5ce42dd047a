"""Meta-tests over every registered rule: catalogue shape, docs sections, generated pages on disk, and the docs'
examples run as tests (bad gives exactly the rule's code, good gives nothing)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.docs import (
    DEFAULT_OUTPUT,
    REQUIRED_SECTIONS,
    drift,
    generated_pages,
    rule_docs,
    section_titles,
    write_pages,
)
from analyzer.rules import Rule, all_rules
from tests.analyzer.helpers import analyze_snippet
from tests.fixtures.infra_rules import INPUT_RULE, PRINT_RULE

RULES = all_rules()
RULE_IDS = [rule.code for rule in RULES]


def test_rule_codes_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in RULES]
    names = [rule.name for rule in RULES]

    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert [code for code in codes if not re.fullmatch(r"ORM\d{3}", code)] == []
    assert [name for name in names if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)] == []


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_docs_have_the_four_sections_in_order(rule: Rule) -> None:
    titles = section_titles(rule_docs(rule))

    assert [title for title in titles if title in REQUIRED_SECTIONS] == list(REQUIRED_SECTIONS)
    assert rule.summary.strip() == rule.summary and rule.summary


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_bad_example_gives_exactly_the_rules_code(rule: Rule, tmp_path: Path) -> None:
    findings = analyze_snippet(tmp_path, rule.bad_example, select=(rule.code,))

    assert findings != []
    assert {finding.code for finding in findings} == {rule.code}


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_bad_example_lines_get_no_other_rule(rule: Rule, tmp_path: Path) -> None:
    # Every default rule plus this one: other rules may fire elsewhere in the example (a model without __str__,
    # say), never on the lines this rule reports.
    findings = analyze_snippet(tmp_path, rule.bad_example, select=("ORM", rule.code))
    own_lines = {finding.line for finding in findings if finding.code == rule.code}

    assert own_lines != set()
    assert {(finding.code, finding.line) for finding in findings if finding.line in own_lines} == {
        (rule.code, line) for line in own_lines
    }


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_good_example_gives_no_findings_at_all(rule: Rule, tmp_path: Path) -> None:
    assert analyze_snippet(tmp_path, rule.good_example, select=("ORM", rule.code)) == []


def test_docs_on_disk_match_the_generator() -> None:
    assert drift(DEFAULT_OUTPUT, generated_pages()) == [], "run: python -m analyzer.docs"


def test_generator_writes_pages_and_index_and_removes_stale_pages(tmp_path: Path) -> None:
    (tmp_path / "ORM777.md").write_text("stale", encoding="utf-8")
    (tmp_path / "notes.md").write_text("kept", encoding="utf-8")
    pages = generated_pages((PRINT_RULE, INPUT_RULE))

    changed = write_pages(tmp_path, pages)

    assert changed == ["ORM777.md", "ORM801.md", "ORM891.md", "README.md"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ORM801.md", "ORM891.md", "README.md", "notes.md"]
    assert drift(tmp_path, pages) == []
    assert (tmp_path / "README.md").read_text(encoding="utf-8").splitlines()[-3:] == [
        "|---|---|---|---|",
        "| [ORM801](ORM801.md) | print-call | on | A print() call. |",
        "| [ORM891](ORM891.md) | input-call | off (opt-in) | An input() call. |",
    ]
    assert (
        (tmp_path / "ORM891.md")
        .read_text(encoding="utf-8")
        .startswith(
            "# ORM891: input-call\n\nAn input() call.\n\n- Code: `ORM891`\n- Name: `input-call`\n"
            "- Default: off (opt-in)\n- Severity: error\n\n## What it does\n"
        )
    )
