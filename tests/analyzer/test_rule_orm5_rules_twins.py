"""The review rules on a small project: findings are exactly the ``# site: ORMxxx`` lines; ``# twin:`` lines are quiet.

The fixture (tests/fixtures/rules_twins) holds one site and one fixed twin per ORM4xx/ORM5xx rule and ORM901, and a
migration with patterns these rules report elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.config import Config
from analyzer.engine import analyze

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "rules_twins"
MARKER = re.compile(r"# (site|twin): (ORM\d{3})\s*$")
SELECT = ("ORM4", "ORM5", "ORM901")


def markers(kind: str) -> set[tuple[str, int, str]]:
    found: set[tuple[str, int, str]] = set()
    for path in sorted(FIXTURE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARKER.search(line)
            if match and match.group(1) == kind:
                found.add((path.relative_to(FIXTURE).as_posix(), number, match.group(2)))
    return found


def test_findings_are_exactly_the_site_markers() -> None:
    result = analyze([FIXTURE], Config(select=SELECT), cwd=FIXTURE)

    assert result.errors == ()
    assert {(finding.path, finding.line, finding.code) for finding in result.findings} == markers("site")
    assert len(result.findings) == len(markers("site"))


def test_every_rule_has_a_site_and_a_quiet_twin() -> None:
    codes = {"ORM403", "ORM404", "ORM405", "ORM406", "ORM407", "ORM408", "ORM409", "ORM410"}
    codes |= {"ORM501", "ORM502", "ORM503", "ORM504", "ORM505", "ORM901"}

    assert {code for _, _, code in markers("site")} == codes
    assert {code for _, _, code in markers("twin")} == codes


def test_the_migration_is_never_reported() -> None:
    result = analyze([FIXTURE], Config(select=("ORM",)), cwd=FIXTURE)

    assert [finding for finding in result.findings if "/migrations/" in f"/{finding.path}"] == []
