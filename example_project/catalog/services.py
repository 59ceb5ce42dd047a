"""Write-side operations on the catalogue: the CSV export, price changes and comment moderation.

As in selectors.py, the operations come in pairs: one writes or loads once per row (its line carries a site
marker), its twin does the same work in a constant number of queries (the matching twin marker).
"""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from catalog import selectors
from catalog.models import Book, Comment, Publisher

logger = logging.getLogger("bookshop.catalog")

CENT = Decimal("0.01")
EXPORT_HEADER = ("isbn", "title", "publisher", "price")


def _discounted(price: Decimal, percent: int) -> Decimal:
    if not 0 < percent < 100:
        raise ValueError(f"A discount is a percentage between 1 and 99, not {percent}.")
    return (price * (100 - percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def export_catalogue_csv(stream: TextIO) -> int:
    """Write the books in print as CSV rows to `stream`; return the number of books written."""
    writer = csv.writer(stream)
    writer.writerow(EXPORT_HEADER)
    written = 0
    for book in selectors.books_in_print():
        writer.writerow((book.isbn, book.title, book.publisher.name, book.price))  # site: S15
        written += 1
    return written


def export_catalogue_csv_select_related(stream: TextIO) -> int:
    """Write the books in print as CSV rows to `stream`, reading the publishers joined in by the selector."""
    writer = csv.writer(stream)
    writer.writerow(EXPORT_HEADER)
    written = 0
    for book in selectors.books_in_print_with_publisher():
        writer.writerow((book.isbn, book.title, book.publisher.name, book.price))  # twin: S15
        written += 1
    return written


@transaction.atomic
def apply_publisher_discount(publisher: Publisher, percent: int) -> int:
    """Lower the price of every book of `publisher` by `percent`; return the number of books changed."""
    changed = 0
    for book in publisher.books.all():
        book.price = _discounted(book.price, percent)
        book.save()  # site: S23
        changed += 1
    logger.info("Discounted %d books of %s by %d%%", changed, publisher, percent)
    return changed


@transaction.atomic
def apply_publisher_discount_in_bulk(publisher: Publisher, percent: int) -> int:
    """Lower the price of every book of `publisher` by `percent` with one UPDATE; return the number changed."""
    books = list(publisher.books.all())
    now = timezone.now()
    for book in books:
        book.price = _discounted(book.price, percent)
        # bulk_update skips auto_now, so the timestamp save() would have set is set here.
        book.updated_at = now
    changed = Book.objects.bulk_update(books, ["price", "updated_at"])  # twin: S23
    logger.info("Discounted %d books of %s by %d%%", changed, publisher, percent)
    return changed


def purge_comments_before(cutoff: datetime) -> int:
    """Delete the comments written before `cutoff`; return how many were deleted."""
    deleted = 0
    for comment in Comment.objects.filter(created_at__lt=cutoff):
        comment.delete()  # site: S25
        deleted += 1
    return deleted


def purge_comments_before_in_one_query(cutoff: datetime) -> int:
    """Delete the comments written before `cutoff` with one DELETE; return how many were deleted."""
    deleted, _ = Comment.objects.filter(created_at__lt=cutoff).delete()  # twin: S25
    return deleted
