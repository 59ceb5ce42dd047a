"""The registry of the example project's deliberate N+1 sites and their fixed twins.

Each Scenario says how to create n rows for a site (`arrange`), how to run the site's code path and its twin's
code path over them (calling the selector or service, or requesting the page, API endpoint or admin changelist
through Django's test client), and how many extra queries the site issues per row. example_project/README.md's
table must list exactly these site IDs, and its fetch-mode table the FETCH_MODE_SITES at the end;
test_bookshop_readme.py checks that.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from accounts import selectors as account_selectors
from bookshop_factories import (
    make_authors,
    make_books,
    make_comments,
    make_order,
    make_order_lines,
    make_orders,
    make_publishers,
    make_reviews,
    make_user,
    make_users,
)
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Book, Publisher
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import Order

Arrange = Callable[[int], Any]
CodePath = Callable[[Client, Any], Any]


@dataclass(frozen=True)
class Scenario:
    """One deliberate site and its twin, over the same rows."""

    site_id: str
    code: str
    arrange: Arrange
    # Queries the site issues whatever the number of rows; it issues `per_row` more for each row.
    base_queries: int
    # Queries the twin issues, the same for any number of rows.
    twin_queries: int
    site: CodePath
    twin: CodePath
    per_row: int = 1
    staff: bool = False
    same_result: bool = True


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"GET {url} answered {response.status_code}, not 200")
    return response.content.decode()


def _api(client: Client, url: str) -> list[dict[str, Any]]:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"GET {url} answered {response.status_code}, not 200")
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _books(rows: int) -> list[Book]:
    return make_books(rows)


def _books_with_two_tags(rows: int) -> list[Book]:
    return make_books(rows, tags_per_book=2)


def _authors_with_one_book(rows: int) -> None:
    # make_books gives every book an author of its own.
    make_books(rows)


def _authors_with_bios(rows: int) -> None:
    make_authors(rows, with_bios=True)


def _users_with_profiles(rows: int) -> None:
    make_users(rows, with_profiles=True)


def _shipped_orders(rows: int) -> None:
    make_orders(rows, shipped=True)


def _reviews(rows: int) -> None:
    make_reviews(make_books(rows))


def _books_with_good_and_bad_reviews(rows: int) -> None:
    make_reviews(make_books(rows), ratings=(5, 2))


def _comments_on_books_and_authors(rows: int) -> None:
    authors = make_authors(rows)
    book_count = rows - rows // 2
    books = make_books(book_count, authors=authors[:book_count])
    make_comments([*books, *authors[book_count:]])


def _books_with_a_comment(rows: int) -> None:
    make_comments(make_books(rows))


def _order_with_lines(rows: int) -> Order:
    order = make_order()
    make_order_lines(order, rows)
    return order


def _isbns(rows: int) -> list[str]:
    return [book.isbn for book in make_books(rows)]


def _publisher_with_books(rows: int) -> Publisher:
    publisher = make_publishers(1)[0]
    make_books(rows, publisher=publisher, price=Decimal("20.00"))
    return publisher


def _customer_and_books(rows: int) -> tuple[Any, list[Book]]:
    return make_user(), make_books(rows)


def _comments_to_purge(rows: int) -> Any:
    _books_with_a_comment(rows)
    # Every comment made so far was written before this cutoff.
    return timezone.now() + timedelta(seconds=1)


def _csv(export: Callable[[io.StringIO], int]) -> str:
    stream = io.StringIO()
    export(stream)
    return stream.getvalue()


def _order_summary(order: Order) -> tuple[Decimal, str]:
    return order.total, order.status


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "S01",
        "ORM101",
        _books,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: catalog_selectors.book_rows(),
        twin=lambda client, _: catalog_selectors.book_rows_select_related(),
    ),
    Scenario(
        "S02",
        "ORM101",
        _users_with_profiles,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: account_selectors.profile_emails(),
        twin=lambda client, _: account_selectors.profile_emails_select_related(),
    ),
    Scenario(
        "S03",
        "ORM101",
        _users_with_profiles,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: account_selectors.customer_cities(),
        twin=lambda client, _: account_selectors.customer_cities_select_related(),
    ),
    Scenario(
        "S04",
        "ORM101",
        _shipped_orders,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: order_selectors.shipment_tracking_codes(),
        twin=lambda client, _: order_selectors.shipment_tracking_codes_select_related(),
    ),
    Scenario(
        "S05",
        "ORM101",
        _authors_with_bios,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: catalog_selectors.author_bio_excerpts(),
        twin=lambda client, _: catalog_selectors.author_bio_excerpts_select_related(),
    ),
    Scenario(
        "S06",
        "ORM102",
        _authors_with_one_book,
        base_queries=1,
        twin_queries=2,
        site=lambda client, _: catalog_selectors.author_bibliographies(),
        twin=lambda client, _: catalog_selectors.author_bibliographies_prefetched(),
    ),
    Scenario(
        "S07",
        "ORM102",
        _books_with_two_tags,
        base_queries=1,
        twin_queries=2,
        site=lambda client, _: catalog_selectors.book_tag_index(),
        twin=lambda client, _: catalog_selectors.book_tag_index_prefetched(),
    ),
    Scenario(
        "S08",
        "ORM104",
        _reviews,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: catalog_selectors.review_feed(),
        twin=lambda client, _: catalog_selectors.review_feed_select_related(),
    ),
    Scenario(
        "S09",
        "ORM105",
        _books_with_good_and_bad_reviews,
        base_queries=2,
        twin_queries=2,
        site=lambda client, _: catalog_selectors.books_with_praise(),
        twin=lambda client, _: catalog_selectors.books_with_praise_prefetched(),
    ),
    Scenario(
        "S10",
        "ORM106",
        _books,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: catalog_selectors.book_blurbs(),
        twin=lambda client, _: catalog_selectors.book_blurbs_only_needed_fields(),
    ),
    Scenario(
        "S11",
        "ORM103",
        _comments_on_books_and_authors,
        base_queries=1,
        twin_queries=3,
        site=lambda client, _: catalog_selectors.recent_comment_targets(),
        twin=lambda client, _: catalog_selectors.recent_comment_targets_prefetched(),
    ),
    Scenario(
        "S12",
        "ORM107",
        _books,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: catalog_selectors.book_bylines(),
        twin=lambda client, _: catalog_selectors.book_bylines_select_related(),
    ),
    # Review.__str__ reads both the reviewer and the book: two queries per review.
    Scenario(
        "S13",
        "ORM107",
        _reviews,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: catalog_selectors.review_labels(),
        twin=lambda client, _: catalog_selectors.review_labels_select_related(),
        per_row=2,
    ),
    Scenario(
        "S14",
        "ORM101",
        _order_with_lines,
        base_queries=1,
        twin_queries=1,
        site=lambda client, order: order_selectors.order_line_titles(order),
        twin=lambda client, order: order_selectors.order_line_titles_select_related(order),
    ),
    Scenario(
        "S15",
        "ORM101",
        _books,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: _csv(catalog_services.export_catalogue_csv),
        twin=lambda client, _: _csv(catalog_services.export_catalogue_csv_select_related),
    ),
    Scenario(
        "S16",
        "ORM110",
        _books,
        base_queries=2,
        twin_queries=2,
        site=lambda client, _: _page(client, "/books/"),
        twin=lambda client, _: _page(client, "/books/select-related/"),
    ),
    Scenario(
        "S17",
        "ORM110",
        _reviews,
        base_queries=2,
        twin_queries=2,
        site=lambda client, _: _page(client, "/reviews/"),
        twin=lambda client, _: _page(client, "/reviews/select-related/"),
    ),
    Scenario(
        "S18",
        "ORM111",
        _books,
        base_queries=2,
        twin_queries=2,
        site=lambda client, _: _api(client, "/api/books/"),
        twin=lambda client, _: _api(client, "/api/books-select-related/"),
    ),
    Scenario(
        "S19",
        "ORM111",
        _books_with_two_tags,
        base_queries=2,
        twin_queries=3,
        site=lambda client, _: _api(client, "/api/book-tags/"),
        twin=lambda client, _: _api(client, "/api/book-tags-prefetched/"),
    ),
    # The two admin sites render different headers, so only the query counts are compared.
    Scenario(
        "S20",
        "ORM112",
        _books,
        base_queries=5,
        twin_queries=5,
        site=lambda client, _: _page(client, "/admin/catalog/book/"),
        twin=lambda client, _: _page(client, "/backoffice/catalog/book/"),
        staff=True,
        same_result=False,
    ),
    Scenario(
        "S21",
        "ORM201",
        _isbns,
        base_queries=0,
        twin_queries=1,
        site=lambda client, isbns: catalog_selectors.quote_prices(isbns),
        twin=lambda client, isbns: catalog_selectors.quote_prices_in_bulk(isbns),
    ),
    Scenario(
        "S22",
        "ORM202",
        _authors_with_one_book,
        base_queries=1,
        twin_queries=1,
        site=lambda client, _: catalog_selectors.author_book_counts(),
        twin=lambda client, _: catalog_selectors.author_book_counts_annotated(),
    ),
    Scenario(
        "S23",
        "ORM301",
        _publisher_with_books,
        base_queries=3,
        twin_queries=4,
        site=lambda client, publisher: catalog_services.apply_publisher_discount(publisher, 10),
        twin=lambda client, publisher: catalog_services.apply_publisher_discount_in_bulk(publisher, 10),
    ),
    Scenario(
        "S24",
        "ORM302",
        _customer_and_books,
        base_queries=3,
        twin_queries=4,
        site=lambda client, arranged: _order_summary(order_services.place_order(*arranged)),
        twin=lambda client, arranged: _order_summary(order_services.place_order_in_bulk(*arranged)),
    ),
    Scenario(
        "S25",
        "ORM303",
        _comments_to_purge,
        base_queries=1,
        twin_queries=1,
        site=lambda client, cutoff: catalog_services.purge_comments_before(cutoff),
        twin=lambda client, cutoff: catalog_services.purge_comments_before_in_one_query(cutoff),
    ),
    Scenario(
        "S26",
        "ORM103",
        _books_with_a_comment,
        base_queries=1,
        twin_queries=2,
        site=lambda client, _: catalog_selectors.book_comment_bodies(),
        twin=lambda client, _: catalog_selectors.book_comment_bodies_prefetched(),
    ),
)

SCENARIOS_BY_ID: dict[str, Scenario] = {scenario.site_id: scenario for scenario in SCENARIOS}


# Django 6.1's fetch modes (README.md, "Fetch-mode sites"): code paths over books with two tags each.
@dataclass(frozen=True)
class FetchModeSite:
    """One fetch-mode site: its code path, its queries at any size and the ones it adds per row."""

    site_id: str
    path: Callable[[], Any]
    base_queries: int
    per_row: int


FETCH_MODE_SITES: tuple[FetchModeSite, ...] = (
    FetchModeSite("F01", catalog_selectors.book_publishers_fetch_peers, base_queries=2, per_row=0),
    FetchModeSite("F02", catalog_selectors.book_tag_index_fetch_peers, base_queries=1, per_row=1),
)
FETCH_MODE_SITES_BY_ID = {site.site_id: site for site in FETCH_MODE_SITES}
# The fixed twins of the fetch-mode sites that are N+1s, and their constant number of queries.
FETCH_MODE_TWINS: dict[str, tuple[Callable[[], Any], int]] = {
    "F02": (catalog_selectors.book_tag_index_fetch_peers_prefetched, 2),
}
