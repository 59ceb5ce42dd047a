"""ORM406 manual-get-or-404: try/get/except DoesNotExist answering 404 by hand in views."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding, RelatedLocation
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.shortcuts import render
from django.views import View


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


"""


def findings(tmp_path: Path, body: str) -> list[Finding]:
    return analyze_snippet(tmp_path, MODELS + body, select=("ORM406",))


def test_raise_http404_on_does_not_exist_is_reported_at_the_get_call(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def book_detail(request, pk):
    try:
        book = Book.objects.get(pk=pk)
    except Book.DoesNotExist:
        raise Http404("no such book")
    return render(request, "book.html", {"book": book})
""",
    )

    assert codes_and_lines(found) == [("ORM406", 17)]
    assert found[0].message == (
        "Book.objects.get(pk=pk) with a hand-written 404 on Book.DoesNotExist; use get_object_or_404(Book, ...)"
    )
    assert found[0].related == (RelatedLocation("app/models.py", 18, "404 answered here"),)


def test_not_found_responses_and_object_does_not_exist_are_reported(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def by_isbn(request, isbn):
    try:
        book = Book.objects.filter(title__gt="").get(title=isbn)
    except ObjectDoesNotExist:
        return HttpResponseNotFound()
    return HttpResponse(book.title)


def by_title(request, title):
    try:
        book = Book.objects.get(title=title)
    except (Book.DoesNotExist, Book.MultipleObjectsReturned):
        return HttpResponse(status=404)
    return HttpResponse(book.title)


class BookView(View):
    def get(self, request, pk):
        try:
            book = self.get_queryset().get(pk=pk)
        except Book.DoesNotExist:
            raise Http404
        return HttpResponse(book.title)
""",
    )

    assert codes_and_lines(found) == [("ORM406", 17), ("ORM406", 25), ("ORM406", 34)]
    assert found[0].message.endswith("use get_object_or_404(Book.objects.filter(title__gt=''), ...)")
    # A queryset the analysis cannot see is passed as it is: get_object_or_404 takes querysets too.
    assert found[2].message.endswith("use get_object_or_404(self.get_queryset(), ...)")


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def with_fallback(request, pk):
    try:
        book = Book.objects.get(pk=pk)
    except Book.DoesNotExist:
        # a fallback object, not a 404.
        book = Book(title="unknown")
    return HttpResponse(book.title)


def logs_first(request, pk):
    try:
        book = Book.objects.get(pk=pk)
    except Book.DoesNotExist:
        # more than a 404: get_object_or_404 cannot log.
        print("missing", pk)
        raise Http404
    return HttpResponse(book.title)


def not_a_view(pk):
    # no request: a service, where raising Http404 is its own problem.
    try:
        return Book.objects.get(pk=pk)
    except Book.DoesNotExist:
        raise Http404


def dict_lookup(request):
    try:
        page = request.GET.get("page")
        book = Book.objects.none()
    except KeyError:
        raise Http404
    return HttpResponse(str(page) + str(book))
""",
    )

    assert found == []


def test_a_json_404_for_an_api_client_is_quiet_beside_an_html_twin(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
from django.http import JsonResponse


def toggle(request, pk):
    try:
        book = Book.objects.get(pk=pk)
    except Book.DoesNotExist:
        return JsonResponse({"error": "Book not found"}, status=404)
    return JsonResponse({"title": book.title})


def page(request, pk):
    try:
        book = Book.objects.get(pk=pk)
    except Book.DoesNotExist:
        return HttpResponse("missing", status=404)
    return render(request, "book.html", {"book": book})
""",
    )

    assert codes_and_lines(found) == [("ORM406", 28)]
