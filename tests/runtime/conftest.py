"""Fixtures for the runtime detector's tests: a small catalogue in the example project's database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from accounts.models import Profile
from catalog.models import Author, AuthorBio, Book, Comment, Publisher, Review, Tag
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from orders.models import Order, OrderLine

ROOT = Path(__file__).resolve().parents[2]


def line_of(path: Path, marker: str) -> int:
    """The 1-based line of `path` that ends with the comment `# <marker>` (or `{# <marker> #}`)."""
    matches = [
        number
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if text.rstrip().endswith((f"# {marker}", f"{{# {marker} #}}"))
    ]
    assert len(matches) == 1, f"marker {marker!r} found {len(matches)} times in {path}"
    return matches[0]


@dataclass(frozen=True)
class Catalogue:
    books: list[Book]
    authors: list[Author]
    users: list[User]


def build_catalogue(size: int = 3) -> Catalogue:
    publisher = Publisher.objects.create(name="Press", country="NL")
    tags = Tag.objects.bulk_create([Tag(name=f"tag{index}") for index in range(size)])
    authors = Author.objects.bulk_create([Author(name=f"author{index}") for index in range(size)])
    AuthorBio.objects.bulk_create([AuthorBio(author=author, text=f"bio of {author.name}") for author in authors])
    books = Book.objects.bulk_create(
        [
            Book(title=f"book{index}", isbn=f"{index:013d}", price=Decimal("9.50"), author=author, publisher=publisher)
            for index, author in enumerate(authors)
        ]
    )
    Book.tags.through.objects.bulk_create(
        [Book.tags.through(book_id=book.pk, tag_id=tag.pk) for book, tag in zip(books, tags, strict=True)]
    )
    users = User.objects.bulk_create([User(username=f"user{index}") for index in range(size)])
    Profile.objects.bulk_create([Profile(user=user, display_name=user.username) for user in users])
    Review.objects.bulk_create(
        [Review(book=book, reviewer=user, rating=4) for book, user in zip(books, users, strict=True)]
    )
    book_type = ContentType.objects.get_for_model(Book)
    Comment.objects.bulk_create([Comment(content_type=book_type, object_id=book.pk, body="nice") for book in books])
    orders = Order.objects.bulk_create([Order(customer=user) for user in users])
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, book=book, unit_price=book.price) for order, book in zip(orders, books, strict=True)]
    )
    return Catalogue(books=books, authors=authors, users=users)


@pytest.fixture
def catalogue(db: None) -> Catalogue:
    return build_catalogue()
