"""URLs of the middleware tests (selected with settings.ROOT_URLCONF)."""

from __future__ import annotations

from django.urls import path

from tests.runtime import views

urlpatterns = [
    path("runtime/books/", views.book_list, name="book_list"),
    path("runtime/books/clean/", views.book_list_clean, name="book_list_clean"),
    path("runtime/books/async/", views.async_book_list, name="async_book_list"),
    path("runtime/account/", views.account, name="account"),
    path("runtime/paginated/", views.paginated, name="paginated"),
]
