"""ORM111 through project base viewsets: an inherited ``get_queryset()`` whose helper calls
``super().get_queryset()``, run once per concrete viewset, and one that prefetches lookups computed at run time under
a condition; each case beside its quiet twin."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_tree
from tests.analyzer.test_drf import MODELS

SERIALIZERS = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name")

    class Meta:
        model = Book
        fields = ["title", "author_name"]
"""

BASE = """
from rest_framework import viewsets


class VisibleViewSet(viewsets.ReadOnlyModelViewSet):
    def base_queryset(self):
        # super() in a helper method: DRF's own get_queryset(), past the project's classes.
        return super().get_queryset()

    def get_queryset(self):
        queryset = self.base_queryset()
        if self.request.user.is_staff:
            return queryset
        return queryset.filter(title__startswith="A")
"""

VIEWS = """
from api.base import VisibleViewSet
from api.models import Book
from api.serializers import BookSerializer


class BookViewSet(VisibleViewSet):
    queryset = {queryset}
    serializer_class = BookSerializer
"""


COMPUTED_BASE = """
from rest_framework import viewsets

from api.prefetching import lookups_for


class VisibleViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        queryset = super().get_queryset()
        # The eager loads are computed from the serializer's fields at run time.
        if lookups := lookups_for(self.get_serializer_class()):
            queryset = queryset.prefetch_related(*lookups)
        return queryset
"""

PREFETCHING = """
def lookups_for(serializer_class):
    return [name for name in serializer_class.Meta.fields if "_" in name]
"""


def run(tmp_path: Path, queryset: str, base: str = BASE) -> list[Finding]:
    files = {
        "api/models.py": MODELS,
        "api/serializers.py": SERIALIZERS,
        "api/prefetching.py": PREFETCHING,
        "api/base.py": base,
        "api/views.py": VIEWS.replace("{queryset}", queryset),
    }
    return list(analyze_tree(tmp_path, files, select=("ORM111",)).findings)


def test_inherited_get_queryset_keeps_the_subclass_queryset(tmp_path: Path) -> None:
    findings = run(tmp_path, "Book.objects.all()")

    assert [(finding.path, finding.line) for finding in findings] == [("api/serializers.py", 7)]
    assert findings[0].message == (
        "BookSerializer.author_name: book.author is loaded once per row of Book.objects.all() listed by "
        'api.views.BookViewSet; add .select_related("author") to the queryset at api/views.py:7'
    )
    assert findings[0].fix is not None and (findings[0].fix.path, findings[0].fix.line) == ("api/views.py", 7)


def test_inherited_get_queryset_over_select_related_queryset_is_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, 'Book.objects.select_related("author")') == []


def test_base_viewset_with_computed_prefetch_under_a_condition_is_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, "Book.objects.all()", COMPUTED_BASE) == []


def test_base_viewset_with_literal_prefetch_under_a_condition_still_reports(tmp_path: Path) -> None:
    literal = COMPUTED_BASE.replace("queryset.prefetch_related(*lookups)", 'queryset.prefetch_related("tags")')
    findings = run(tmp_path, "Book.objects.all()", literal)
    assert [(finding.path, finding.line) for finding in findings] == [("api/serializers.py", 7)]
    assert findings[0].message == (
        "BookSerializer.author_name: book.author is loaded once per row of Book.objects.all() listed by "
        'api.views.BookViewSet; add .select_related("author") to the queryset at api/views.py:7'
    )
