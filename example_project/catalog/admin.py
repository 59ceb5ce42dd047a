"""Admin of the catalogue, on the main admin site and on the back-office site.

BookAdmin's `author_name` column reads a relation per row without list_select_related (a deliberate N+1 site);
BackofficeBookAdmin shows the same column with the authors joined in (its fixed twin).
"""

from __future__ import annotations

from django.contrib import admin

from catalog.models import Author, AuthorBio, Book, Category, Comment, Publisher, Review, Tag
from core.backoffice import backoffice_site

BOOK_LIST_DISPLAY = ("title", "author_name", "price", "published_on")


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = BOOK_LIST_DISPLAY
    list_filter = ("published_on",)
    search_fields = ("title", "isbn")
    raw_id_fields = ("author", "publisher")
    filter_horizontal = ("tags",)

    @admin.display(description="author", ordering="author__name")
    def author_name(self, obj: Book) -> str:
        return obj.author.name  # site: S20


@admin.register(Book, site=backoffice_site)
class BackofficeBookAdmin(admin.ModelAdmin):
    list_display = BOOK_LIST_DISPLAY
    list_select_related = ("author",)
    search_fields = ("title", "isbn")
    raw_id_fields = ("author", "publisher")

    @admin.display(description="author", ordering="author__name")
    def author_name(self, obj: Book) -> str:
        return obj.author.name  # twin: S20


class AuthorBioInline(admin.StackedInline):
    model = AuthorBio


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name", "birth_year")
    search_fields = ("name",)
    inlines = (AuthorBioInline,)


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ("name", "country")
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    list_select_related = ("parent",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("book", "reviewer", "rating", "created_at")
    list_select_related = ("book", "reviewer")
    list_filter = ("rating",)
    raw_id_fields = ("book", "reviewer")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "content_type", "object_id", "created_at")
    list_select_related = ("content_type",)
