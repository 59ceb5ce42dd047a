"""Read-side queries for the catalogue: querysets for the pages and the API, and small reports built from them.

Several reports come in pairs. The first of a pair loads related rows once per book, author or review (the line
carries a site marker comment); the second does the same work with the right select_related, prefetch_related,
annotate or bulk lookup (a twin marker comment). example_project/README.md lists every pair.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.db.models import Count, Prefetch, QuerySet

from catalog.models import Author, Book, Comment, Review

GOOD_RATING = 4


def book_catalogue(*, category_id: int | None = None, query: str = "") -> QuerySet[Book]:
    """Books for the public list pages, optionally narrowed to one category and to titles containing `query`."""
    books = Book.objects.all()
    if category_id is not None:
        books = books.filter(category_id=category_id)
    if query:
        books = books.filter(title__icontains=query)
    return books


def book_catalogue_select_related(*, category_id: int | None = None, query: str = "") -> QuerySet[Book]:
    """The same books as book_catalogue, with each book's author joined in."""
    return book_catalogue(category_id=category_id, query=query).select_related("author")


def book_detail_queryset() -> QuerySet[Book]:
    """Everything the book page shows, loaded in four queries whatever the number of tags and reviews."""
    return Book.objects.select_related("author", "publisher", "category").prefetch_related(
        "tags", Prefetch("reviews", queryset=Review.objects.select_related("reviewer"))
    )


def authors_with_book_counts() -> QuerySet[Author]:
    """Authors for the author list page, each with `book_count`, by name."""
    # Meta.ordering is not applied to GROUP BY queries, and the list is paginated, so the order is spelled out.
    return Author.objects.annotate(book_count=Count("books")).order_by("name")


def books_in_print() -> QuerySet[Book]:
    """Books that have a publication date, for the catalogue export."""
    return Book.objects.filter(published_on__isnull=False)


def books_in_print_with_publisher() -> QuerySet[Book]:
    """The books of books_in_print with their publisher joined in."""
    return Book.objects.filter(published_on__isnull=False).select_related("publisher")


def book_rows() -> list[tuple[str, str]]:
    """(title, author name) for every book."""
    rows: list[tuple[str, str]] = []
    for book in Book.objects.all():
        rows.append((book.title, book.author.name))  # site: S01
    return rows


def book_rows_select_related() -> list[tuple[str, str]]:
    """(title, author name) for every book, authors joined in."""
    rows: list[tuple[str, str]] = []
    for book in Book.objects.select_related("author"):
        rows.append((book.title, book.author.name))  # twin: S01
    return rows


def author_bio_excerpts() -> dict[str, str]:
    """The first 80 characters of each author's biography, by author name."""
    excerpts: dict[str, str] = {}
    for author in Author.objects.filter(bio__isnull=False):
        excerpts[author.name] = author.bio.text[:80]  # site: S05
    return excerpts


def author_bio_excerpts_select_related() -> dict[str, str]:
    """The first 80 characters of each author's biography, with the biographies joined in."""
    excerpts: dict[str, str] = {}
    for author in Author.objects.filter(bio__isnull=False).select_related("bio"):
        excerpts[author.name] = author.bio.text[:80]  # twin: S05
    return excerpts


def author_bibliographies() -> dict[str, list[str]]:
    """The titles of each author's books, by author name."""
    bibliographies: dict[str, list[str]] = {}
    for author in Author.objects.all():
        bibliographies[author.name] = [book.title for book in author.books.all()]  # site: S06
    return bibliographies


def author_bibliographies_prefetched() -> dict[str, list[str]]:
    """The titles of each author's books, with all books fetched in one extra query."""
    bibliographies: dict[str, list[str]] = {}
    for author in Author.objects.prefetch_related("books"):
        bibliographies[author.name] = [book.title for book in author.books.all()]  # twin: S06
    return bibliographies


def book_tag_index() -> dict[str, list[str]]:
    """The tag names of each book, by ISBN."""
    index: dict[str, list[str]] = {}
    for book in Book.objects.all():
        index[book.isbn] = [tag.name for tag in book.tags.all()]  # site: S07
    return index


def book_tag_index_prefetched() -> dict[str, list[str]]:
    """The tag names of each book, with all tags fetched in one extra query."""
    index: dict[str, list[str]] = {}
    for book in Book.objects.prefetch_related("tags"):
        index[book.isbn] = [tag.name for tag in book.tags.all()]  # twin: S07
    return index


def review_feed() -> list[str]:
    """One line per review: the book's title, its author and the rating."""
    lines: list[str] = []
    for review in Review.objects.select_related("book"):
        lines.append(f"{review.book.title} ({review.book.author.name}): {review.rating}/5")  # site: S08
    return lines


def review_feed_select_related() -> list[str]:
    """One line per review, with the book and the book's author joined in."""
    lines: list[str] = []
    for review in Review.objects.select_related("book__author"):
        lines.append(f"{review.book.title} ({review.book.author.name}): {review.rating}/5")  # twin: S08
    return lines


def books_with_praise() -> dict[str, list[str]]:
    """The bodies of each book's good reviews (rating 4 or 5), by ISBN."""
    praise: dict[str, list[str]] = {}
    for book in Book.objects.prefetch_related("reviews"):
        praise[book.isbn] = [review.body for review in book.reviews.filter(rating__gte=GOOD_RATING)]  # site: S09
    return praise


def books_with_praise_prefetched() -> dict[str, list[str]]:
    """The bodies of each book's good reviews, with only the good reviews prefetched into `good_reviews`."""
    good_reviews = Prefetch("reviews", queryset=Review.objects.filter(rating__gte=GOOD_RATING), to_attr="good_reviews")
    praise: dict[str, list[str]] = {}
    for book in Book.objects.prefetch_related(good_reviews):
        praise[book.isbn] = [review.body for review in book.good_reviews]  # twin: S09
    return praise


def book_blurbs() -> list[str]:
    """Title and the first sentence of the summary of every book."""
    blurbs: list[str] = []
    for book in Book.objects.only("title"):
        blurbs.append(f"{book.title}: {book.summary.split('.')[0]}")  # site: S10
    return blurbs


def book_blurbs_only_needed_fields() -> list[str]:
    """Title and the first sentence of the summary of every book, loading both columns up front."""
    blurbs: list[str] = []
    for book in Book.objects.only("title", "summary"):
        blurbs.append(f"{book.title}: {book.summary.split('.')[0]}")  # twin: S10
    return blurbs


def recent_comment_targets() -> list[tuple[str, str]]:
    """(comment body, what it is about) for every comment, newest first."""
    targets: list[tuple[str, str]] = []
    for comment in Comment.objects.all():
        targets.append((comment.body, str(comment.content_object)))  # site: S11
    return targets


def recent_comment_targets_prefetched() -> list[tuple[str, str]]:
    """(comment body, what it is about) for every comment, with one query per commented model."""
    targets: list[tuple[str, str]] = []
    for comment in Comment.objects.prefetch_related("content_object"):
        targets.append((comment.body, str(comment.content_object)))  # twin: S11
    return targets


def book_comment_bodies() -> dict[str, list[str]]:
    """The comments left on each book, by ISBN."""
    bodies: dict[str, list[str]] = {}
    for book in Book.objects.all():
        bodies[book.isbn] = [comment.body for comment in book.comments.all()]  # site: S26
    return bodies


def book_comment_bodies_prefetched() -> dict[str, list[str]]:
    """The comments left on each book, with all of them fetched in one extra query."""
    bodies: dict[str, list[str]] = {}
    for book in Book.objects.prefetch_related("comments"):
        bodies[book.isbn] = [comment.body for comment in book.comments.all()]  # twin: S26
    return bodies


def book_bylines() -> list[str]:
    """Every published book as "Title by Author", through Book.byline."""
    bylines: list[str] = []
    for book in Book.objects.filter(published_on__isnull=False):
        bylines.append(book.byline)  # site: S12
    return bylines


def book_bylines_select_related() -> list[str]:
    """Every published book as "Title by Author", with the authors Book.byline reads joined in."""
    bylines: list[str] = []
    for book in Book.objects.filter(published_on__isnull=False).select_related("author"):
        bylines.append(book.byline)  # twin: S12
    return bylines


def review_labels() -> list[str]:
    """The label of every review ("reviewer on title"), through Review.__str__."""
    labels: list[str] = []
    for review in Review.objects.all():
        labels.append(str(review))  # site: S13
    return labels


def review_labels_select_related() -> list[str]:
    """The label of every review, with the reviewer and the book Review.__str__ reads joined in."""
    labels: list[str] = []
    for review in Review.objects.select_related("reviewer", "book"):
        labels.append(str(review))  # twin: S13
    return labels


def quote_prices(isbns: Iterable[str]) -> dict[str, Decimal]:
    """The price of each listed ISBN that is in the catalogue."""
    prices: dict[str, Decimal] = {}
    for isbn in isbns:
        try:
            prices[isbn] = Book.objects.get(isbn=isbn).price  # site: S21
        except Book.DoesNotExist:
            # An ISBN the shop does not stock is not an error for a quote: it is left out of it.
            continue
    return prices


def quote_prices_in_bulk(isbns: Iterable[str]) -> dict[str, Decimal]:
    """The price of each listed ISBN that is in the catalogue, looked up in one query."""
    wanted = list(isbns)
    books_by_isbn = Book.objects.in_bulk(wanted, field_name="isbn")
    return {isbn: books_by_isbn[isbn].price for isbn in wanted if isbn in books_by_isbn}  # twin: S21


def author_book_counts() -> dict[str, int]:
    """How many books each author has, by author name."""
    counts: dict[str, int] = {}
    for author in Author.objects.all():
        counts[author.name] = author.books.count()  # site: S22
    return counts


def author_book_counts_annotated() -> dict[str, int]:
    """How many books each author has, counted by the database in the same query."""
    counts: dict[str, int] = {}
    for author in Author.objects.annotate(book_count=Count("books")):
        counts[author.name] = author.book_count  # twin: S22
    return counts


# Django 6.1's fetch modes (example_project/README.md, "Fetch-mode sites"): FETCH_PEERS loads a relation for every
# book of the queryset at its first read, so a loop over forward relations costs two queries at any size; it does
# not batch related managers.


def book_publishers_fetch_peers() -> dict[str, str]:
    """Each book's publisher name, by ISBN: FETCH_PEERS loads all the publishers in one query, at the first read."""
    books = Book.objects.fetch_mode(models.FETCH_PEERS)
    return {book.isbn: book.publisher.name for book in books}  # quiet: F01


def book_tag_index_fetch_peers() -> dict[str, list[str]]:
    """The tag names of each book, by ISBN, under FETCH_PEERS, which leaves each book's tags a query of its own."""
    index: dict[str, list[str]] = {}
    for book in Book.objects.fetch_mode(models.FETCH_PEERS):
        index[book.isbn] = [tag.name for tag in book.tags.all()]  # site: F02
    return index


def book_tag_index_fetch_peers_prefetched() -> dict[str, list[str]]:
    """The tag names of each book, by ISBN, under FETCH_PEERS, with all tags fetched in one extra query."""
    index: dict[str, list[str]] = {}
    for book in Book.objects.fetch_mode(models.FETCH_PEERS).prefetch_related("tags"):
        index[book.isbn] = [tag.name for tag in book.tags.all()]  # twin: F02
    return index
