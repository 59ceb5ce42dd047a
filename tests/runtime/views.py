"""Views for the middleware tests: an N+1, its fixed twin, an async N+1, session/auth reads and a paginated list."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from catalog.models import Book
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse


def book_list(request: HttpRequest) -> HttpResponse:
    names = [book.author.name for book in Book.objects.all()]  # view: book-list
    return HttpResponse(", ".join(names))


def book_list_clean(request: HttpRequest) -> HttpResponse:
    names = [book.author.name for book in Book.objects.select_related("author")]
    return HttpResponse(", ".join(names))


def _publisher_names() -> list[str]:
    return [book.publisher.name for book in Book.objects.all()]  # view: async-book-list


async def async_book_list(request: HttpRequest) -> HttpResponse:
    names = await sync_to_async(_publisher_names)()
    return HttpResponse(", ".join(names))


@login_required
def account(request: HttpRequest) -> HttpResponse:
    # Reads the session and the user several times: Django's own loads, never an N+1.
    request.session["visits"] = request.session.get("visits", 0) + 1
    return HttpResponse(f"{request.user.get_username()} {request.user.is_authenticated} {request.session['visits']}")


def paginated(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(Book.objects.select_related("author"), 2)
    page = paginator.get_page(request.GET.get("page"))
    return HttpResponse(f"{paginator.count} {[book.author.name for book in page]}")
