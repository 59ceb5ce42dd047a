"""`manage.py seed_demo` loads the same demo data every time it runs, replacing what was there."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.models import Profile
from catalog.models import Author, Book, Review
from orders.models import Order, OrderLine, Shipment

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, Any]:
    return {
        "books": list(Book.objects.order_by("isbn").values_list("isbn", "title", "price", "author__name")),
        "authors": Author.objects.count(),
        "customers": get_user_model().objects.filter(username__startswith="demo_").count(),
        "profiles": Profile.objects.count(),
        "reviews": Review.objects.count(),
        "orders": list(Order.objects.order_by("customer__username", "total").values_list("status", "total")),
        "lines": OrderLine.objects.count(),
        "shipments": Shipment.objects.count(),
    }


def test_seed_demo_creates_the_requested_number_of_books_and_proportional_rows() -> None:
    out = io.StringIO()

    call_command("seed_demo", books=12, stdout=out)

    snapshot = _snapshot()
    assert len(snapshot["books"]) == 12
    assert (snapshot["authors"], snapshot["customers"], snapshot["profiles"]) == (4, 6, 6)
    assert len(snapshot["orders"]) == 6
    assert Shipment.objects.count() == Order.objects.filter(status=Order.Status.SHIPPED).count()
    assert out.getvalue().startswith("Seeded 12 books, 4 authors, 8 publishers, 13 categories, 10 tags, 6 customers")


def test_seed_demo_run_twice_gives_the_same_data() -> None:
    call_command("seed_demo", books=12, stdout=io.StringIO())
    first = _snapshot()

    call_command("seed_demo", books=12, stdout=io.StringIO())

    assert _snapshot() == first


def test_seed_demo_keeps_customers_that_are_not_demo_customers() -> None:
    staff = get_user_model().objects.create_user("staff", password=None)

    call_command("seed_demo", books=3, stdout=io.StringIO())

    assert get_user_model().objects.filter(pk=staff.pk).exists()


def test_seed_demo_rejects_zero_books() -> None:
    with pytest.raises(CommandError, match="--books must be at least 1, not 0"):
        call_command("seed_demo", books=0, stdout=io.StringIO())
