"""DRF serializers whose fields read relations, for the runtime detector's serializer tests."""

from __future__ import annotations

from catalog.models import Book
from rest_framework import serializers


class BookSerializer(serializers.ModelSerializer[Book]):
    author_name = serializers.CharField(source="author.name")  # field: author-name
    publisher_name = serializers.SerializerMethodField()

    class Meta:
        model = Book
        fields = ["title", "author_name", "publisher_name"]

    def get_publisher_name(self, book: Book) -> str:
        return book.publisher.name  # field: publisher-name
