"""The flow across files: selectors returning querysets, custom managers and querysets, a custom user model,
abstract bases in another app and multi-table inheritance (tests/fixtures/flow_shop)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import Fix
from tests.analyzer.flow_helpers import FLOW_CODES

FIXTURE = (Path(__file__).parent.parent / "fixtures" / "flow_shop").resolve()


def _expected_markers() -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for path in sorted(FIXTURE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.search(r"# expect (ORM\d{3})$", line)
            if match:
                found.append((path.relative_to(FIXTURE).as_posix(), number))
    return found


def test_fixture_project_findings_are_exactly_the_marked_lines() -> None:
    result = analyze([FIXTURE], Config(settings="config.settings", select=FLOW_CODES), cwd=FIXTURE)
    assert result.errors == ()
    assert [(finding.path, finding.line) for finding in result.findings] == _expected_markers()
    assert {finding.code for finding in result.findings} == {"ORM101"}


def test_queryset_from_a_selector_in_another_module_puts_the_fix_there() -> None:
    result = analyze([FIXTURE], Config(settings="config.settings", select=("ORM101",)), cwd=FIXTURE)
    first = result.findings[0]
    assert first.path == "orders/views.py"
    assert first.message == (
        "book.author is loaded once per row of Book.objects.all() (catalog/selectors.py:5); "
        'add .select_related("author") there'
    )
    assert replace(first.fix, edit=None) == Fix('add .select_related("author")', "catalog/selectors.py", 5)
    # --fix edits the selector's queryset too.
    assert first.fix.edit is not None
    assert (first.fix.edit.kind, first.fix.edit.line, first.fix.edit.arguments) == ("select_related", 5, ("author",))


def test_custom_user_relation_resolves_through_auth_user_model() -> None:
    result = analyze([FIXTURE], Config(settings="config.settings", select=("ORM101",)), cwd=FIXTURE)
    customer = [finding for finding in result.findings if finding.field == "customer"]
    assert [(finding.model, finding.line) for finding in customer] == [("orders.Order", 24)]
