"""ORM102-ORM107: related managers, generic relations, partial select_related, bypassed prefetches, deferred
fields and properties read per row."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.flow_helpers import expected, flow_findings, marked_lines
from tests.analyzer.helpers import codes_and_lines


def test_orm102_reverse_foreign_key_all_per_row(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def bibliographies():
            for author in Author.objects.all():  # built
                print([book.title for book in author.books.all()])  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM102")
    built = marked_lines(source, "# built")[0]
    assert findings[0].message == (
        f"author.books.all() runs one query per row of Author.objects.all() (line {built}); "
        'add .prefetch_related("books") there'
    )


def test_orm102_prefetched_manager_is_quiet_and_its_rows_keep_nested_prefetch(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def bibliographies():
            for author in Author.objects.prefetch_related("books__tags"):
                for book in author.books.all():
                    print([tag.name for tag in book.tags.all()], len(author.books.all()))
        """,
    )
    assert findings == []


def test_orm102_many_to_many_filter_without_prefetch_suggests_prefetch_object(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def cheap_tags():
            return [list(book.tags.filter(name__startswith="a")) for book in Book.objects.all()]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM102")
    assert findings[0].fix is not None
    assert findings[0].fix.message == (
        'add .prefetch_related(Prefetch("tags", queryset=Tag.objects.filter(...), to_attr="tags_filter"))'
    )


def test_orm102_rows_of_an_unprefetched_manager_report_their_own_relations(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def nested():
            for author in Author.objects.all():
                for book in author.books.all():  # expect
                    print(book.publisher.name)  # second
        """,
    )
    second = marked_lines(source, "# second")[0]
    assert codes_and_lines(findings) == [("ORM102", marked_lines(source)[0]), ("ORM101", second)]


def test_orm103_generic_foreign_key_and_generic_relation(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def targets():
            print([comment.content_object for comment in Comment.objects.all()])  # expect
            print([list(book.comments.all()) for book in Book.objects.all()])  # expect
            print([comment.content_object for comment in Comment.objects.prefetch_related("content_object")])
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM103")


def test_orm104_select_related_stops_early(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def feed():
            for review in Review.objects.select_related("book"):
                print(review.book.author.name)  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM104")
    assert 'select_related("book") stops before "author"' in findings[0].message
    assert findings[0].fix is not None
    assert findings[0].fix.message == 'add .select_related("book__author")'


def test_orm104_full_path_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def feed():
            for review in Review.objects.select_related("book__author"):
                print(review.book.author.name, review.book.title)
        """,
    )
    assert findings == []


def test_orm105_filter_on_prefetched_relation(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def praise():
            books = Book.objects.prefetch_related("reviews")
            for book in books:
                print(book.reviews.filter(rating__gte=4))  # expect
                print(book.reviews.all().order_by("rating"))
        """,
    )
    # One finding per relation and loop: the second bypass of "reviews" in the same loop is the same site.
    assert codes_and_lines(findings) == expected(source, "ORM105")
    assert findings[0].fix is not None
    assert findings[0].fix.message == (
        'use Prefetch("reviews", queryset=Review.objects.filter(...), to_attr="reviews_filter")'
    )


def test_orm105_prefetch_with_to_attr_read_per_row_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def praise():
            good = Review.objects.filter(rating__gte=4).select_related("book")
            books = Book.objects.prefetch_related(Prefetch("reviews", queryset=good, to_attr="good_reviews"))
            for book in books:
                print([review.book.title for review in book.good_reviews])
        """,
    )
    assert findings == []


def test_orm106_field_left_out_by_only_and_deferred_field(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def prices():
            print([book.price for book in Book.objects.only("title")])  # expect
            print([book.price for book in Book.objects.defer("price")])  # expect
            print([book.title for book in Book.objects.only("title")])
            print([book.price for book in Book.objects.only("title").defer(None)])
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM106")
    assert [finding.fix.message for finding in findings if finding.fix] == [
        'add "price" to .only(...)',
        'remove "price" from .defer(...)',
    ]


def test_orm107_property_and_method_and_str_per_row(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def labels():
            print([book.byline for book in Book.objects.all()])  # expect
            print([book.author_name() for book in Book.objects.all()])  # expect
            print([str(review) for review in Review.objects.all()])  # expect
            print([f"{review}" for review in Review.objects.select_related("book")])
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM107")
    assert findings[0].message.startswith("book.byline runs the property Book.byline, which reads self.author")
    assert (
        findings[0].related[0].line
        == source.splitlines().index('        return f"{self.title} by {self.author.name}"') + 1
    )
    assert findings[2].fix is not None
    assert findings[2].fix.message == 'add .select_related("book")'


def test_orm1xx_rules_do_not_duplicate_each_other(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def everything():
            for review in Review.objects.select_related("book").only("rating"):
                print(review.book.author.name)  # expect
        """,
    )
    # review.book is select_related: only ORM104 for the author, nothing for book itself.
    assert codes_and_lines(findings) == expected(source, "ORM104")
