"""Suppressions: noqa comments (Python and template lines) and per-file-ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import Finding, Severity
from analyzer.suppressions import NoqaDirective, PerFileIgnores, SourceLines, apply_suppressions, parse_noqa
from tests.analyzer.helpers import write_tree
from tests.fixtures.infra_rules import INPUT_RULE, PRINT_RULE, use_rules


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("print(x)", None),
        ("print(x)  # noqa", NoqaDirective(None)),
        ("print(x)  # NOQA", NoqaDirective(None)),
        ("print(x)  #noqa:ORM801", NoqaDirective(("ORM801",))),
        ("print(x)  # noqa: ORM801, orm891", NoqaDirective(("ORM801", "ORM891"))),
        ("print(x)  # noqa: ORM801,ORM8 because the log is wanted", NoqaDirective(("ORM801", "ORM8"))),
        ("{{ book.author.name }} {# noqa: ORM110 #}", NoqaDirective(("ORM110",))),
        ("{{ book.author.name }} {# noqa #}", NoqaDirective(None)),
        ("print(x)  # type: ignore  # noqa: E501", NoqaDirective(("E501",))),
    ],
)
def test_parse_noqa(line: str, expected: NoqaDirective | None) -> None:
    assert parse_noqa(line) == expected


@pytest.mark.parametrize(
    ("comment", "reported"),
    [
        ("", [2, 3]),
        ("  # noqa", [3]),
        ("  # noqa: ORM801", [3]),
        ("  # noqa: ORM8", [3]),
        ("  # noqa: ORM891, ORM801", [3]),
        # Another code on the line suppresses only that code.
        ("  # noqa: ORM891", [2, 3]),
        ("  # noqa: E501", [2, 3]),
    ],
)
def test_noqa_on_the_reported_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, comment: str, reported: list[int]
) -> None:
    use_rules(monkeypatch, PRINT_RULE)
    write_tree(tmp_path, {"app/views.py": f"def f():\n    print(1){comment}\n    print(2)\n"})

    result = analyze([tmp_path], Config(), cwd=tmp_path)

    assert [finding.line for finding in result.findings] == reported


def test_noqa_on_another_line_of_a_multiline_call_does_not_suppress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_rules(monkeypatch, PRINT_RULE)
    write_tree(tmp_path, {"app/views.py": "print(\n    1,  # noqa: ORM801\n)\n"})

    result = analyze([tmp_path], Config(), cwd=tmp_path)

    assert [(finding.code, finding.line) for finding in result.findings] == [("ORM801", 1)]


def template_finding(path: str, line: int, code: str = "ORM110") -> Finding:
    return Finding(code, "template-related-access", Severity.WARNING, "m", path, line, 5, line, 20)


def test_noqa_in_a_template_line(tmp_path: Path) -> None:
    template = tmp_path / "templates" / "books.html"
    template.parent.mkdir()
    template.write_text(
        "{% for book in books %}\n"
        "  {{ book.author.name }} {# noqa: ORM110 #}\n"
        "  {{ book.publisher.name }}\n"
        "  {{ book.category.name }} {# noqa: ORM111 #}\n"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    findings = [template_finding("templates/books.html", line) for line in (2, 3, 4)]

    kept = apply_suppressions(findings, SourceLines(tmp_path))

    assert [finding.line for finding in kept] == [3, 4]


def test_finding_in_a_file_that_cannot_be_read_is_kept(tmp_path: Path) -> None:
    kept = apply_suppressions([template_finding("gone.html", 1)], SourceLines(tmp_path))

    assert [finding.path for finding in kept] == ["gone.html"]


@pytest.mark.parametrize(
    ("table", "reported"),
    [
        ({}, ["app/tests/test_views.py", "app/views.py", "scripts/run.py"]),
        ({"app/tests/*": ["ORM801"]}, ["app/views.py", "scripts/run.py"]),
        ({"**/tests/**": ["ORM8"]}, ["app/views.py", "scripts/run.py"]),
        ({"test_*.py": ["ORM801"], "scripts/": ["ORM801"]}, ["app/views.py"]),
        ({"app/tests/*": ["ORM891"]}, ["app/tests/test_views.py", "app/views.py", "scripts/run.py"]),
    ],
)
def test_per_file_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]], reported: list[str]
) -> None:
    use_rules(monkeypatch, PRINT_RULE, INPUT_RULE)
    write_tree(
        tmp_path,
        {"app/views.py": "print(1)\n", "app/tests/test_views.py": "print(1)\n", "scripts/run.py": "print(1)\n"},
    )
    per_file_ignores = {pattern: tuple(codes) for pattern, codes in table.items()}

    result = analyze([tmp_path], Config(per_file_ignores=per_file_ignores, root=tmp_path), cwd=tmp_path)

    assert [finding.path for finding in result.findings] == reported


def test_per_file_ignores_patterns_are_relative_to_the_config_root_not_the_cwd(tmp_path: Path) -> None:
    ignores = PerFileIgnores.from_config({"app/*.py": ["ORM8"]}, base=tmp_path / "project", cwd=tmp_path)

    assert ignores.ignores(template_finding("project/app/views.py", 1, "ORM801")) is True
    assert ignores.ignores(template_finding("other/app/views.py", 1, "ORM801")) is False
    assert ignores.ignores(template_finding("project/app/views.py", 1, "ORM110")) is False
