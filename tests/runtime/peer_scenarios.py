"""Labelled scenarios modelled on the test suites of django-zeal and nplusone, rewritten on the example models.

Each scenario is one piece of ORM code with the label its source suite gives it (an N+1 or not, or an unused eager
load) and the findings this package reports for it. The runtime tests check our findings; the benchmark
(`benchmarks/runtime_bench.py --scenarios`) runs every scenario under each detector and scores them side by side.
Where our label differs from the source's, `disagreement` says why (docs/runtime.md repeats it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from accounts.models import Profile
from catalog.models import Author, Book, Comment, Tag
from django.db.models import Prefetch, prefetch_related_objects
from orders.models import OrderLine

Label = Literal["n_plus_one", "clean", "unused_eager"]
Expected = tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    source: Literal["zeal", "nplusone"]
    label: Label
    run: Callable[[], object]
    expected: Expected = ()
    arrange: Callable[[], object] | None = None
    disagreement: str = ""


SCENARIOS: list[Scenario] = []


def scenario(
    source: Literal["zeal", "nplusone"],
    label: Label,
    *expected: tuple[str, str, str],
    arrange: Callable[[], object] | None = None,
    disagreement: str = "",
) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def register(run: Callable[[], object]) -> Callable[[], object]:
        SCENARIOS.append(Scenario(run.__name__, source, label, run, tuple(expected), arrange, disagreement))
        return run

    return register


def lazy(model: str, field: str) -> tuple[str, str, str]:
    return ("lazy_load", model, field)


def repeated(model: str) -> tuple[str, str, str]:
    return ("repeated_query", model, "")


def unused(model: str, path: str) -> tuple[str, str, str]:
    return ("unused_eager_load", model, path)


# --- zeal: N+1s ---------------------------------------------------------------------------------------------------


@scenario("zeal", "n_plus_one", lazy("catalog.Book", "author"))
def forward_many_to_one() -> object:
    return [book.author.name for book in Book.objects.all()]


@scenario("zeal", "n_plus_one", lazy("catalog.Book", "author"))
def forward_many_to_one_iterator() -> object:
    return [book.author.name for book in Book.objects.all().iterator(chunk_size=2)]


@scenario("zeal", "n_plus_one", lazy("catalog.Author", "books"))
def reverse_many_to_one() -> object:
    return [list(author.books.all()) for author in Author.objects.all()]


@scenario("zeal", "n_plus_one", lazy("catalog.Author", "books"))
def reverse_many_to_one_iterator() -> object:
    return [list(author.books.all()) for author in Author.objects.iterator(chunk_size=2)]


@scenario("zeal", "n_plus_one", lazy("accounts.Profile", "user"))
def forward_one_to_one() -> object:
    return [profile.user.username for profile in Profile.objects.all()]


@scenario("zeal", "n_plus_one", lazy("accounts.Profile", "user"))
def forward_one_to_one_iterator() -> object:
    return [profile.user.username for profile in Profile.objects.iterator(chunk_size=2)]


@scenario("zeal", "n_plus_one", lazy("catalog.Author", "bio"))
def reverse_one_to_one() -> object:
    return [author.bio.text for author in Author.objects.all()]


@scenario("zeal", "n_plus_one", lazy("catalog.Author", "bio"))
def reverse_one_to_one_iterator() -> object:
    return [author.bio.text for author in Author.objects.iterator(chunk_size=2)]


@scenario("zeal", "n_plus_one", lazy("catalog.Book", "tags"))
def forward_many_to_many() -> object:
    return [list(book.tags.all()) for book in Book.objects.all()]


@scenario("zeal", "n_plus_one", lazy("catalog.Book", "tags"))
def forward_many_to_many_iterator() -> object:
    return [list(book.tags.all()) for book in Book.objects.iterator(chunk_size=2)]


@scenario("zeal", "n_plus_one", lazy("catalog.Tag", "books"))
def reverse_many_to_many() -> object:
    return [list(tag.books.all()) for tag in Tag.objects.all()]


@scenario("zeal", "n_plus_one", lazy("catalog.Tag", "books"))
def reverse_many_to_many_iterator() -> object:
    return [list(tag.books.all()) for tag in Tag.objects.iterator(chunk_size=2)]


@scenario("zeal", "n_plus_one", lazy("catalog.Author", "name"))
def deferred_field() -> object:
    return [book.author.name for book in Book.objects.select_related("author").only("author__id")]


@scenario("zeal", "n_plus_one", lazy("catalog.Author", "name"))
def deferred_field_iterator() -> object:
    books = Book.objects.select_related("author").only("author__id").iterator(chunk_size=2)
    return [book.author.name for book in books]


@scenario("zeal", "n_plus_one", repeated("catalog.Book"))
def get_per_item() -> object:
    return [Book.objects.get(pk=pk) for pk in Book.objects.values_list("pk", flat=True)]


@scenario("zeal", "n_plus_one", repeated("catalog.Book"))
def prefetch_related_objects_per_instance_reverse_many_to_one() -> object:
    authors = list(Author.objects.all())
    for author in authors:
        prefetch_related_objects([author], "books")
    return authors


@scenario("zeal", "n_plus_one", repeated("catalog.Author"))
def prefetch_related_objects_per_instance_forward_many_to_one() -> object:
    books = list(Book.objects.all())
    for book in books:
        prefetch_related_objects([book], "author")
    return books


@scenario("zeal", "n_plus_one", repeated("catalog.AuthorBio"))
def prefetch_related_objects_per_instance_reverse_one_to_one() -> object:
    authors = list(Author.objects.all())
    for author in authors:
        prefetch_related_objects([author], "bio")
    return authors


@scenario("zeal", "n_plus_one", repeated("catalog.Tag"))
def prefetch_related_objects_per_instance_forward_many_to_many() -> object:
    books = list(Book.objects.all())
    for book in books:
        prefetch_related_objects([book], "tags")
    return books


@scenario("zeal", "n_plus_one", repeated("catalog.Book"))
def prefetch_related_objects_per_instance_reverse_many_to_many() -> object:
    tags = list(Tag.objects.all())
    for tag in tags:
        prefetch_related_objects([tag], "books")
    return tags


@scenario("zeal", "n_plus_one", repeated("catalog.Comment"))
def prefetch_related_objects_per_instance_generic_relation() -> object:
    books = list(Book.objects.all())
    for book in books:
        prefetch_related_objects([book], "comments")
    return books


@scenario("zeal", "n_plus_one", repeated("catalog.Book"))
def prefetch_related_objects_per_instance_in_an_iterator() -> object:
    authors = []
    for author in Author.objects.iterator(chunk_size=1):
        prefetch_related_objects([author], "books")
        authors.append(author)
    return authors


@scenario("zeal", "n_plus_one", lazy("catalog.Book", "comments"))
def generic_relation() -> object:
    return [list(book.comments.all()) for book in Book.objects.all()]


@scenario("zeal", "n_plus_one", lazy("catalog.Book", "comments"))
def generic_relation_iterator() -> object:
    return [list(book.comments.all()) for book in Book.objects.iterator(chunk_size=2)]


@scenario("zeal", "n_plus_one", lazy("catalog.Comment", "content_object"))
def generic_foreign_key() -> object:
    return [comment.content_object for comment in Comment.objects.all()]


@scenario("zeal", "n_plus_one", lazy("catalog.Comment", "content_object"))
def generic_foreign_key_iterator() -> object:
    return [comment.content_object for comment in Comment.objects.iterator(chunk_size=2)]


# --- zeal: not N+1s -----------------------------------------------------------------------------------------------


@scenario("zeal", "clean")
def prefetch_instead_of_select_related_forward() -> object:
    return [book.author.name for book in Book.objects.prefetch_related("author")]


@scenario("zeal", "clean")
def prefetch_instead_of_select_related_one_to_one() -> object:
    return [profile.user.username for profile in Profile.objects.prefetch_related("user")]


@scenario("zeal", "clean")
def prefetch_instead_of_select_related_reverse_one_to_one() -> object:
    return [author.bio.text for author in Author.objects.prefetch_related("bio")]


@scenario("zeal", "clean")
def prefetch_instead_of_select_related_with_deferred_fields() -> object:
    return [book.author.name for book in Book.objects.prefetch_related("author").only("author__name")]


def _two_pks(model: type[Author] | type[Book] | type[Profile] | type[Comment]) -> list[int]:
    return list(model.objects.order_by("pk").values_list("pk", flat=True)[:2])


@scenario("zeal", "clean")
def single_objects_forward_many_to_one() -> object:
    first, second = _two_pks(Book)
    book_1 = Book.objects.filter(pk=first).first()
    book_2 = Book.objects.filter(pk=second).first()
    assert book_1 is not None and book_2 is not None
    names = [book_1.author.name]
    names.append(book_2.author.name)
    book_1 = Book.objects.filter(pk=first)[0]
    book_2 = Book.objects.filter(pk=second)[0]
    names.append(book_1.author.name)
    names.append(book_2.author.name)
    book_1 = Book.objects.get(pk=first)
    book_2 = Book.objects.get(pk=second)
    names.append(book_1.author.name)
    names.append(book_2.author.name)
    return names


@scenario("zeal", "clean")
def single_objects_forward_one_to_one() -> object:
    first, second = _two_pks(Profile)
    profile_1 = Profile.objects.filter(pk=first).first()
    profile_2 = Profile.objects.filter(pk=second).first()
    assert profile_1 is not None and profile_2 is not None
    names = [profile_1.user.username]
    names.append(profile_2.user.username)
    profile_1 = Profile.objects.get(pk=first)
    profile_2 = Profile.objects.get(pk=second)
    names.append(profile_1.user.username)
    names.append(profile_2.user.username)
    return names


@scenario("zeal", "clean")
def single_objects_reverse_one_to_one() -> object:
    first, second = _two_pks(Author)
    author_1 = Author.objects.filter(pk=first)[0]
    author_2 = Author.objects.filter(pk=second)[0]
    text_1 = author_1.bio.text
    text_2 = author_2.bio.text
    return [text_1, text_2]


@scenario("zeal", "clean")
def reverse_many_to_one_queryset_evaluated_twice() -> object:
    author = Author.objects.order_by("pk")[0]
    books = author.books.all()
    return [list(books), list(books)]


@scenario("zeal", "clean")
def single_objects_forward_many_to_many() -> object:
    first, second = _two_pks(Book)
    book_1, book_2 = Book.objects.get(pk=first), Book.objects.get(pk=second)
    tag_1 = book_1.tags.first()
    tag_2 = book_2.tags.first()
    first_1 = book_1.tags.all()[0]
    first_2 = book_2.tags.all()[0]
    return [tag_1, tag_2, first_1, first_2]


@scenario("zeal", "clean")
def single_objects_reverse_many_to_many() -> object:
    tag_1, tag_2 = Tag.objects.order_by("pk")[:2]
    book_1 = tag_1.books.first()
    book_2 = tag_2.books.first()
    return [book_1, book_2]


@scenario("zeal", "clean")
def get_on_different_lines() -> object:
    first, second = _two_pks(Book)
    book_1 = Book.objects.get(pk=first)
    book_2 = Book.objects.get(pk=second)
    return [book_1, book_2]


@scenario("zeal", "clean")
def related_managers_on_different_lines() -> object:
    author_1, author_2 = list(Author.objects.order_by("pk")[:2])
    books_1 = list(author_1.books.all())
    books_2 = list(author_2.books.all())
    return [books_1, books_2]


@scenario("zeal", "clean")
def prefetch_related_objects_in_bulk() -> object:
    authors = list(Author.objects.all())
    prefetch_related_objects(authors, "books")
    return [list(author.books.all()) for author in authors]


def _prefetch_books_of(author: Author) -> None:
    prefetch_related_objects([author], "books")


@scenario("zeal", "clean")
def prefetch_related_objects_on_single_objects_from_two_lines() -> object:
    first, second = _two_pks(Author)
    _prefetch_books_of(Author.objects.get(pk=first))
    _prefetch_books_of(Author.objects.get(pk=second))
    return first, second


@scenario("zeal", "clean")
def single_objects_generic_relation() -> object:
    first, second = _two_pks(Book)
    book_1 = Book.objects.filter(pk=first).first()
    book_2 = Book.objects.filter(pk=second).first()
    assert book_1 is not None and book_2 is not None
    comments_1 = list(book_1.comments.all())
    comments_2 = list(book_2.comments.all())
    return [comments_1, comments_2]


@scenario("zeal", "clean")
def single_objects_generic_foreign_key() -> object:
    first, second = _two_pks(Comment)
    comment_1 = Comment.objects.get(pk=first)
    comment_2 = Comment.objects.get(pk=second)
    object_1 = comment_1.content_object
    object_2 = comment_2.content_object
    return [object_1, object_2]


@scenario("zeal", "clean")
def generic_foreign_key_read_twice() -> object:
    [comment] = list(Comment.objects.order_by("pk")[:1])
    return [comment.content_object, comment.content_object]


@scenario("zeal", "clean")
def generic_relation_queryset_evaluated_twice() -> object:
    book = Book.objects.order_by("pk")[0]
    comments = book.comments.all()
    return [list(comments), list(comments)]


# --- nplusone ------------------------------------------------------------------------------------------------------

_ONE_ACCESS = (
    "one row of a multi-row queryset reads its relation once: one query at any number of rows, so no N+1 "
    "(nplusone flags any lazy load on such a row)"
)


@scenario("nplusone", "n_plus_one", disagreement=_ONE_ACCESS)
def one_row_of_a_list_forward_one_to_one() -> object:
    profiles = list(Profile.objects.all())
    return profiles[0].user.username


@scenario("nplusone", "n_plus_one", disagreement=_ONE_ACCESS)
def one_row_of_a_list_many_to_many() -> object:
    books = list(Book.objects.all())
    return list(books[0].tags.all())


@scenario("nplusone", "clean")
def first_row_forward_one_to_one() -> object:
    profile = Profile.objects.first()
    assert profile is not None
    return profile.user.username


@scenario("nplusone", "clean")
def first_row_of_a_prefetched_queryset() -> object:
    authors = Author.objects.prefetch_related("books")
    return list(authors[0].books.all())


@scenario("nplusone", "clean")
def get_then_many_to_many() -> object:
    return list(Book.objects.get(pk=_two_pks(Book)[0]).tags.all())


@scenario("nplusone", "clean")
def first_row_then_a_list_without_relations() -> object:
    book = Book.objects.first()
    assert book is not None
    books = list(Book.objects.all())
    return list(book.tags.all()), books


@scenario("nplusone", "clean")
def prefetched_many_to_many_in_a_template_loop() -> object:
    from django.template import Context, Engine

    template = Engine().from_string(
        "{% for book in books %}{% for tag in book.tags.all %}{{ tag.name }}{% endfor %}{% endfor %}"
    )
    return template.render(Context({"books": Book.objects.prefetch_related("tags")}))


def _no_books() -> None:
    OrderLine.objects.all().delete()
    Book.objects.all().delete()


@scenario("nplusone", "clean", arrange=_no_books)
def prefetched_many_to_many_of_no_rows() -> object:
    return [list(book.tags.all()) for book in Book.objects.prefetch_related("tags")]


@scenario("nplusone", "clean")
def select_related_one_to_one_read() -> object:
    return Author.objects.select_related("bio")[0].bio.text


@scenario("nplusone", "clean")
def select_related_many_to_one_read() -> object:
    books = list(Book.objects.select_related("author"))
    return books[0].author.name


@scenario("nplusone", "clean")
def prefetch_nested_read() -> object:
    books = list(Book.objects.prefetch_related("author__bio"))
    return books[0].author.bio.text


@scenario("nplusone", "clean")
def select_nested_read() -> object:
    books = list(Book.objects.select_related("author__bio"))
    return books[0].author.bio.text


@scenario("nplusone", "unused_eager", unused("catalog.Author", "bio"))
def prefetch_one_to_one_unused() -> object:
    return Author.objects.prefetch_related("bio")[0].name


@scenario("nplusone", "unused_eager", unused("catalog.Book", "tags"))
def prefetch_many_to_many_unused() -> object:
    return Book.objects.prefetch_related("tags")[0].title


@scenario("nplusone", "unused_eager", unused("catalog.Author", "bio"))
def select_one_to_one_unused() -> object:
    return Author.objects.select_related("bio")[0].name


@scenario("nplusone", "unused_eager", unused("catalog.Book", "author"))
def select_many_to_one_unused() -> object:
    books = list(Book.objects.select_related("author"))
    return books[0].title


@scenario("nplusone", "unused_eager", unused("catalog.Book", "author"), unused("catalog.Book", "author__bio"))
def prefetch_nested_unused() -> object:
    books = list(Book.objects.prefetch_related("author__bio"))
    return books[0].title


@scenario("nplusone", "unused_eager", unused("catalog.Book", "author"), unused("catalog.Book", "author__bio"))
def select_nested_unused() -> object:
    books = list(Book.objects.select_related("author__bio"))
    return books[0].title


@scenario("nplusone", "clean")
def prefetch_with_a_queryset_read() -> object:
    books = Book.objects.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    return [list(book.tags.all()) for book in books]
