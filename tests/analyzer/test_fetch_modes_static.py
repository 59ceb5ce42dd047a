"""Django 6.1's fetch modes in the static pass: FETCH_PEERS reads per row are quiet where Django batches them and
still findings where it does not (related managers), FETCH_RAISE reads of unloaded data are ORM108, FETCH_ONE is the
default, the mode follows chains, managers, Prefetch querysets and related objects, and fixes fit the project's
Django version."""

from __future__ import annotations

from pathlib import Path

from tests.analyzer.flow_helpers import expected, flow_findings, marked_lines
from tests.analyzer.helpers import analyze_tree, codes_and_lines

PEERS_ALTERNATIVE = " or .fetch_mode(models.FETCH_PEERS)"


# --- FETCH_PEERS: Django loads the relation for every row at the first read ---------------------------------------


def test_forward_foreign_key_under_fetch_peers_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def author_names():
            return [book.author.name for book in Book.objects.fetch_mode(models.FETCH_PEERS)]
        """,
    )
    assert findings == []


def test_fetch_peers_imported_by_name_and_reverse_one_to_one_generic_key_and_deferred_field_are_quiet(
    tmp_path: Path,
) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        from django.db.models import FETCH_PEERS


        def report():
            bios = [author.profile for author in Author.objects.fetch_mode(FETCH_PEERS)]
            targets = [comment.content_object for comment in Comment.objects.fetch_mode(FETCH_PEERS)]
            titles = [book.title for book in Book.objects.only("id").fetch_mode(FETCH_PEERS)]
            return bios, targets, titles
        """,
    )
    assert findings == []


def test_fetch_peers_follows_the_chain_variables_and_related_objects(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def publishers():
            books = Book.objects.fetch_mode(models.FETCH_PEERS)
            recent = books.filter(title__startswith="A").order_by("title")
            return [book.author.publisher.name for book in recent]
        """,
    )
    assert findings == []


def test_related_manager_under_fetch_peers_is_still_a_finding(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def tag_index():
            for book in Book.objects.fetch_mode(models.FETCH_PEERS):  # built
                print([tag.name for tag in book.tags.all()])  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM102")
    built = marked_lines(source, "# built")[0]
    assert findings[0].message == (
        f"book.tags.all() runs one query per row of Book.objects.fetch_mode(...) (line {built}); "
        'add .prefetch_related("tags") there'
    )


def test_related_count_under_fetch_peers_is_still_a_finding(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def counts():
            authors = Author.objects.fetch_mode(models.FETCH_PEERS)
            return {author.name: author.books.count() for author in authors}  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM202")


def test_rows_of_a_related_manager_take_the_mode_of_its_instance(tmp_path: Path) -> None:
    # author.books.all() is a query per author; the books it loads carry FETCH_PEERS, so their publisher is not.
    source, findings = flow_findings(
        tmp_path,
        """
        def publishers():
            for author in Author.objects.fetch_mode(models.FETCH_PEERS):
                for book in author.books.all():  # expect
                    print(book.publisher.name)
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM102")


def test_manager_whose_get_queryset_sets_fetch_peers_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        class PeersManager(models.Manager):
            def get_queryset(self):
                return super().get_queryset().fetch_mode(models.FETCH_PEERS)


        class Edition(models.Model):
            book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="editions")
            objects = PeersManager()

            def __str__(self):
                return str(self.pk)


        def edition_titles():
            return [edition.book.title for edition in Edition.objects.all()]
        """,
    )
    assert findings == []


def test_prefetch_queryset_gives_its_rows_its_mode(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        from django.db.models import Prefetch


        def publishers():
            books = Prefetch("books", queryset=Book.objects.fetch_mode(models.FETCH_PEERS))
            for author in Author.objects.prefetch_related(books):
                print([book.publisher.name for book in author.books.all()])
        """,
    )
    assert findings == []


def test_rows_of_a_plain_prefetch_load_one_at_a_time_whatever_the_outer_mode(tmp_path: Path) -> None:
    # Django prefetches a reverse FK with the related model's own queryset, in FETCH_ONE.
    source, findings = flow_findings(
        tmp_path,
        """
        def publishers():
            for author in Author.objects.fetch_mode(models.FETCH_PEERS).prefetch_related("books"):
                print([book.publisher.name for book in author.books.all()])  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_explicit_fetch_one_and_a_mode_reset_are_findings(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def author_names():
            once = [book.author.name for book in Book.objects.fetch_mode(models.FETCH_ONE)]  # expect
            books = Book.objects.fetch_mode(models.FETCH_PEERS).fetch_mode(models.FETCH_ONE)
            return once, [book.author.name for book in books]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


def test_mode_from_a_variable_is_not_guessed(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def author_names(mode):
            return [book.author.name for book in Book.objects.fetch_mode(mode)]
        """,
    )
    assert findings == []


def test_branches_with_different_modes_report_the_one_at_a_time_branch(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def author_names(fast):
            books = Book.objects.all()
            if fast:
                books = books.fetch_mode(models.FETCH_PEERS)
            return [book.author.name for book in books]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM101")


# --- FETCH_RAISE: a read of unloaded data per row raises; ORM108 --------------------------------------------------


def test_fetch_raise_forward_foreign_key_per_row_is_orm108(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def author_names():
            books = Book.objects.fetch_mode(models.FETCH_RAISE)  # built
            return [book.author.name for book in books]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM108")
    built = marked_lines(source, "# built")[0]
    assert findings[0].message == (
        f"book.author is not loaded by Book.objects.fetch_mode(...) (line {built}), whose FETCH_RAISE makes "
        'reading it per row raise FieldFetchBlocked; add .select_related("author") there'
    )
    assert findings[0].fix is not None
    assert (findings[0].fix.message, findings[0].fix.line) == ('add .select_related("author")', built)


def test_fetch_raise_deferred_field_generic_key_and_reverse_one_to_one_are_orm108(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        from django.db.models import FETCH_RAISE


        def report():
            titles = [book.title for book in Book.objects.only("id").fetch_mode(FETCH_RAISE)]  # expect
            targets = [comment.content_object for comment in Comment.objects.fetch_mode(FETCH_RAISE)]  # expect
            profiles = [author.profile for author in Author.objects.fetch_mode(FETCH_RAISE)]  # expect
            return titles, targets, profiles
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM108")
    assert [finding.fix.message for finding in findings if finding.fix is not None] == [
        'add "title" to .only(...)',
        'add .prefetch_related("content_object")',
        'add .select_related("profile")',
    ]


def test_fetch_raise_with_the_data_loaded_is_quiet(tmp_path: Path) -> None:
    _, findings = flow_findings(
        tmp_path,
        """
        def author_names():
            books = Book.objects.select_related("author").fetch_mode(models.FETCH_RAISE)
            return [book.author.name for book in books]
        """,
    )
    assert findings == []


def test_fetch_raise_related_manager_is_not_blocked_and_stays_orm102(tmp_path: Path) -> None:
    source, findings = flow_findings(
        tmp_path,
        """
        def tag_index():
            return [list(book.tags.all()) for book in Book.objects.fetch_mode(models.FETCH_RAISE)]  # expect
        """,
    )
    assert codes_and_lines(findings) == expected(source, "ORM102")


# --- fixes that fit the project's Django -------------------------------------------------------------------------


def _with_django(tmp_path: Path, requirement: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "shop"\ndependencies = ["{requirement}"]\n')


def test_django_61_project_is_offered_fetch_peers_beside_select_related(tmp_path: Path) -> None:
    _with_django(tmp_path, "Django>=6.1,<7")
    source, findings = flow_findings(
        tmp_path,
        """
        def report():
            names = [book.author.name for book in Book.objects.all()]  # expect
            titles = [book.title for book in Book.objects.only("id")]  # expect
            return names, titles
        """,
    )
    assert codes_and_lines(findings) == [("ORM101", marked_lines(source)[0]), ("ORM106", marked_lines(source)[1])]
    assert [finding.fix.message for finding in findings if finding.fix is not None] == [
        f'add .select_related("author"){PEERS_ALTERNATIVE}',
        f'add "title" to .only(...){PEERS_ALTERNATIVE}',
    ]
    assert findings[0].message.endswith(f'; add .select_related("author"){PEERS_ALTERNATIVE} there')


def test_django_61_project_gets_no_fetch_peers_for_related_managers(tmp_path: Path) -> None:
    _with_django(tmp_path, "Django>=6.1")
    _, findings = flow_findings(
        tmp_path,
        """
        def tag_index():
            return [list(book.tags.all()) for book in Book.objects.all()]
        """,
    )
    assert [(finding.code, finding.fix.message if finding.fix else None) for finding in findings] == [
        ("ORM102", 'add .prefetch_related("tags")')
    ]


def test_django_52_project_gets_select_related_only(tmp_path: Path) -> None:
    _with_django(tmp_path, "Django>=5.2,<7")
    _, findings = flow_findings(
        tmp_path,
        """
        def author_names():
            return [book.author.name for book in Book.objects.all()]
        """,
    )
    assert [finding.fix.message for finding in findings if finding.fix is not None] == ['add .select_related("author")']


def test_django_61_fix_for_a_generic_key_a_partial_select_related_and_a_property(tmp_path: Path) -> None:
    _with_django(tmp_path, "Django~=6.1")
    _, findings = flow_findings(
        tmp_path,
        """
        def report():
            targets = [comment.content_object for comment in Comment.objects.all()]
            comments = [list(book.comments.all()) for book in Book.objects.all()]
            publishers = [review.book.publisher.name for review in Review.objects.select_related("book")]
            return targets, comments, publishers
        """,
    )
    assert [(finding.code, finding.fix.message if finding.fix else None) for finding in findings] == [
        ("ORM103", f'add .prefetch_related("content_object"){PEERS_ALTERNATIVE}'),
        ("ORM103", 'add .prefetch_related("comments")'),
        ("ORM104", f'add .select_related("book__publisher"){PEERS_ALTERNATIVE}'),
    ]


TEMPLATE_MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title
"""
TEMPLATE_VIEWS = """
from django.db import models
from django.shortcuts import render

from shop.models import Book


def book_list(request):
    books = Book.objects.{mode}
    return render(request, "shop/book_list.html", {{"books": books}})
"""
BOOK_LOOP = "{% for book in books %}\n<li>{{ book.title }} by {{ book.author.name }}</li>\n{% endfor %}\n"


def test_template_loop_over_a_fetch_peers_queryset_is_quiet_and_fetch_one_is_orm110(tmp_path: Path) -> None:
    def findings(folder: str, mode: str) -> list[tuple[str, int]]:
        files = {
            "shop/models.py": TEMPLATE_MODELS,
            "shop/views.py": TEMPLATE_VIEWS.format(mode=mode),
            "shop/templates/shop/book_list.html": BOOK_LOOP,
        }
        return codes_and_lines(analyze_tree(tmp_path / folder, files, select=("ORM110",)).findings)

    assert findings("peers", "fetch_mode(models.FETCH_PEERS)") == []
    assert findings("one", "fetch_mode(models.FETCH_ONE)") == [("ORM110", 2)]
