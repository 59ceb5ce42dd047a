"""`manage.py seed_demo --books N`: replace the shop's data with a deterministic, realistic demo catalogue.

Running it twice gives the same data: it deletes what an earlier run created (every row of the shop's models and
the demo customers) and inserts everything again with bulk queries, from a fixed random seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Profile
from catalog.models import Author, AuthorBio, Book, Category, Comment, Publisher, Review, Tag
from orders.models import Order, OrderLine, Shipment

DEMO_USERNAME_PREFIX = "demo_"
RANDOM_SEED = 20240611

FIRST_NAMES = [
    "Ada",
    "Chinua",
    "Dorothy",
    "Elena",
    "Gabriel",
    "Haruki",
    "Ingrid",
    "Jorge",
    "Kazuo",
    "Leila",
    "Margaret",
    "Naguib",
    "Octavia",
    "Pablo",
    "Rosalind",
    "Salman",
    "Toni",
    "Ursula",
    "Virginia",
    "Wole",
]
LAST_NAMES = [
    "Achebe",
    "Atwood",
    "Borges",
    "Butler",
    "Calvino",
    "Eco",
    "Ferrante",
    "Ishiguro",
    "Le Guin",
    "Lessing",
    "Mahfouz",
    "Morrison",
    "Murakami",
    "Neruda",
    "Okri",
    "Rushdie",
    "Sayers",
    "Soyinka",
    "Woolf",
    "Zola",
]
PUBLISHERS = [
    ("Penguin Random House", "United States"),
    ("Faber & Faber", "United Kingdom"),
    ("Gallimard", "France"),
    ("Suhrkamp", "Germany"),
    ("Anagrama", "Spain"),
    ("Shinchosha", "Japan"),
    ("Heinemann", "United Kingdom"),
    ("Einaudi", "Italy"),
]
CATEGORIES = {
    "Fiction": ["Crime", "Science fiction", "Historical fiction", "Romance"],
    "Non-fiction": ["History", "Science", "Biography", "Travel"],
    "Children": ["Picture books", "Young adult"],
}
TAGS = [
    "award-winner",
    "bestseller",
    "classic",
    "debut",
    "illustrated",
    "new-release",
    "signed",
    "staff-pick",
    "translated",
    "book-club",
]
TITLE_ADJECTIVES = [
    "Silent",
    "Broken",
    "Golden",
    "Hidden",
    "Last",
    "Midnight",
    "Northern",
    "Paper",
    "Quiet",
    "Scarlet",
    "Secret",
    "Winter",
    "Wandering",
    "Distant",
    "Burning",
]
TITLE_NOUNS = [
    "Garden",
    "River",
    "Archive",
    "Harbour",
    "Lantern",
    "Orchard",
    "Season",
    "Cartographer",
    "Tide",
    "Library",
    "Station",
    "Island",
    "Letters",
    "Mountain",
    "Daughter",
]
CARRIERS = ["DHL", "UPS", "Royal Mail", "La Poste", "FedEx"]
CITIES = ["Lagos", "Lisbon", "Kyoto", "Montreal", "Nairobi", "Oslo", "Porto", "Valparaiso", "Vienna", "Wellington"]
REVIEW_BODIES = [
    "Could not put it down.",
    "Slow start, wonderful ending.",
    "Beautifully written.",
    "Not for me, but I see the appeal.",
    "The best book I read this year.",
    "Overlong and uneven.",
]
COMMENT_BODIES = [
    "Is there a hardback edition?",
    "Signed copies at the launch event!",
    "Great gift idea.",
    "When is the sequel out?",
    "Our book club loved this.",
]


@dataclass(frozen=True)
class SeedSizes:
    """How many rows of each kind one run inserts, derived from the number of books asked for."""

    books: int

    @property
    def authors(self) -> int:
        return max(1, self.books // 3)

    @property
    def customers(self) -> int:
        return max(1, self.books // 2)

    @property
    def orders(self) -> int:
        return max(1, self.books // 2)


class Command(BaseCommand):
    help = "Delete the shop's data and load a deterministic demo catalogue with customers, reviews and orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--books", type=int, default=50, help="number of books to create (default 50)")

    def handle(self, *args: Any, **options: Any) -> None:
        books = options["books"]
        if books < 1:
            raise CommandError(f"--books must be at least 1, not {books}.")
        sizes = SeedSizes(books=books)
        with transaction.atomic():
            self._clear()
            counts = self._seed(sizes, random.Random(RANDOM_SEED))
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded {summary}."))

    def _clear(self) -> None:
        # Children before parents: Book.publisher and OrderLine.book are PROTECT.
        for model in (OrderLine, Shipment, Order, Review, Comment, Book, AuthorBio, Author, Publisher, Tag):
            model.objects.all().delete()
        Category.objects.all().delete()
        # Profiles go with their users (CASCADE); customers who are not demo customers keep theirs.
        get_user_model().objects.filter(username__startswith=DEMO_USERNAME_PREFIX).delete()

    def _seed(self, sizes: SeedSizes, rng: random.Random) -> dict[str, int]:
        user_model = get_user_model()
        customers = []
        for number in range(1, sizes.customers + 1):
            customer = user_model(username=f"{DEMO_USERNAME_PREFIX}{number:03d}", email=f"reader{number}@example.com")
            customer.set_unusable_password()
            customers.append(customer)
        customers = user_model.objects.bulk_create(customers)
        Profile.objects.bulk_create(
            Profile(user=customer, display_name=f"{rng.choice(FIRST_NAMES)} {number}", city=rng.choice(CITIES))
            for number, customer in enumerate(customers, start=1)
        )

        publishers = Publisher.objects.bulk_create(
            Publisher(name=name, country=country) for name, country in PUBLISHERS
        )
        parents = Category.objects.bulk_create(Category(name=name) for name in CATEGORIES)
        children = Category.objects.bulk_create(
            Category(name=child, parent=parent) for parent in parents for child in CATEGORIES[parent.name]
        )
        tags = Tag.objects.bulk_create(Tag(name=name) for name in TAGS)

        authors = Author.objects.bulk_create(
            Author(
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                birth_year=rng.randint(1890, 1995) if rng.random() < 0.9 else None,
            )
            for _ in range(sizes.authors)
        )
        AuthorBio.objects.bulk_create(
            AuthorBio(author=author, text=f"{author.name} has written for {rng.randint(2, 40)} years.")
            for author in authors
            if rng.random() < 0.7
        )

        first_day = date(1950, 1, 1)
        books = Book.objects.bulk_create(
            Book(
                title=f"The {rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_NOUNS)} {number}",
                isbn=f"978{number:010d}",
                price=Decimal(rng.randint(599, 4999)) / 100,
                summary=f"A story of {rng.choice(TITLE_NOUNS).lower()}s and {rng.choice(TITLE_NOUNS).lower()}s. "
                "Told in three parts.",
                published_on=first_day + timedelta(days=rng.randint(0, 27000)) if rng.random() < 0.85 else None,
                author=rng.choice(authors),
                publisher=rng.choice(publishers),
                category=rng.choice(children),
            )
            for number in range(1, sizes.books + 1)
        )
        book_tags = Book.tags.through
        book_tags.objects.bulk_create(
            book_tags(book_id=book.pk, tag_id=tag.pk) for book in books for tag in rng.sample(tags, rng.randint(0, 3))
        )

        reviews = Review.objects.bulk_create(
            Review(book=book, reviewer=reviewer, rating=rng.randint(1, 5), body=rng.choice(REVIEW_BODIES))
            for book in books
            for reviewer in rng.sample(customers, min(len(customers), rng.randint(0, 4)))
        )
        book_type = ContentType.objects.get_for_model(Book)
        author_type = ContentType.objects.get_for_model(Author)
        comments = Comment.objects.bulk_create(
            [Comment(content_type=book_type, object_id=book.pk, body=rng.choice(COMMENT_BODIES)) for book in books[::3]]
            + [
                Comment(content_type=author_type, object_id=author.pk, body=rng.choice(COMMENT_BODIES))
                for author in authors[::2]
            ]
        )

        orders = Order.objects.bulk_create(
            Order(customer=rng.choice(customers), status=rng.choice(Order.Status.values)) for _ in range(sizes.orders)
        )
        lines = []
        for order in orders:
            total = Decimal(0)
            for book in rng.sample(books, min(len(books), rng.randint(1, 4))):
                quantity = rng.randint(1, 3)
                lines.append(OrderLine(order=order, book=book, quantity=quantity, unit_price=book.price))
                total += book.price * quantity
            order.total = total
        OrderLine.objects.bulk_create(lines)
        Order.objects.bulk_update(orders, ["total"])
        shipments = Shipment.objects.bulk_create(
            Shipment(order=order, carrier=rng.choice(CARRIERS), tracking_code=f"TRK{order.pk:08d}")
            for order in orders
            if order.status == Order.Status.SHIPPED
        )
        return {
            "books": len(books),
            "authors": len(authors),
            "publishers": len(publishers),
            "categories": len(parents) + len(children),
            "tags": len(tags),
            "customers": len(customers),
            "reviews": len(reviews),
            "comments": len(comments),
            "orders": len(orders),
            "order lines": len(lines),
            "shipments": len(shipments),
        }
