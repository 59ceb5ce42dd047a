"""Read-only viewsets of the JSON API; each pairs one queryset with one serializer."""

from __future__ import annotations

from rest_framework import viewsets

from catalog.api.serializers import (
    BookSelectRelatedSerializer,
    BookSerializer,
    BookTagsPrefetchedSerializer,
    BookTagsSerializer,
)
from catalog.models import Book


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    """Books with their author's name, from a queryset that does not join the authors."""

    queryset = Book.objects.all()
    serializer_class = BookSerializer


class BookSelectRelatedViewSet(viewsets.ReadOnlyModelViewSet):
    """Books with their author's name, authors joined in."""

    queryset = Book.objects.select_related("author")
    serializer_class = BookSelectRelatedSerializer


class BookTagsViewSet(viewsets.ReadOnlyModelViewSet):
    """Books with their tags, from a queryset that does not prefetch the tags."""

    queryset = Book.objects.all()
    serializer_class = BookTagsSerializer


class BookTagsPrefetchedViewSet(viewsets.ReadOnlyModelViewSet):
    """Books with their tags, all tags prefetched in one extra query."""

    queryset = Book.objects.prefetch_related("tags")
    serializer_class = BookTagsPrefetchedSerializer
