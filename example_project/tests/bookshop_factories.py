"""Factories for the bookshop's models, used by the tests to create exactly the rows a scenario needs.

Every row gets its own related rows (its own author, publisher, reviewer, ...), so that a per-row lazy load is a
separate query for every row and query counts grow by a known amount. Rows are inserted with bulk_create, so that
making n rows costs the same few queries for any n and the runtime detector, run over these tests, reports only the
example project's deliberate sites. Names come from one counter, so the factories can be called any number of
times in one test without breaking unique constraints.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from accounts.models import Profile
from catalog.models import Author, AuthorBio, Book, Category, Comment, Publisher, Review, Tag
from orders.models import Order, OrderLine, Shipment

_numbers = itertools.count(1)


def _next_numbers(count: int) -> list[int]:
    return [next(_numbers) for _ in range(count)]


def make_users(count: int, *, with_profiles: bool = False) -> list[AbstractUser]:
    user_model = get_user_model()
    users = []
    for number in _next_numbers(count):
        user = user_model(username=f"reader{number:05d}", email=f"reader{number}@example.com")
        user.set_unusable_password()
        users.append(user)
    users = user_model.objects.bulk_create(users)
    if with_profiles:
        Profile.objects.bulk_create(
            Profile(user=user, display_name=f"Reader of {user.username}", city=f"City of {user.username}")
            for user in users
        )
    return users


def make_user() -> AbstractUser:
    return make_users(1)[0]


def make_authors(count: int, *, with_bios: bool = False) -> list[Author]:
    authors = Author.objects.bulk_create(
        Author(name=f"Author {number:05d}", birth_year=1900 + number % 100) for number in _next_numbers(count)
    )
    if with_bios:
        AuthorBio.objects.bulk_create(
            AuthorBio(author=author, text=f"{author.name} was born in {author.birth_year}.") for author in authors
        )
    return authors


def make_author() -> Author:
    return make_authors(1)[0]


def make_publishers(count: int) -> list[Publisher]:
    return Publisher.objects.bulk_create(
        Publisher(name=f"Publisher {number:05d}", country="Portugal") for number in _next_numbers(count)
    )


def make_books(
    count: int,
    *,
    author: Author | None = None,
    authors: Sequence[Author] | None = None,
    publisher: Publisher | None = None,
    tags_per_book: int = 0,
    price: Decimal = Decimal("12.50"),
) -> list[Book]:
    """`count` books in title order, each with its own author, publisher and category unless they are given
    (`author` for all the books, or `authors`, one per book)."""
    if authors is None:
        authors = [author] * count if author else make_authors(count)
    publishers = [publisher] * count if publisher else make_publishers(count)
    numbers = _next_numbers(count)
    categories = Category.objects.bulk_create(Category(name=f"Category {number:05d}") for number in numbers)
    books = Book.objects.bulk_create(
        Book(
            title=f"Book {number:05d}",
            isbn=f"978{number:010d}",
            price=price,
            summary=f"The story of book {number}. It has a second sentence.",
            published_on=date(2020, 1, 1),
            author=book_author,
            publisher=book_publisher,
            category=category,
        )
        for number, book_author, book_publisher, category in zip(numbers, authors, publishers, categories, strict=True)
    )
    if tags_per_book:
        tags = Tag.objects.bulk_create(Tag(name=f"tag-{number:05d}") for number in _next_numbers(count * tags_per_book))
        Book.tags.through.objects.bulk_create(
            Book.tags.through(book_id=book.pk, tag_id=tag.pk)
            for index, book in enumerate(books)
            for tag in tags[index * tags_per_book : (index + 1) * tags_per_book]
        )
    return books


def make_book(
    *,
    author: Author | None = None,
    publisher: Publisher | None = None,
    tags_per_book: int = 0,
    price: Decimal = Decimal("12.50"),
) -> Book:
    return make_books(1, author=author, publisher=publisher, tags_per_book=tags_per_book, price=price)[0]


def make_reviews(books: Sequence[Book], *, ratings: Sequence[int] = (5,)) -> list[Review]:
    """One review of each of `books` per rating in `ratings` (a book may be listed more than once), each by its own
    reviewer."""
    pairs = [(book, rating) for rating in ratings for book in books]
    reviewers = make_users(len(pairs))
    return Review.objects.bulk_create(
        Review(book=book, reviewer=reviewer, rating=rating, body=f"Review by {reviewer.username}")
        for (book, rating), reviewer in zip(pairs, reviewers, strict=True)
    )


def make_comments(targets: Sequence[Model]) -> list[Comment]:
    return Comment.objects.bulk_create(
        Comment(
            content_type=ContentType.objects.get_for_model(target),
            object_id=target.pk,
            body=f"Comment {number:05d}",
        )
        for number, target in zip(_next_numbers(len(targets)), targets, strict=True)
    )


def make_orders(count: int, *, customer: AbstractUser | None = None, shipped: bool = False) -> list[Order]:
    customers = [customer] * count if customer else make_users(count)
    orders = Order.objects.bulk_create(
        Order(
            customer=order_customer,
            status=Order.Status.SHIPPED if shipped else Order.Status.OPEN,
            total=Decimal("0.00"),
        )
        for order_customer in customers
    )
    if shipped:
        Shipment.objects.bulk_create(
            Shipment(order=order, carrier="Royal Mail", tracking_code=f"TRK{order.pk:08d}") for order in orders
        )
    return orders


def make_order(*, customer: AbstractUser | None = None, shipped: bool = False) -> Order:
    return make_orders(1, customer=customer, shipped=shipped)[0]


def make_order_lines(order: Order, count: int) -> list[OrderLine]:
    """`count` lines on `order`, each for its own book."""
    return OrderLine.objects.bulk_create(
        OrderLine(order=order, book=book, quantity=1, unit_price=book.price) for book in make_books(count)
    )
