"""Read-side queries for orders, their lines and their shipments.

Pairs as in catalog/selectors.py: the site loads a relation per row, its twin joins it in.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from orders.models import Order, OrderLine


def orders_for_customer(customer: AbstractBaseUser) -> QuerySet[Order]:
    """A customer's orders, newest first, with lines, their books and the shipment loaded in three queries."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("shipment")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("book")))
    )


def shipment_tracking_codes() -> dict[int, str]:
    """The tracking code of every shipped order, by order id."""
    codes: dict[int, str] = {}
    for order in Order.objects.filter(status=Order.Status.SHIPPED):
        codes[order.pk] = order.shipment.tracking_code  # site: S04
    return codes


def shipment_tracking_codes_select_related() -> dict[int, str]:
    """The tracking code of every shipped order, with the shipments joined in."""
    codes: dict[int, str] = {}
    for order in Order.objects.filter(status=Order.Status.SHIPPED).select_related("shipment"):
        codes[order.pk] = order.shipment.tracking_code  # twin: S04
    return codes


def order_line_titles(order: Order) -> list[str]:
    """The title of the book on each line of `order`."""
    return [line.book.title for line in order.lines.all()]  # site: S14


def order_line_titles_select_related(order: Order) -> list[str]:
    """The title of the book on each line of `order`, with the books joined in."""
    return [line.book.title for line in order.lines.select_related("book")]  # twin: S14
