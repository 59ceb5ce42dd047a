"""Each fix kind on source text: before and after (with comments and odd layouts), no-ops and refusals.

``edit_at`` builds the edit the way a rule does (a span, a kind, arguments) for the first occurrence of a piece of
text; ``check_transformed`` applies it and compares the whole file, then applies the same fix to the result and
expects no change (a fix is idempotent). Refusals leave the file as it was and say why.
"""

from __future__ import annotations

import textwrap

from analyzer.findings import Applicability, Edit
from analyzer.fix import targets
from analyzer.fix.apply import ALREADY_THERE, apply_edits
from analyzer.fix.targets import text_digest


def edit_at(source: str, target: str, kind: str, *arguments: str, occurrence: int = 0) -> Edit:
    """The edit of ``kind`` on the ``occurrence``-th appearance of ``target`` in ``source``."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = source.index(target, offset + 1)
    before = source[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    inside = source[offset : offset + len(target)]
    end_line = line + inside.count("\n")
    end_column = (column + len(target)) if "\n" not in inside else len(inside) - inside.rfind("\n")
    return Edit(kind, Applicability.SAFE, line, column, end_line, end_column, tuple(arguments), text_digest(source))


def _apply(source: str, edit: Edit) -> tuple[str, str]:
    outcome = apply_edits(source, [edit])
    (result,) = outcome.outcomes
    return outcome.fixed, result.reason


def check_transformed(before: str, target: str, kind: str, arguments: tuple[str, ...], after: str, again: str) -> None:
    """``target`` in ``before`` edited gives ``after``; the same fix on ``again`` (in ``after``) changes nothing."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    fixed, reason = _apply(before, edit_at(before, target, kind, *arguments))
    assert (fixed, reason) == (after, "")
    refixed, reason = _apply(after, edit_at(after, again, kind, *arguments))
    assert (refixed, reason) == (after, ALREADY_THERE)


def check_refused(before: str, target: str, kind: str, arguments: tuple[str, ...], reason: str) -> None:
    before = textwrap.dedent(before)
    fixed, given = _apply(before, edit_at(before, target, kind, *arguments))
    assert (fixed, given) == (before, reason)


# -- select_related / prefetch_related ------------------------------------------------------------------------------


def test_select_related_is_appended_to_a_filter_chain() -> None:
    check_transformed(
        """\
        for book in Book.objects.filter(published=True):  # the list
            print(book.author.name)
        """,
        "Book.objects.filter(published=True)",
        targets.SELECT_RELATED,
        ("author",),
        """\
        for book in Book.objects.filter(published=True).select_related("author"):  # the list
            print(book.author.name)
        """,
        'Book.objects.filter(published=True).select_related("author")',
    )


def test_a_bare_trailing_all_becomes_the_eager_call() -> None:
    check_transformed(
        "books = Book.objects.all()\n",
        "Book.objects.all()",
        targets.PREFETCH_RELATED,
        ("tags",),
        'books = Book.objects.prefetch_related("tags")\n',
        'Book.objects.prefetch_related("tags")',
    )


def test_an_existing_call_is_extended_keeping_its_single_quotes_and_order() -> None:
    check_transformed(
        "books = Book.objects.select_related('publisher', 'category').filter(active=True)\n",
        "Book.objects.select_related('publisher', 'category').filter(active=True)",
        targets.SELECT_RELATED,
        ("author",),
        "books = Book.objects.select_related('publisher', 'category', 'author').filter(active=True)\n",
        "Book.objects.select_related('publisher', 'category', 'author').filter(active=True)",
    )


def test_a_one_per_line_argument_list_gets_one_more_line_and_keeps_its_comment() -> None:
    check_transformed(
        """\
        books = Book.objects.select_related(
            "publisher",  # shown in every row
        ).filter(active=True)
        """,
        'Book.objects.select_related(\n    "publisher",  # shown in every row\n).filter(active=True)',
        targets.SELECT_RELATED,
        ("author",),
        """\
        books = Book.objects.select_related(
            "publisher",  # shown in every row
            "author",
        ).filter(active=True)
        """,
        'Book.objects.select_related(\n    "publisher",  # shown in every row\n    "author",\n).filter(active=True)',
    )


def test_arguments_on_their_own_lines_without_a_trailing_comma() -> None:
    check_transformed(
        """\
        books = Book.objects.select_related(
            "publisher",
            "category"
        )
        """,
        'Book.objects.select_related(\n    "publisher",\n    "category"\n)',
        targets.SELECT_RELATED,
        ("author",),
        """\
        books = Book.objects.select_related(
            "publisher",
            "category",
            "author"
        )
        """,
        'Book.objects.select_related(\n    "publisher",\n    "category",\n    "author"\n)',
    )


def test_a_parenthesised_chain_over_several_lines_keeps_its_parentheses_and_comments() -> None:
    before = """\
    books = (
        Book.objects  # every book
        .filter(active=True)
    )
    """
    after = """\
    books = (
        Book.objects  # every book
        .filter(active=True).select_related("author")
    )
    """
    source = textwrap.dedent(before)
    start = source.index("Book.objects")
    end = source.index(")\n)") + 1
    chain = source[start:end]
    check_transformed(before, chain, targets.SELECT_RELATED, ("author",), after, chain + '.select_related("author")')


def test_a_shorter_select_related_path_is_extended_in_place() -> None:
    check_transformed(
        'reviews = Review.objects.select_related("book", "reviewer")\n',
        'Review.objects.select_related("book", "reviewer")',
        targets.SELECT_RELATED,
        ("book__author",),
        'reviews = Review.objects.select_related("book__author", "reviewer")\n',
        'Review.objects.select_related("book__author", "reviewer")',
    )


def test_a_call_returning_a_queryset_gets_the_method_appended() -> None:
    check_transformed(
        "rows = selectors.books_in_print(year=2024)\n",
        "selectors.books_in_print(year=2024)",
        targets.SELECT_RELATED,
        ("publisher",),
        'rows = selectors.books_in_print(year=2024).select_related("publisher")\n',
        'selectors.books_in_print(year=2024).select_related("publisher")',
    )


def test_two_lookups_for_one_queryset_are_added_in_one_call() -> None:
    check_transformed(
        "labels = [str(review) for review in Review.objects.all()]\n",
        "Review.objects.all()",
        targets.SELECT_RELATED,
        ("reviewer", "book"),
        'labels = [str(review) for review in Review.objects.select_related("reviewer", "book")]\n',
        'Review.objects.select_related("reviewer", "book")',
    )


def test_a_string_next_to_an_unrelated_prefetch_object_is_added() -> None:
    check_transformed(
        'books = Book.objects.prefetch_related(Prefetch("reviews", queryset=good))\n',
        'Book.objects.prefetch_related(Prefetch("reviews", queryset=good))',
        targets.PREFETCH_RELATED,
        ("tags",),
        'books = Book.objects.prefetch_related(Prefetch("reviews", queryset=good), "tags")\n',
        'Book.objects.prefetch_related(Prefetch("reviews", queryset=good), "tags")',
    )


def test_a_lookup_already_given_as_a_prefetch_object_is_refused() -> None:
    # Django raises "lookup was already seen with a different queryset" for the string next to the Prefetch.
    check_refused(
        'books = Book.objects.prefetch_related(Prefetch("reviews", queryset=good))\n',
        'Book.objects.prefetch_related(Prefetch("reviews", queryset=good))',
        targets.PREFETCH_RELATED,
        ("reviews__reviewer",),
        '.prefetch_related(...) already prefetches "reviews" with a Prefetch object',
    )


def test_select_related_without_arguments_is_not_narrowed() -> None:
    # select_related() follows every non-null foreign key; naming one would drop the others.
    check_refused(
        "books = Book.objects.select_related()\n",
        "Book.objects.select_related()",
        targets.SELECT_RELATED,
        ("editor",),
        ".select_related() without arguments already loads more than the fix names",
    )


def test_a_values_chain_is_refused() -> None:
    check_refused(
        'names = Book.objects.values("title").filter(active=True)\n',
        'Book.objects.values("title").filter(active=True)',
        targets.SELECT_RELATED,
        ("author",),
        ".values() in the chain: .select_related() would not apply to the rows",
    )


def test_a_chain_that_defers_columns_is_refused() -> None:
    # select_related() of a deferred foreign key raises FieldError.
    check_refused(
        'books = Book.objects.only("title")\n',
        'Book.objects.only("title")',
        targets.SELECT_RELATED,
        ("author",),
        ".only() in the chain conflicts with .select_related()",
    )


def test_an_empty_queryset_is_refused() -> None:
    check_refused(
        "queryset = Book.objects.none()\n",
        "Book.objects.none()",
        targets.SELECT_RELATED,
        ("author",),
        ".none() in the chain: the queryset has no rows to load anything for",
    )


def test_a_span_that_no_longer_names_an_expression_is_reported() -> None:
    source = "books = Book.objects.all()\n"
    edit = edit_at(source, "books = Book", targets.SELECT_RELATED, "author")

    assert _apply(source, edit) == (source, "the code there has changed")


# -- only() ---------------------------------------------------------------------------------------------------------


def test_a_field_is_added_to_only() -> None:
    check_transformed(
        "for book in Book.objects.only('title').order_by('title'):\n    print(book.summary)\n",
        "Book.objects.only('title').order_by('title')",
        targets.ONLY,
        ("summary",),
        "for book in Book.objects.only('title', 'summary').order_by('title'):\n    print(book.summary)\n",
        "Book.objects.only('title', 'summary').order_by('title')",
    )


def test_only_is_required_for_the_only_fix() -> None:
    check_refused(
        "books = Book.objects.filter(active=True)\n",
        "Book.objects.filter(active=True)",
        targets.ONLY,
        ("summary",),
        "no .only() call in the queryset expression",
    )


# -- list_select_related ----------------------------------------------------------------------------------------------

ADMIN_BEFORE = """\
@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    \"\"\"Books in the changelist.\"\"\"

    list_display = ('title', 'author_name')  # columns
    search_fields = ('title',)
"""


def _admin_edit(source: str, *paths: str) -> Edit:
    line = source[: source.index("class BookAdmin")].count("\n") + 1
    return Edit(
        targets.LIST_SELECT_RELATED, Applicability.SAFE, line, 1, line, 1, ("BookAdmin", *paths), text_digest(source)
    )


def test_list_select_related_is_added_below_list_display_in_its_quotes() -> None:
    fixed, reason = _apply(ADMIN_BEFORE, _admin_edit(ADMIN_BEFORE, "author"))

    assert reason == ""
    assert fixed == ADMIN_BEFORE.replace("  # columns\n", "  # columns\n    list_select_related = ('author',)\n")
    assert _apply(fixed, _admin_edit(fixed, "author")) == (fixed, ALREADY_THERE)


def test_an_existing_list_select_related_tuple_is_extended() -> None:
    source = ADMIN_BEFORE.replace("    search_fields", "    list_select_related = ('publisher',)\n    search_fields")

    fixed, reason = _apply(source, _admin_edit(source, "publisher", "author"))

    assert reason == ""
    assert fixed == source.replace("('publisher',)", "('publisher', 'author')")


def test_a_computed_list_select_related_is_refused() -> None:
    source = ADMIN_BEFORE.replace("    search_fields", "    list_select_related = RELATED\n    search_fields")

    assert _apply(source, _admin_edit(source, "author")) == (
        source,
        "list_select_related is not a literal tuple or list",
    )


# -- generic views ----------------------------------------------------------------------------------------------------


def test_a_view_naming_only_its_model_gets_a_queryset() -> None:
    before = """\
    class ReviewListView(ListView):
        model = Review  # newest first
        paginate_by = 20
    """
    after = """\
    class ReviewListView(ListView):
        model = Review  # newest first
        queryset = Review.objects.select_related("reviewer")
        paginate_by = 20
    """
    source = textwrap.dedent(before)
    edit = edit_at(source, "Review", targets.VIEW_QUERYSET, "objects", "select_related", "reviewer", occurrence=1)

    assert _apply(source, edit) == (textwrap.dedent(after), "")
    prefetch = edit_at(source, "Review", targets.VIEW_QUERYSET, "objects", "prefetch_related", "tags", occurrence=1)
    both = apply_edits(source, [edit, prefetch])
    assert both.fixed == textwrap.dedent(after).replace('("reviewer")', '("reviewer").prefetch_related("tags")')


# -- len() and truth tests --------------------------------------------------------------------------------------------


def test_len_of_a_name_becomes_count() -> None:
    check_transformed(
        "total = len(books)  # shown in the header\n",
        "len(books)",
        targets.COUNT,
        (),
        "total = books.count()  # shown in the header\n",
        "books.count()",
    )


def test_len_of_a_chain_becomes_count_on_the_chain() -> None:
    check_transformed(
        "total = len(Book.objects.filter(active=True))\n",
        "len(Book.objects.filter(active=True))",
        targets.COUNT,
        (),
        "total = Book.objects.filter(active=True).count()\n",
        "Book.objects.filter(active=True).count()",
    )


def test_a_truth_test_of_a_name_becomes_exists() -> None:
    check_transformed(
        "if not books:  # nothing to show\n    return None\n",
        "books",
        targets.EXISTS,
        (),
        "if not books.exists():  # nothing to show\n    return None\n",
        "books.exists()",
    )


def test_bool_of_a_queryset_becomes_exists() -> None:
    check_transformed(
        "has_books = bool(author.books.filter(active=True))\n",
        "bool(author.books.filter(active=True))",
        targets.EXISTS,
        (),
        "has_books = author.books.filter(active=True).exists()\n",
        "author.books.filter(active=True).exists()",
    )


def test_a_parenthesised_operand_of_a_truth_test_keeps_its_parentheses() -> None:
    check_transformed(
        "if (books):\n    pass\n",
        "books",
        targets.EXISTS,
        (),
        "if (books.exists()):\n    pass\n",
        "books.exists()",
    )


# -- several edits in one file ----------------------------------------------------------------------------------------


def test_edits_of_one_file_are_made_in_one_pass_and_equal_asks_are_made_once() -> None:
    source = "a = Book.objects.all()\nb = len(c)\n"
    first = edit_at(source, "Book.objects.all()", targets.SELECT_RELATED, "author")
    second = edit_at(source, "Book.objects.all()", targets.SELECT_RELATED, "author")
    third = edit_at(source, "len(c)", targets.COUNT)

    outcome = apply_edits(source, [first, second, third])

    assert outcome.fixed == 'a = Book.objects.select_related("author")\nb = c.count()\n'
    assert [(result.done, result.reason) for result in outcome.outcomes] == [(True, ""), (True, ""), (True, "")]


def test_an_edit_the_code_already_had_is_reported_whatever_the_order() -> None:
    # A finding asking for a join the queryset already has is mistaken: it is not counted as fixed.
    source = 'books = Book.objects.select_related("event")\n'
    present = edit_at(source, 'Book.objects.select_related("event")', targets.SELECT_RELATED, "event")
    missing = edit_at(source, 'Book.objects.select_related("event")', targets.SELECT_RELATED, "user")

    for edits in ([present, missing], [missing, present]):
        outcome = apply_edits(source, edits)

        assert outcome.fixed == 'books = Book.objects.select_related("event", "user")\n'
        assert {(result.edit.arguments, result.done, result.reason) for result in outcome.outcomes} == {
            (("event",), False, ALREADY_THERE),
            (("user",), True, ""),
        }


# -- annotate(Count(...)) (unsafe) -------------------------------------------------------------------------------------


def _annotate_edit(source: str, read: str) -> Edit:
    where = edit_at(source, read, targets.ANNOTATE_COUNT)
    span = f"{where.line}:{where.column}:{where.end_line}:{where.end_column}"
    return edit_at(source, "Author.objects.all()", targets.ANNOTATE_COUNT, "books", "books_count", span)


def test_a_count_per_row_becomes_an_annotation_and_count_is_imported() -> None:
    source = textwrap.dedent(
        """\
        from catalog.models import Author


        def book_counts():
            # one query for the authors
            return {author.name: author.books.count() for author in Author.objects.all()}
        """
    )

    fixed, reason = _apply(source, _annotate_edit(source, "author.books.count()"))

    assert reason == ""
    assert fixed == textwrap.dedent(
        """\
        from catalog.models import Author
        from django.db.models import Count


        def book_counts():
            # one query for the authors
            return {author.name: author.books_count for author in Author.objects.annotate(books_count=Count("books"))}
        """
    )


def test_count_is_named_through_models_when_the_module_imports_models() -> None:
    source = "from django.db import models\n\nrows = {a.pk: a.books.count() for a in Author.objects.all()}\n"
    edit = _annotate_edit(source, "a.books.count()")

    fixed, reason = _apply(source, edit)

    assert reason == ""
    assert fixed == source.replace("a.books.count()", "a.books_count").replace(
        "Author.objects.all()", 'Author.objects.annotate(books_count=models.Count("books"))'
    )


def test_an_annotation_whose_read_cannot_be_changed_is_not_made_at_all() -> None:
    # Both places or neither: an annotation nobody reads would only slow the query down.
    source = "rows = {a.pk: a.books.filter(x=1).count() for a in Author.objects.all()}\n"
    edit = _annotate_edit(source, "a.books.filter(x=1).count()")

    assert _apply(source, edit) == (source, "the per-row read is not a plain .count() of a related manager")


# -- Prefetch(..., to_attr=...) for a bypassed prefetch (unsafe) ------------------------------------------------------

PRAISE = """\
from django.db.models import Prefetch

from catalog.models import Book, Review


def praise():
    return {
        book.isbn: [review.body for review in book.reviews.filter(rating__gte=GOOD)]  # per book
        for book in Book.objects.prefetch_related("tags")
    }
"""


def _prefetch_edit(source: str, read: str, origin: str) -> Edit:
    where = edit_at(source, read, targets.PREFETCH_FILTERED)
    span = f"{where.line}:{where.column}:{where.end_line}:{where.end_column}"
    return edit_at(source, origin, targets.PREFETCH_FILTERED, "reviews", "reviews_filter", "Review", "filter", span)


def test_a_bypassed_prefetch_becomes_a_filtered_prefetch_read_through_to_attr() -> None:
    edit = _prefetch_edit(PRAISE, "book.reviews.filter(rating__gte=GOOD)", 'Book.objects.prefetch_related("tags")')

    fixed, reason = _apply(PRAISE, edit)

    assert reason == ""
    assert fixed == PRAISE.replace("book.reviews.filter(rating__gte=GOOD)", "book.reviews_filter").replace(
        'prefetch_related("tags")',
        'prefetch_related("tags", Prefetch("reviews", queryset=Review.objects.filter(rating__gte=GOOD), '
        'to_attr="reviews_filter"))',
    )
    again = _prefetch_edit(
        fixed, "book.reviews_filter", fixed[fixed.index("Book.objects") : fixed.index(")\n    }") + 1]
    )
    assert _apply(fixed, again) == (fixed, ALREADY_THERE)


def test_prefetch_is_imported_when_the_module_lacks_it() -> None:
    source = PRAISE.replace("from django.db.models import Prefetch\n\n", "")
    edit = _prefetch_edit(source, "book.reviews.filter(rating__gte=GOOD)", 'Book.objects.prefetch_related("tags")')

    fixed, _ = _apply(source, edit)

    assert fixed.startswith("from catalog.models import Book, Review\nfrom django.db.models import Prefetch\n")


def test_a_shorter_prefetch_path_is_extended_in_place() -> None:
    check_transformed(
        'mails = event.queued_mails.filter(draft=True).prefetch_related("to_speakers")\n',
        'event.queued_mails.filter(draft=True).prefetch_related("to_speakers")',
        targets.PREFETCH_RELATED,
        ("to_speakers__user",),
        'mails = event.queued_mails.filter(draft=True).prefetch_related("to_speakers__user")\n',
        'event.queued_mails.filter(draft=True).prefetch_related("to_speakers__user")',
    )
