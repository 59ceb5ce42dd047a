"""Catalogue pages. Views only validate input, call a selector and render; the queries live in selectors.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.views.generic import ListView

from catalog import selectors
from catalog.forms import BookFilterForm
from catalog.models import Review
from core.pagination import paginate

BOOKS_PER_PAGE = 20
REVIEWS_PER_PAGE = 20
AUTHORS_PER_PAGE = 20


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: links to the lists."""
    return render(request, "catalog/home.html")


def _bad_filter(form: BookFilterForm) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(f"Invalid query string: {form.errors.as_text()}", content_type="text/plain")


def book_list(request: HttpRequest) -> HttpResponse:
    """One page of the catalogue, optionally filtered by category and title."""
    form = BookFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filter(form)
    books = selectors.book_catalogue(category_id=form.cleaned_data["category"], query=form.cleaned_data["q"])
    page = paginate(books, form.cleaned_data["page"], BOOKS_PER_PAGE)
    return render(request, "catalog/book_list.html", {"form": form, "page_obj": page, "books": page.object_list})


def book_list_select_related(request: HttpRequest) -> HttpResponse:
    """The same page as book_list, from a queryset that joins the authors in."""
    form = BookFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filter(form)
    books = selectors.book_catalogue_select_related(
        category_id=form.cleaned_data["category"], query=form.cleaned_data["q"]
    )
    page = paginate(books, form.cleaned_data["page"], BOOKS_PER_PAGE)
    return render(
        request,
        "catalog/book_list_select_related.html",
        {"form": form, "page_obj": page, "books": page.object_list},
    )


def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One book with its tags and reviews."""
    book = get_object_or_404(selectors.book_detail_queryset(), pk=pk)
    return render(request, "catalog/book_detail.html", {"book": book})


class ReviewListView(ListView):
    """All reviews, newest first."""

    model = Review
    paginate_by = REVIEWS_PER_PAGE


class ReviewListSelectRelatedView(ListView):
    """All reviews, newest first, with the reviewers joined in."""

    queryset = Review.objects.select_related("reviewer")
    paginate_by = REVIEWS_PER_PAGE
    template_name = "catalog/review_list_select_related.html"


class AuthorListView(ListView):
    """All authors with how many books each has written."""

    queryset = selectors.authors_with_book_counts()
    paginate_by = AUTHORS_PER_PAGE
