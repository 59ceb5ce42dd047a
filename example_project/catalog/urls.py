"""URLs of the catalogue pages."""

from __future__ import annotations

from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("books/", views.book_list, name="book_list"),
    path("books/select-related/", views.book_list_select_related, name="book_list_select_related"),
    path("books/<int:pk>/", views.book_detail, name="book_detail"),
    path("reviews/", views.ReviewListView.as_view(), name="review_list"),
    path("reviews/select-related/", views.ReviewListSelectRelatedView.as_view(), name="review_list_select_related"),
    path("authors/", views.AuthorListView.as_view(), name="author_list"),
]
