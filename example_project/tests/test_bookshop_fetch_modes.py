"""The fetch-mode sites of example_project/README.md on Django 6.1: query counts at n and 2n rows.

F01 reads each book's publisher in a loop over a FETCH_PEERS queryset: two queries whatever the number of books.
F02 reads each book's tags through its related manager under FETCH_PEERS: one query per book, as without the mode;
its twin prefetches the tags. Older Django has no fetch modes, so these tests are skipped there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookshop_factories import make_books
from bookshop_sites import FETCH_MODE_SITES, FETCH_MODE_SITES_BY_ID, FETCH_MODE_TWINS, FetchModeSite
from catalog import selectors as catalog_selectors
from catalog.models import Book

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(django.VERSION < (6, 1), reason="QuerySet.fetch_mode() is new in Django 6.1"),
]

ROWS = 3
SIZES = (ROWS, 2 * ROWS)


def _count_queries(path: Callable[[], Any], rows: int) -> tuple[int, Any]:
    make_books(rows, tags_per_book=2)
    with CaptureQueriesContext(connection) as captured:
        result = path()
    return len(captured.captured_queries), result


@pytest.mark.parametrize("rows", SIZES, ids=lambda rows: f"{rows}rows")
@pytest.mark.parametrize("site", FETCH_MODE_SITES, ids=lambda site: site.site_id)
def test_fetch_mode_site_issues_its_queries(site: FetchModeSite, rows: int) -> None:
    queries, result = _count_queries(site.path, rows)

    assert queries == site.base_queries + site.per_row * rows
    assert len(result) == rows


@pytest.mark.parametrize("rows", SIZES, ids=lambda rows: f"{rows}rows")
@pytest.mark.parametrize("site_id", sorted(FETCH_MODE_TWINS))
def test_fetch_mode_twin_issues_the_same_queries_for_n_and_2n_rows(site_id: str, rows: int) -> None:
    twin, twin_queries = FETCH_MODE_TWINS[site_id]
    queries, _ = _count_queries(twin, rows)

    assert queries == twin_queries


@pytest.mark.parametrize("site_id", sorted(FETCH_MODE_TWINS))
def test_fetch_mode_twin_returns_what_its_site_returns(site_id: str) -> None:
    make_books(ROWS, tags_per_book=2)
    site_result = FETCH_MODE_SITES_BY_ID[site_id].path()

    assert FETCH_MODE_TWINS[site_id][0]() == site_result
    assert all(len(tags) == 2 for tags in site_result.values())


def test_fetch_peers_site_returns_what_a_select_related_loop_returns() -> None:
    make_books(ROWS)
    expected = {book.isbn: book.publisher.name for book in Book.objects.select_related("publisher")}

    assert catalog_selectors.book_publishers_fetch_peers() == expected
