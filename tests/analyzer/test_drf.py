"""ORM111 serializer-related-access: list views' querysets followed into DRF serializers, beside quiet twins."""

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
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="authors")

    def __str__(self):
        return f"{self.name} ({self.publisher.name})"


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books")

    def __str__(self):
        return self.title
"""

VIEWS = """
from rest_framework import generics, viewsets

from api.serializers import BookSerializer
from api.models import Book


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = {queryset}
    serializer_class = BookSerializer


class BookDetail(generics.RetrieveAPIView):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
"""


def run(tmp_path: Path, serializers: str, queryset: str = "Book.objects.all()") -> list[Finding]:
    files = {
        "api/models.py": MODELS,
        "api/serializers.py": serializers,
        "api/views.py": VIEWS.replace("{queryset}", queryset),
    }
    return list(analyze_tree(tmp_path, files, select=("ORM111",)).findings)


def located(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(finding.code, finding.path, finding.line) for finding in findings]


SOURCE = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name")
    publisher = serializers.CharField(source="author.publisher.name")

    class Meta:
        model = Book
        fields = ["id", "title", "author_name", "publisher"]
"""


def test_source_chains_are_read_per_row_and_fixed_at_the_viewset_queryset(tmp_path: Path) -> None:
    findings = run(tmp_path, SOURCE)

    assert located(findings) == [("ORM111", "api/serializers.py", 7), ("ORM111", "api/serializers.py", 8)]
    assert findings[0].message == (
        "BookSerializer.author_name: book.author is loaded once per row of Book.objects.all() listed by "
        'api.views.BookViewSet; add .select_related("author") to the queryset at api/views.py:8'
    )
    assert findings[1].message.startswith("BookSerializer.publisher: book.author.publisher is loaded")
    assert findings[1].fix is not None
    assert (findings[1].fix.message, findings[1].fix.path, findings[1].fix.line) == (
        'add .select_related("author__publisher")',
        "api/views.py",
        8,
    )


def test_source_chains_over_select_related_are_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, SOURCE, 'Book.objects.select_related("author__publisher")') == []


NESTED = """
from rest_framework import serializers

from api.models import Author, Book, Tag


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class AuthorSerializer(serializers.ModelSerializer):
    publisher_name = serializers.ReadOnlyField(source="publisher.name")

    class Meta:
        model = Author
        fields = ["id", "name", "publisher_name"]


class BookSerializer(serializers.ModelSerializer):
    tags = TagSerializer(many=True, read_only=True)
    author = AuthorSerializer()

    class Meta:
        model = Book
        fields = ["id", "tags", "author"]
"""


def test_nested_serializers_with_and_without_many(tmp_path: Path) -> None:
    findings = run(tmp_path, NESTED)

    assert located(findings) == [
        ("ORM111", "api/serializers.py", 13),
        ("ORM111", "api/serializers.py", 21),
        ("ORM111", "api/serializers.py", 22),
    ]
    assert findings[0].message.startswith("AuthorSerializer.publisher_name: book.author.publisher is loaded")
    assert findings[1].message.startswith("BookSerializer.tags: book.tags runs a query once per row")
    assert findings[1].fix is not None and findings[1].fix.message == 'add .prefetch_related("tags")'
    assert findings[2].message.startswith("BookSerializer.author: book.author is loaded")


def test_nested_serializers_over_eager_queryset_are_quiet(tmp_path: Path) -> None:
    queryset = 'Book.objects.select_related("author__publisher").prefetch_related("tags")'
    assert run(tmp_path, NESTED, queryset) == []


METHOD = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = Book
        fields = ["id", "label"]

    def get_label(self, obj):
        name = obj.author.name
        return f"{obj.title} by {name}"
"""


def test_method_field_is_reported_in_the_method_body(tmp_path: Path) -> None:
    findings = run(tmp_path, METHOD)

    assert located(findings) == [("ORM111", "api/serializers.py", 14)]
    assert findings[0].message.startswith("BookSerializer.label: obj.author is loaded once per row")


def test_method_field_over_select_related_is_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, METHOD, 'Book.objects.select_related("author")') == []


STRING_RELATED = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = Book
        fields = ["id", "author"]
"""


def test_string_related_field_runs_the_related_str(tmp_path: Path) -> None:
    findings = run(tmp_path, STRING_RELATED, 'Book.objects.select_related("author")')

    # The author is selected, but Author.__str__ reads author.publisher.
    assert located(findings) == [("ORM111", "api/serializers.py", 7)]
    assert "runs Author.__str__(), which reads self.publisher" in findings[0].message
    assert findings[0].fix is not None and findings[0].fix.message == 'add .select_related("author__publisher")'


def test_string_related_field_over_full_select_related_is_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, STRING_RELATED, 'Book.objects.select_related("author__publisher")') == []


DEPTH = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "author"]
        depth = 1
"""


def test_meta_depth_loads_the_relation_per_row(tmp_path: Path) -> None:
    findings = run(tmp_path, DEPTH)

    assert located(findings) == [("ORM111", "api/serializers.py", 9)]
    assert findings[0].message.startswith("BookSerializer.author: book.author is loaded")


def test_without_depth_a_foreign_key_is_its_primary_key_and_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, DEPTH.replace("        depth = 1\n", "")) == []


PRIMARY_KEYS = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.ModelSerializer):
    author = serializers.PrimaryKeyRelatedField(read_only=True)
    tags = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Book
        fields = "__all__"
"""


def test_primary_key_fields_are_free_on_a_foreign_key_and_a_query_on_many_to_many(tmp_path: Path) -> None:
    findings = run(tmp_path, PRIMARY_KEYS)

    assert located(findings) == [("ORM111", "api/serializers.py", 8)]
    assert findings[0].message.startswith("BookSerializer.tags: book.tags runs a query once per row")


def test_primary_key_many_to_many_over_prefetch_is_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, PRIMARY_KEYS, 'Book.objects.prefetch_related("tags")') == []


def test_all_fields_default_many_to_many_is_a_query_per_row(tmp_path: Path) -> None:
    source = """
    from rest_framework import serializers

    from api.models import Book


    class BookSerializer(serializers.ModelSerializer):
        class Meta:
            model = Book
            fields = "__all__"
    """
    findings = run(tmp_path, source)

    assert located(findings) == [("ORM111", "api/serializers.py", 9)]
    assert "book.tags runs a query" in findings[0].message


HYPERLINKED = """
from rest_framework import serializers

from api.models import Book


class BookSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="book-detail")
    author = serializers.HyperlinkedRelatedField(view_name="author-detail", read_only=True)
    tags = serializers.HyperlinkedRelatedField(view_name="tag-detail", many=True, read_only=True)

    class Meta:
        model = Book
        fields = ["url", "author", "tags"]
"""


def test_hyperlinked_fields_free_on_foreign_key_query_on_many(tmp_path: Path) -> None:
    findings = run(tmp_path, HYPERLINKED)

    assert located(findings) == [("ORM111", "api/serializers.py", 9)]


def test_hyperlinked_many_over_prefetch_is_quiet(tmp_path: Path) -> None:
    assert run(tmp_path, HYPERLINKED, 'Book.objects.prefetch_related("tags")') == []


def test_get_queryset_and_get_serializer_class_overrides(tmp_path: Path) -> None:
    views = """
    from rest_framework import viewsets

    from api.models import Book
    from api.serializers import BookSerializer


    class BookViewSet(viewsets.ModelViewSet):
        def get_queryset(self):
            return Book.objects.filter(title__isnull=False)

        def get_serializer_class(self):
            return BookSerializer


    class JoinedBookViewSet(viewsets.ModelViewSet):
        queryset = Book.objects.all()
        serializer_class = BookSerializer

        def get_queryset(self):
            return super().get_queryset().select_related("author__publisher")
    """
    files = {"api/models.py": MODELS, "api/serializers.py": SOURCE, "api/views.py": views}
    findings = list(analyze_tree(tmp_path, files, select=("ORM111",)).findings)

    assert located(findings) == [("ORM111", "api/serializers.py", 7), ("ORM111", "api/serializers.py", 8)]
    assert all("listed by api.views.BookViewSet;" in finding.message for finding in findings)
    assert all(finding.message.endswith("to the queryset at api/views.py:9") for finding in findings)
