"""Serializers of the JSON API.

Each viewset has its own serializer, so that a serializer field can be paired with the one queryset it reads
from: BookSerializer and BookTagsSerializer are served from plain querysets and load a relation per book
(the field's line carries the site marker); their twins are served from querysets that select or prefetch that
relation (the twin marker).
"""

from __future__ import annotations

from rest_framework import serializers

from catalog.models import Book, Tag

BOOK_FIELDS = ["id", "title", "isbn", "price", "published_on"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name", read_only=True)  # site: S18

    class Meta:
        model = Book
        fields = [*BOOK_FIELDS, "author_name"]


class BookSelectRelatedSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name", read_only=True)  # twin: S18

    class Meta:
        model = Book
        fields = [*BOOK_FIELDS, "author_name"]


class BookTagsSerializer(serializers.ModelSerializer):
    tags = TagSerializer(many=True, read_only=True)  # site: S19

    class Meta:
        model = Book
        fields = [*BOOK_FIELDS, "tags"]


class BookTagsPrefetchedSerializer(serializers.ModelSerializer):
    tags = TagSerializer(many=True, read_only=True)  # twin: S19

    class Meta:
        model = Book
        fields = [*BOOK_FIELDS, "tags"]
