"""ORM201/ORM202 queries in loops and ORM301-ORM303 writes in loops."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.flow_helpers import expected, flow_findings, marked_lines
from tests.analyzer.helpers import codes_and_lines


def test_orm201_get_per_id(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def titles(book_ids):
            result = []
            for book_id in book_ids:  # loop
                result.append(Book.objects.get(pk=book_id).title)  # expect
            return result
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM201")
    loop = marked_lines(source, "# loop")[0]
    assert findings[0].message == (
        f"Book.objects.get(...) runs one query per item of the loop at line {loop}; "
        "fetch the rows once before the loop with Book.objects.in_bulk(...) or .filter(pk__in=...)"
    )
    assert findings[0].fix is not None
    assert findings[0].fix.line == loop


def test_orm201_filter_exists_and_count_using_a_row_field(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def checks(authors):
            for author in authors:
                if Book.objects.filter(author_id=author.pk).exists():  # expect
                    print(Review.objects.filter(book__author=author).count())  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM201")


def test_orm201_loop_invariant_query_is_quiet(tmp_path: Path) -> None:
    # The query does not change with the item; a known gap, documented under "Known problems".
    _, findings = flow_findings(
        tmp_path,
        """
        def totals(items):
            for item in items:
                print(item, Book.objects.count())
        """,
    )
    assert findings == []


def test_orm201_helper_function_querying_per_item_reports_at_the_call(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def price_of(isbn):
            return Book.objects.get(title=isbn).price


        def prices(isbns):
            return [price_of(isbn) for isbn in isbns]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM201")
    assert findings[0].message.startswith("price_of(...) runs one query per item")


def test_orm201_get_or_create_and_update_or_create_per_item_are_told_to_write_in_bulk(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def import_tags(names, prices):
            for name in names:  # loop
                Tag.objects.get_or_create(name=name)  # expect
                Book.objects.update_or_create(title=name, defaults={"price": prices[name]})  # expect
        """,
    )
    loop = marked_lines(source, "# loop")[0]

    assert codes_and_lines(findings) == expected(source, "ORM201")
    assert [finding.message for finding in findings] == [
        f"Tag.objects.get_or_create(...) runs one query per item of the loop at line {loop}; fetch the existing "
        "rows once before the loop with Tag.objects.filter(...__in=...) and create the missing ones with "
        "Tag.objects.bulk_create(objs) after it",
        f"Book.objects.update_or_create(...) runs one query per item of the loop at line {loop}; write every row "
        "at once after the loop with Book.objects.bulk_create(objs, update_conflicts=True, unique_fields=[...], "
        "update_fields=[...])",
    ]


def test_orm301_update_per_item_names_update_and_bulk_update(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def restock(books):
            for book in books:  # loop
                Book.objects.filter(pk=book.pk).update(stock=0)  # expect
        """,
    )
    loop = marked_lines(source, "# loop")[0]

    assert codes_and_lines(findings) == expected(source, "ORM301")
    assert findings[0].message == (
        f"Book.objects.filter(...).update(...) runs one UPDATE per item of the loop at line {loop}; update the rows "
        "at once with Book.objects.filter(pk__in=...).update(...) when every item gets the same values, or collect "
        "the objects and call Book.objects.bulk_update(objs, [...]) after the loop"
    )


def test_orm202_related_count_and_exists_per_row(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def counts():
            for author in Author.objects.all():
                print(author.books.count())  # expect
                print(author.books.exists())  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM202")
    assert [finding.fix.message for finding in findings if finding.fix] == [
        'add .annotate(books_count=Count("books")) and read author.books_count',
        'add .annotate(has_books=Exists(Book.objects.filter(author=OuterRef("pk"))))',
    ]


def test_orm202_count_of_the_relation_the_rows_are_filtered_on_annotates_before_the_filter(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def shared_books(author):
            for book in Book.objects.filter(tags__name="classic"):  # loop
                print(book.tags.count())  # expect
        """,
    )
    loop = marked_lines(source, "# loop")[0]

    assert codes_and_lines(findings) == expected(source, "ORM202")
    assert findings[0].message == (
        f"book.tags.count() runs one query per row of Book.objects.filter(...) (line {loop}); "
        'add .annotate(tags_count=Count("tags", distinct=True)) before the .filter() on "tags" '
        "(after it, Count() counts only the matching rows) and read book.tags_count there"
    )


def test_orm202_count_of_prefetched_relation_uses_the_cache_and_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def counts():
            return [author.books.count() for author in Author.objects.prefetch_related("books")]
        """,
    )
    assert findings == []


def test_orm301_save_per_row_lists_the_assigned_fields(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def discount():
            for book in Book.objects.all():
                book.price = book.price - 1
                book.save()  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM301")
    assert findings[0].fix is not None
    assert findings[0].fix.message == (
        'collect the objects and call Book.objects.bulk_update(objs, ["price"]) after the loop, or use .update()'
    )


def test_orm301_update_per_item_and_save_outside_loop(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def reprice(prices):
            for pk, price in prices:
                Book.objects.filter(pk=pk).update(price=price)  # expect
            book = Book.objects.get(pk=1)
            book.price = 2
            book.save()
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM301")


def test_orm302_create_and_new_instance_save_per_item(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def add_tags(names):
            for name in names:
                Tag.objects.create(name=name)  # expect
            for name in names:
                tag = Tag(name=name)
                tag.save()  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM302")


def test_orm303_delete_per_row_and_filtered_delete_per_item(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def purge(ids):
            for review in Review.objects.filter(rating=0):
                review.delete()  # expect
            for pk in ids:
                Review.objects.filter(pk=pk).delete()  # expect
            Review.objects.filter(rating=1).delete()
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM303")
