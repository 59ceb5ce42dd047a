"""The shop's pages, API and admin answer as a user expects: pages, filters, bad input and missing objects."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from bookshop_factories import (
    make_author,
    make_book,
    make_books,
    make_order,
    make_order_lines,
    make_orders,
    make_reviews,
)
from catalog.models import Book
from catalog.views import BOOKS_PER_PAGE
from orders.models import Order

pytestmark = pytest.mark.django_db

BOOK_ROW = re.compile(r'<a href="/books/(\d+)/">')


def _book_ids_on(content: bytes) -> list[int]:
    return [int(pk) for pk in BOOK_ROW.findall(content.decode())]


def test_home_page_links_to_the_lists(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert [template.name for template in response.templates][:2] == ["catalog/home.html", "base.html"]
    assert b'href="/books/"' in response.content


def test_book_list_shows_one_page_of_books_in_title_order(client: Client) -> None:
    books = make_books(BOOKS_PER_PAGE + 5)

    first = client.get("/books/")
    second = client.get("/books/?page=2")

    assert (first.status_code, second.status_code) == (200, 200)
    assert _book_ids_on(first.content) == [book.pk for book in books[:BOOKS_PER_PAGE]]
    assert _book_ids_on(second.content) == [book.pk for book in books[BOOKS_PER_PAGE:]]
    assert b"page 2 of 2" in second.content
    assert b'href="?page=2"' in first.content


def test_book_list_filters_by_title_and_category(client: Client) -> None:
    wanted, _other = make_books(2)

    by_title = client.get("/books/", {"q": wanted.title})
    by_category = client.get("/books/", {"category": wanted.category_id})

    assert _book_ids_on(by_title.content) == [wanted.pk]
    assert _book_ids_on(by_category.content) == [wanted.pk]


@pytest.mark.parametrize("query", ["page=abc", "page=0", "category=-1", "category=x", f"q={'x' * 101}"], ids=str.split)
def test_book_list_rejects_malformed_query_strings_with_400(client: Client, query: str) -> None:
    response = client.get(f"/books/?{query}")

    assert response.status_code == 400
    assert response.content.startswith(b"Invalid query string:")


def test_book_list_page_past_the_end_is_404(client: Client) -> None:
    make_book()

    assert client.get("/books/?page=2").status_code == 404
    assert client.get("/books/select-related/?page=2").status_code == 404


def test_book_detail_shows_tags_and_reviews_in_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    book = make_book(tags_per_book=3)
    make_reviews([book] * 4)

    # book with author, publisher and category; tags; reviews with reviewers
    with django_assert_num_queries(3):
        response = client.get(f"/books/{book.pk}/")

    assert response.status_code == 200
    assert response.context["book"] == book
    assert response.content.count(b"/5</strong> by reader") == 4


def test_book_detail_of_a_missing_book_is_404(client: Client) -> None:
    assert client.get("/books/999999/").status_code == 404


def test_review_list_view_paginates_and_404s_past_the_end(client: Client) -> None:
    make_reviews(make_books(21))

    first = client.get("/reviews/")

    assert first.status_code == 200
    assert len(first.context["object_list"]) == 20
    assert client.get("/reviews/?page=2").status_code == 200
    assert client.get("/reviews/?page=3").status_code == 404


def test_author_list_shows_each_authors_book_count(client: Client) -> None:
    author = make_author()
    make_books(2, author=author)

    response = client.get("/authors/")

    assert response.status_code == 200
    assert f"{author.name} (born {author.birth_year}): 2 books".encode() in response.content


def test_order_pages_require_a_signed_in_customer(client: Client) -> None:
    order = make_order()

    listing = client.get("/orders/")

    assert (listing.status_code, listing["Location"]) == (302, "/accounts/login/?next=/orders/")
    assert client.get(f"/orders/{order.pk}/").status_code == 302
    assert client.get("/accounts/login/?next=/orders/").status_code == 200


def test_customer_sees_own_order_but_not_another_customers(client: Client) -> None:
    own, someone_elses = make_orders(2, shipped=True)
    make_order_lines(own, 1)
    client.force_login(own.customer)

    listing = client.get("/orders/")
    detail = client.get(f"/orders/{own.pk}/")

    assert list(listing.context["object_list"]) == [own]
    assert detail.status_code == 200
    assert b"tracking code TRK" in detail.content
    assert client.get(f"/orders/{someone_elses.pk}/").status_code == 404


def test_book_api_serialises_author_name_and_tags(client: Client) -> None:
    book = make_book(tags_per_book=2, price=Decimal("9.99"))

    books = client.get("/api/books/").json()
    tagged = client.get("/api/book-tags-prefetched/").json()

    assert books["count"] == 1
    assert books["results"][0] == {
        "id": book.pk,
        "title": book.title,
        "isbn": book.isbn,
        "price": "9.99",
        "published_on": "2020-01-01",
        "author_name": book.author.name,
    }
    assert [tag["name"] for tag in tagged["results"][0]["tags"]] == sorted(tag.name for tag in book.tags.all())


def test_both_admin_sites_list_books_for_staff(client: Client) -> None:
    book = make_book()
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", None))

    for url in ("/admin/catalog/book/", "/backoffice/catalog/book/"):
        response = client.get(url)
        assert response.status_code == 200
        assert book.author.name.encode() in response.content


def test_admin_change_pages_open_for_staff(client: Client) -> None:
    order = make_order(shipped=True)
    make_order_lines(order, 1)
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", None))

    assert client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    assert client.get(f"/admin/catalog/book/{Book.objects.get().pk}/change/").status_code == 200
    assert Order.objects.count() == 1
