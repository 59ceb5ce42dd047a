"""Placing orders.

place_order inserts one line per book (a deliberate write-in-loop site); place_order_in_bulk, its fixed twin,
inserts them all in one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from catalog.models import Book
from orders.models import Order, OrderLine


def _total(books: Sequence[Book]) -> Decimal:
    return sum((book.price for book in books), Decimal("0.00"))


@transaction.atomic
def place_order(customer: AbstractBaseUser, books: Sequence[Book]) -> Order:
    """Open an order for `customer` with one line per book at today's price."""
    if not books:
        raise ValueError("An order needs at least one book.")
    order = Order.objects.create(customer=customer, total=_total(books))
    for book in books:
        OrderLine.objects.create(order=order, book=book, quantity=1, unit_price=book.price)  # site: S24
    return order


@transaction.atomic
def place_order_in_bulk(customer: AbstractBaseUser, books: Sequence[Book]) -> Order:
    """Open an order for `customer` with one line per book at today's price, inserting the lines together."""
    if not books:
        raise ValueError("An order needs at least one book.")
    order = Order.objects.create(customer=customer, total=_total(books))
    lines = [OrderLine(order=order, book=book, quantity=1, unit_price=book.price) for book in books]
    OrderLine.objects.bulk_create(lines)  # twin: S24
    return order
