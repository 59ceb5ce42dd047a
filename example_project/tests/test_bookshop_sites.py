"""Every deliberate site issues a known number of extra queries per row, and its twin a constant number.

Each test runs one code path once, over n = 3 or 2n = 6 fresh rows, and checks the exact number of queries:
`base_queries + per_row * rows` for a site, so that count(2n) - count(n) == per_row * n, and `twin_queries` for
its twin at both sizes. Running each path once per test keeps the runtime detector's view of these tests
(`pytest --detect-nplusone`) down to the sites themselves.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bookshop_sites import SCENARIOS, CodePath, Scenario

ROWS = 3
SIZES = (ROWS, 2 * ROWS)

pytestmark = pytest.mark.django_db


def _scenario_id(scenario: Scenario) -> str:
    return scenario.site_id


def _prepare(scenario: Scenario, client: Client) -> None:
    # Content types are cached per process once looked up; load them all so that no count depends on test order.
    ContentType.objects.get_for_models(*apps.get_models())
    if scenario.staff:
        client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", None))


def _count_queries(scenario: Scenario, path: CodePath, client: Client, rows: int) -> int:
    _prepare(scenario, client)
    arranged = scenario.arrange(rows)
    with CaptureQueriesContext(connection) as captured:
        path(client, arranged)
    return len(captured.captured_queries)


def test_every_site_issues_at_least_one_extra_query_per_row() -> None:
    assert [scenario.site_id for scenario in SCENARIOS if scenario.per_row < 1] == []


@pytest.mark.parametrize("rows", SIZES, ids=lambda rows: f"{rows}rows")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=_scenario_id)
def test_site_issues_its_extra_queries_once_per_row(scenario: Scenario, rows: int, client: Client) -> None:
    queries = _count_queries(scenario, scenario.site, client, rows)

    assert queries == scenario.base_queries + scenario.per_row * rows


@pytest.mark.parametrize("rows", SIZES, ids=lambda rows: f"{rows}rows")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=_scenario_id)
def test_twin_issues_the_same_queries_for_n_and_2n_rows(scenario: Scenario, rows: int, client: Client) -> None:
    queries = _count_queries(scenario, scenario.twin, client, rows)

    assert queries == scenario.twin_queries


@pytest.mark.parametrize("scenario", [scenario for scenario in SCENARIOS if scenario.same_result], ids=_scenario_id)
def test_twin_returns_what_its_site_returns(scenario: Scenario, client: Client) -> None:
    arranged = scenario.arrange(ROWS)
    # Each path runs in a savepoint that is rolled back, so a write path leaves the rows as the other will see them.
    with transaction.atomic():
        site_result = scenario.site(client, arranged)
        transaction.set_rollback(True)
    with transaction.atomic():
        twin_result = scenario.twin(client, arranged)
        transaction.set_rollback(True)

    assert site_result == twin_result
    assert site_result
