"""Page-number pagination shared by the function views, so every list page is bounded the same way."""

from __future__ import annotations

from typing import TypeVar

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404

ModelT = TypeVar("ModelT", bound=Model)

DEFAULT_PER_PAGE = 20


def paginate(queryset: QuerySet[ModelT], page_number: int | None, per_page: int = DEFAULT_PER_PAGE) -> Page[ModelT]:
    """Return the requested page of an ordered queryset; a page past the end is a 404, like ListView's."""
    paginator = Paginator(queryset, per_page)
    try:
        return paginator.page(page_number or 1)
    except EmptyPage as exc:
        raise Http404(f"Page {page_number} is past the last page ({paginator.num_pages}).") from exc
