"""Routes of the JSON API."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from catalog.api import views

router = DefaultRouter()
router.register("books", views.BookViewSet, basename="book")
router.register("books-select-related", views.BookSelectRelatedViewSet, basename="book-select-related")
router.register("book-tags", views.BookTagsViewSet, basename="book-tags")
router.register("book-tags-prefetched", views.BookTagsPrefetchedViewSet, basename="book-tags-prefetched")

urlpatterns = router.urls
