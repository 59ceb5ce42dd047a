"""ORM114 graphql-related-access: graphene-django list fields followed into their types' fields, beside quiet twins."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_tree

MODELS = """
from django.db import models


class Publisher(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    text = models.TextField()

    def __str__(self):
        return self.text
"""

SCHEMA = """
import graphene
from graphene_django import DjangoListField, DjangoObjectType

from shop.models import Author, Book, Review


class AuthorType(DjangoObjectType):
    class Meta:
        model = Author
        fields = "__all__"


class ReviewType(DjangoObjectType):
    class Meta:
        model = Review
        fields = ("id", "text")


class BookType(DjangoObjectType):
    class Meta:
        model = Book
        fields = ("id", "title", "author", "publisher", "reviews")

    byline = graphene.String()

    def resolve_byline(self, info):
        return f"{self.title} by {self.author.name}"


class Query(graphene.ObjectType):
    books = graphene.List(graphene.NonNull(BookType))
    all_books = DjangoListField(BookType)
    book = graphene.Field(BookType, id=graphene.Int())

    def resolve_books(root, info):
        return Book.objects.filter(title__isnull=False)

    def resolve_book(root, info, id):
        return Book.objects.get(pk=id)
"""


def run(tmp_path: Path, schema: str) -> list[Finding]:
    files = {"shop/models.py": MODELS, "shop/schema.py": schema}
    return list(analyze_tree(tmp_path, files, select=("ORM114",)).findings)


def test_list_fields_report_resolvers_and_exposed_relations_per_row(tmp_path: Path) -> None:
    findings = run(tmp_path, SCHEMA)
    # resolve_byline's self.author (line 27) needs the same fix as the exposed author field: one finding each per
    # list, with the resolver's read among its related locations.
    assert [[(item.line, item.message.split(":")[0]) for item in finding.related[1:]] for finding in findings] == [
        [(27, "the same problem here")],
        [(27, "the same problem here")],
        [],
        [],
    ]
    assert [(finding.line, finding.column, finding.message) for finding in findings] == [
        (
            22,
            18,
            "BookType.author: book.author is loaded once per row of Book.objects.filter(...) listed by "
            'shop.schema.Query.books; add .select_related("author") to the queryset at shop/schema.py:36',
        ),
        (
            22,
            18,
            "BookType.author: book.author is loaded once per row of DjangoListField(...) listed by "
            'shop.schema.Query.all_books; add .select_related("author") to the queryset at shop/schema.py:32',
        ),
        (
            22,
            18,
            "BookType.reviews: book.reviews runs a query once per row of Book.objects.filter(...) listed by "
            'shop.schema.Query.books; add .prefetch_related("reviews") to the queryset at shop/schema.py:36',
        ),
        (
            22,
            18,
            "BookType.reviews: book.reviews runs a query once per row of DjangoListField(...) listed by "
            'shop.schema.Query.all_books; add .prefetch_related("reviews") to the queryset at shop/schema.py:32',
        ),
    ]


def test_list_fields_on_querysets_that_load_the_relations_are_quiet(tmp_path: Path) -> None:
    # publisher has no type of its own (graphene-django does not expose it), and a single book is not a list.
    schema = SCHEMA.replace(
        "Book.objects.filter(title__isnull=False)", 'Book.objects.select_related("author").prefetch_related("reviews")'
    ).replace("    all_books = DjangoListField(BookType)\n", "")
    assert run(tmp_path, schema) == []
