"""The write-in-loop fixes on source text: bulk_create, bulk_update and one queryset delete, before and after (with
comments and odd layouts), the same fix on the fixed text (nothing changes), and the loops they refuse, with why.

The edit's span is the write call, as the rules give it (``edit_at`` finds it by its text).
"""

from __future__ import annotations

import textwrap

from analyzer.findings import Edit
from analyzer.fix import targets
from analyzer.fix.apply import ALREADY_THERE, NOT_IN_A_LOOP, apply_edits
from tests.analyzer.test_fix_edits import edit_at


def _apply(source: str, edit: Edit) -> tuple[str, str]:
    outcome = apply_edits(source, [edit])
    (result,) = outcome.outcomes
    return outcome.fixed, result.reason


def check_transformed(before: str, call: str, kind: str, arguments: tuple[str, ...], after: str, again: str) -> None:
    """The write ``call`` in ``before`` fixed gives ``after``; the same fix of ``again`` in ``after`` changes
    nothing and says the code already has it."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert _apply(before, edit_at(before, call, kind, *arguments)) == (after, "")
    assert _apply(after, edit_at(after, again, kind, *arguments)) == (after, ALREADY_THERE)


def check_refused(before: str, call: str, kind: str, arguments: tuple[str, ...], reason: str) -> None:
    before = textwrap.dedent(before)
    assert _apply(before, edit_at(before, call, kind, *arguments)) == (before, reason)


CREATE = (targets.BULK_CREATE, ("Tag",))


# -- bulk_create ----------------------------------------------------------------------------------------------------


def test_a_create_per_item_becomes_a_list_and_one_bulk_create_keeping_comments_and_layout() -> None:
    check_transformed(
        """\
        def add_tags(names, extra):
            count = 0

            # one tag per name
            for name in names:  # the names
                Tag.objects.create(
                    name=name,  # as given
                    **extra,
                )  # one INSERT each
            return count
        """,
        "Tag.objects.create(\n            name=name,  # as given\n            **extra,\n        )",
        *CREATE,
        """\
        def add_tags(names, extra):
            count = 0

            # one tag per name
            new_tags: list[Tag] = []
            for name in names:  # the names
                new_tags.append(Tag(
                    name=name,  # as given
                    **extra,
                ))  # one INSERT each
            Tag.objects.bulk_create(new_tags)
            return count
        """,
        "new_tags.append(Tag(\n            name=name,  # as given\n            **extra,\n        ))",
    )


def test_a_create_under_an_if_without_else_is_collected_under_it() -> None:
    check_transformed(
        """\
        for name in names:
            if name:
                if len(name) < 50:
                    Tag.objects.create(name=name)
        """,
        "Tag.objects.create(name=name)",
        *CREATE,
        """\
        new_tags: list[Tag] = []
        for name in names:
            if name:
                if len(name) < 50:
                    new_tags.append(Tag(name=name))
        Tag.objects.bulk_create(new_tags)
        """,
        "new_tags.append(Tag(name=name))",
    )


def test_the_list_gets_a_name_the_module_does_not_use() -> None:
    check_transformed(
        """\
        new_tags = load()
        for name in new_tags:
            Tag.objects.create(name=name)
        """,
        "Tag.objects.create(name=name)",
        *CREATE,
        """\
        new_tags = load()
        new_tags_2: list[Tag] = []
        for name in new_tags:
            new_tags_2.append(Tag(name=name))
        Tag.objects.bulk_create(new_tags_2)
        """,
        "new_tags_2.append(Tag(name=name))",
    )


def test_two_loops_of_one_block_are_both_fixed() -> None:
    source = "for a in names:\n    Tag.objects.create(name=a)\nfor b in names:\n    Tag.objects.create(name=b)\n"
    edits = [
        edit_at(source, "Tag.objects.create(name=a)", targets.BULK_CREATE, "Tag"),
        edit_at(source, "Tag.objects.create(name=b)", targets.BULK_CREATE, "Tag"),
    ]

    outcome = apply_edits(source, edits)

    # One name for both lists: each is started right before its loop and used up right after it.
    assert outcome.fixed == "".join(
        f"new_tags: list[Tag] = []\nfor {name} in names:\n    new_tags.append(Tag(name={name}))\n"
        "Tag.objects.bulk_create(new_tags)\n"
        for name in "ab"
    )
    assert [(result.done, result.reason) for result in outcome.outcomes] == [(True, ""), (True, "")]


def test_a_create_whose_result_is_used_is_refused() -> None:
    check_refused(
        "for name in names:\n    tag = Tag.objects.create(name=name)\n",
        "Tag.objects.create(name=name)",
        *CREATE,
        "the created object is used",
    )


def test_a_create_in_the_test_of_an_if_is_refused() -> None:
    check_refused(
        "for name in names:\n    if Tag.objects.create(name=name):\n        pass\n",
        "Tag.objects.create(name=name)",
        *CREATE,
        "the write's result is used",
    )


def test_loops_that_leave_early_or_have_an_else_are_refused() -> None:
    template = "for name in names:\n    if not name:\n        {}\n    Tag.objects.create(name=name)\n"
    for statement in ("break", "continue", "return None", "raise ValueError(name)"):
        keyword = statement.split()[0]
        check_refused(
            template.format(statement),
            "Tag.objects.create(name=name)",
            *CREATE,
            f"the loop has a {keyword} statement, so the bulk write after it may not run as the per-row writes did",
        )
    check_refused(
        "for name in names:\n    Tag.objects.create(name=name)\nelse:\n    done()\n",
        "Tag.objects.create(name=name)",
        *CREATE,
        "the loop has an else branch",
    )


def test_a_break_of_an_inner_loop_does_not_refuse_the_outer_one() -> None:
    check_transformed(
        """\
        for name in names:
            for other in names:
                break
            Tag.objects.create(name=name)
        """,
        "Tag.objects.create(name=name)",
        *CREATE,
        """\
        new_tags: list[Tag] = []
        for name in names:
            for other in names:
                break
            new_tags.append(Tag(name=name))
        Tag.objects.bulk_create(new_tags)
        """,
        "new_tags.append(Tag(name=name))",
    )


def test_a_create_in_an_if_with_an_else_is_refused() -> None:
    check_refused(
        "for name in names:\n    if name:\n        Tag.objects.create(name=name)\n    else:\n        skip(name)\n",
        "Tag.objects.create(name=name)",
        *CREATE,
        "the write is in an if with an else or elif branch, which does something else",
    )


def test_a_create_in_a_try_block_is_refused() -> None:
    check_refused(
        "for name in names:\n    try:\n        Tag.objects.create(name=name)\n    except KeyError:\n        pass\n",
        "Tag.objects.create(name=name)",
        *CREATE,
        "the write is inside a try block of the loop",
    )


def test_a_create_through_another_manager_or_with_positional_arguments_is_refused() -> None:
    check_refused(
        "for name in names:\n    Tag.visible.create(name=name)\n",
        "Tag.visible.create(name=name)",
        *CREATE,
        "the write is not a plain Tag.objects.create(...)",
    )
    check_refused(
        "for name in names:\n    Tag.objects.create(name)\n",
        "Tag.objects.create(name)",
        *CREATE,
        "create() has positional arguments",
    )


def test_a_create_in_a_comprehension_is_not_in_a_for_loop() -> None:
    check_refused(
        "tags = [Tag.objects.create(name=name) for name in names]\n",
        "Tag.objects.create(name=name)",
        *CREATE,
        NOT_IN_A_LOOP,
    )


def test_a_loop_body_on_the_for_line_is_refused() -> None:
    check_refused(
        "for name in names: Tag.objects.create(name=name)\n",
        "Tag.objects.create(name=name)",
        *CREATE,
        "the loop's body is on the for line",
    )


# -- bulk_update ----------------------------------------------------------------------------------------------------

UPDATE = (targets.BULK_UPDATE, ("Book", "price", "stock"))


def test_assignments_and_save_per_row_become_one_bulk_update_of_the_assigned_fields() -> None:
    check_transformed(
        """\
        def discount(rate):
            for book in Book.objects.filter(
                active=True,
            ):
                # cheaper now
                book.price = book.price * rate
                book.stock -= 1
                book.save()  # one UPDATE per book
                log(book.title)
        """,
        "book.save()",
        *UPDATE,
        """\
        def discount(rate):
            changed_books: list[Book] = []
            for book in Book.objects.filter(
                active=True,
            ):
                # cheaper now
                book.price = book.price * rate
                book.stock -= 1
                changed_books.append(book)  # one UPDATE per book
                log(book.title)
            Book.objects.bulk_update(changed_books, ["price", "stock"])
        """,
        "changed_books.append(book)",
    )


def test_update_fields_give_the_fields_in_their_own_quotes() -> None:
    check_transformed(
        """\
        for book in books:
            book.price = 1
            book.save(update_fields=['price'])
        """,
        "book.save(update_fields=['price'])",
        targets.BULK_UPDATE,
        ("Book", "price"),
        """\
        changed_books: list[Book] = []
        for book in books:
            book.price = 1
            changed_books.append(book)
        Book.objects.bulk_update(changed_books, ['price'])
        """,
        "changed_books.append(book)",
    )


SAVE_LOOP = "for book in books:\n    book.price = 1\n    {}\n    book.save()\n"


def test_a_save_of_an_object_handed_to_other_code_is_refused() -> None:
    # Whatever the other code sets would be saved by save() and left out by bulk_update().
    check_refused(
        SAVE_LOOP.format("restock(book)"),
        "book.save()",
        *UPDATE,
        "book is handed to other code, which may change fields that bulk_update() would not write",
    )
    check_refused(
        SAVE_LOOP.format("book.restock()"),
        "book.save()",
        *UPDATE,
        "book.restock() may change fields that bulk_update() would not write",
    )


def test_fields_assigned_other_than_by_a_plain_statement_are_refused() -> None:
    check_refused(
        SAVE_LOOP.format("if cheap:\n        book.stock = 0"),
        "book.save()",
        *UPDATE,
        "a field of book is assigned other than by a plain statement of the loop's body",
    )
    check_refused(
        SAVE_LOOP.format("book.stock, book.title = 0, ''"),
        "book.save()",
        *UPDATE,
        "a field of book is assigned other than by a plain statement of the loop's body",
    )


def test_a_field_assigned_after_save_is_refused() -> None:
    check_refused(
        "for book in books:\n    book.save()\n    book.price = 1\n",
        "book.save()",
        *UPDATE,
        "book.price is assigned after save()",
    )


def test_save_with_other_arguments_twice_or_under_an_if_is_refused() -> None:
    check_refused(
        "for book in books:\n    book.price = 1\n    book.save(force_update=True)\n",
        "book.save(force_update=True)",
        *UPDATE,
        "save() has arguments other than a literal update_fields",
    )
    check_refused(
        "for book in books:\n    book.price = 1\n    book.save()\n    book.save()\n",
        "book.save()",
        *UPDATE,
        "save() is called more than once in the loop",
    )
    check_refused(
        "for book in books:\n    book.price = 1\n    if book.price:\n        book.save()\n",
        "book.save()",
        *UPDATE,
        "save() is inside an if block of the loop",
    )


def test_a_save_of_something_else_than_the_loop_variable_is_refused() -> None:
    check_refused(
        "for book, n in pairs:\n    book.price = n\n    book.save()\n",
        "book.save()",
        *UPDATE,
        "the loop does not name its rows with one variable",
    )
    check_refused(
        "for book in books:\n    book.author.name = 'x'\n    book.author.save()\n",
        "book.author.save()",
        *UPDATE,
        "the write is not a plain book.save() statement",
    )


# -- one queryset delete --------------------------------------------------------------------------------------------

DELETE = (targets.QUERYSET_DELETE, ())


def test_a_loop_deleting_each_row_becomes_one_delete_of_its_queryset_keeping_comments() -> None:
    check_transformed(
        """\
        def purge(cutoff):
            # the old ones
            for comment in Comment.objects.filter(  # stale
                created_at__lt=cutoff,
            ).order_by("pk"):
                comment.delete()  # one DELETE each
            return cutoff
        """,
        "comment.delete()",
        *DELETE,
        """\
        def purge(cutoff):
            # the old ones
            Comment.objects.filter(  # stale
                created_at__lt=cutoff,
            ).order_by("pk").delete()  # one DELETE each
            return cutoff
        """,
        'Comment.objects.filter(  # stale\n        created_at__lt=cutoff,\n    ).order_by("pk").delete()',
    )


def test_a_related_managers_rows_are_deleted_at_once_and_both_comments_are_kept() -> None:
    check_transformed(
        "for line in order.lines.all():  # every line\n    # lines first\n    line.delete()  # cascades\n",
        "line.delete()",
        *DELETE,
        "# every line\n# lines first\norder.lines.all().delete()  # cascades\n",
        "order.lines.all().delete()",
    )


def test_a_loop_doing_more_than_deleting_is_refused() -> None:
    check_refused(
        "for comment in comments.all():\n    comment.delete()\n    count += 1\n",
        "comment.delete()",
        *DELETE,
        "the loop does more than delete its rows",
    )


def test_rows_django_cannot_delete_at_once_are_refused() -> None:
    for iterable, reason in (
        ("Comment.objects.all()[:10]", "the loop's queryset is sliced, and Django cannot delete a slice"),
        ("Comment.objects.distinct()", ".distinct() in the loop's queryset, which Django cannot delete through"),
        ("stale_comments()", "the loop's rows come from a function call, not a queryset"),
        ("comments", "the loop's rows are not a queryset of a manager"),
    ):
        check_refused(f"for comment in {iterable}:\n    comment.delete()\n", "comment.delete()", *DELETE, reason)


def test_a_loop_variable_read_after_the_loop_is_refused() -> None:
    check_refused(
        "for comment in Comment.objects.all():\n    comment.delete()\nprint(comment)\n",
        "comment.delete()",
        *DELETE,
        "comment is read after the loop, where it would no longer be set",
    )
