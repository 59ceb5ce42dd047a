"""Our findings on the labelled scenarios of django-zeal's and nplusone's suites (tests/runtime/peer_scenarios.py)."""

from __future__ import annotations

import pytest

from runtime import detect
from tests.runtime.conftest import ROOT, Catalogue
from tests.runtime.peer_scenarios import SCENARIOS, Scenario


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: f"{scenario.source}-{scenario.name}")
def test_scenario_gives_exactly_its_expected_findings(catalogue: Catalogue, scenario: Scenario) -> None:
    if scenario.arrange is not None:
        scenario.arrange()
    with detect(root=str(ROOT), unused_eager=scenario.label == "unused_eager") as detection:
        scenario.run()
    assert sorted((f.kind, f.model, f.field) for f in detection.findings) == sorted(scenario.expected)


def test_every_n_plus_one_is_expected_to_be_found_unless_we_say_why_not() -> None:
    assert [
        scenario.name
        for scenario in SCENARIOS
        if (scenario.label != "clean") != bool(scenario.expected) and not scenario.disagreement
    ] == []
