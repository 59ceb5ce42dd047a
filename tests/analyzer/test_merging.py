"""Merging findings that share a loop and a cause: one finding per problem, the other lines as related locations."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import RelatedLocation
from tests.analyzer.flow_helpers import flow_findings, marked_lines
from tests.analyzer.helpers import analyze_tree, codes_and_lines


def test_one_call_that_runs_two_queries_per_item_is_one_finding(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def stock(book):
            first = Review.objects.filter(book=book).first()  # first
            total = Review.objects.filter(book=book).count()  # count
            return first, total


        def report():
            for book in Book.objects.all():  # loop
                print(stock(book))  # expect
        """,
    )
    loop, call = marked_lines(source, "# loop")[0], marked_lines(source)[0]
    first, count = marked_lines(source, "# first")[0], marked_lines(source, "# count")[0]

    assert codes_and_lines(findings) == [("ORM201", call)]
    assert findings[0].message == (
        f"stock(...) runs one query per item of the loop at line {loop}; "
        "fetch the rows once before the loop with Review.objects.in_bulk(...) or .filter(pk__in=...)"
    )
    assert findings[0].related == (
        RelatedLocation("app/models.py", first, "Review.objects.filter(...).first() here"),
        RelatedLocation("app/models.py", first, "queryset built here"),
        RelatedLocation("app/models.py", count, "Review.objects.filter(...).count() here"),
        RelatedLocation("app/models.py", count, "queryset built here"),
    )


def test_one_call_per_item_that_reads_and_writes_is_one_finding(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def mark_read(book):
            review = Review.objects.filter(book=book).first()
            review.rating = 0
            review.save()


        def mark_all():
            for book in Book.objects.all():  # loop
                mark_read(book)  # expect
        """,
    )
    loop, call = marked_lines(source, "# loop")[0], marked_lines(source)[0]

    assert codes_and_lines(findings) == [("ORM201", call)]
    assert [item for item in findings[0].related if item.line == call] == [
        RelatedLocation(
            "app/models.py",
            call,
            f"the same problem here: ORM301 review.save() writes one row per iteration of the loop at line {loop}; "
            "collect the objects and call Review.objects.bulk_update(objs, [...]) after the loop, or use "
            ".update()",
        )
    ]


def test_two_calls_in_one_loop_stay_two_findings(tmp_path: Path) -> None:
    # Two calls are two places to fix, even when both query the same model in the same loop.
    source, findings = flow_findings(
        tmp_path,
        """
        def report():
            for book in Book.objects.all():
                print(Review.objects.filter(book=book).first())  # expect
                print(Review.objects.filter(book=book).count())  # expect
        """,
    )

    assert codes_and_lines(findings) == [("ORM201", line) for line in marked_lines(source)]


def test_one_missing_select_related_read_in_two_loops_of_a_template_is_one_finding(tmp_path: Path) -> None:
    models = """
    from django.db import models


    class Author(models.Model):
        name = models.CharField(max_length=100)


    class Book(models.Model):
        title = models.CharField(max_length=100)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    """
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        books = Book.objects.all()
        return render(request, "shop/book_list.html", {"books": books})
    """
    template = (
        "{% for book in books %}{{ book.author.name }}{% endfor %}\n"
        "<hr>\n"
        "{% for book in books %}{{ book.title }}: {{ book.author.name }}{% endfor %}\n"
    )
    files = {"shop/models.py": models, "shop/views.py": views, "shop/templates/shop/book_list.html": template}
    findings = analyze_tree(tmp_path, files, select=("ORM110",)).findings

    message = (
        "book.author is loaded once per row of books in shop/book_list.html, rendered by shop.views.book_list; "
        'add .select_related("author") to the queryset at shop/views.py:7'
    )
    assert [(finding.path, finding.line, finding.message) for finding in findings] == [
        ("shop/templates/shop/book_list.html", 1, message)
    ]
    assert findings[0].related == (
        RelatedLocation("shop/views.py", 7, "queryset built here"),
        RelatedLocation("shop/views.py", 8, "shop/book_list.html rendered here"),
        RelatedLocation("shop/templates/shop/book_list.html", 3, f"the same problem here: ORM110 {message}"),
    )
