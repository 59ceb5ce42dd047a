"""ORM410 unbounded-queryset-rendered: function views rendering a whole queryset."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding, RelatedLocation
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

MODELS = """\
from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse


class Book(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


"""


def findings(tmp_path: Path, body: str) -> list[Finding]:
    return analyze_snippet(tmp_path, MODELS + body, select=("ORM410",))


def test_whole_querysets_in_a_render_context_are_reported_at_the_value(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def book_list(request):
    return render(request, "books.html", {"books": Book.objects.all()})


def book_search(request):
    books = Book.objects.filter(title__icontains=request.GET["q"])
    context = {"query": request.GET["q"]}
    context["results"] = books
    return TemplateResponse(
        request,
        "search.html",
        context,
    )


def book_feed(request):
    return render_to_string("feed.xml", context=dict(items=Book.objects.exclude(title="")))
""",
    )

    assert codes_and_lines(found) == [("ORM410", 19), ("ORM410", 25), ("ORM410", 34)]
    assert found[0].message == (
        'context["books"] renders every Book row of Book.objects.all(); paginate it '
        "(Paginator(..., 25).get_page(...)) or slice it"
    )
    assert found[1].message.startswith('context["results"] renders every Book row of books;')
    assert found[1].related == (RelatedLocation("app/models.py", 26, "rendered here"),)


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def paged(request):
    page = Paginator(Book.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "books.html", {"page_obj": page})


def sliced(request):
    return render(request, "books.html", {"books": Book.objects.all()[:20], "none": Book.objects.none()})


def one(request, pk):
    return render(request, "book.html", {"book": Book.objects.get(pk=pk)})


def helper(books):
    # not a view: no request.
    return render_to_string("books.html", {"books": Book.objects.all()})
""",
    )

    assert found == []
