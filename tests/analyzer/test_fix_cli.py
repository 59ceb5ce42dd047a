"""``--fix``, ``--diff`` and ``--unsafe-fixes`` through the command line, with the real rules on a small app.

The app has one site per safe fix kind the flow rules attach (a join, a prefetch, ``len()``, a truth test), a
queryset built in one module and read in another, and a related manager's ``.all()`` whose join is unsafe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.findings import Finding
from analyzer.fix.plan import FixSettings, plan_fixes
from tests.analyzer.helpers import write_tree

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Publisher(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    in_print = models.BooleanField(default=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books")

    def __str__(self):
        return self.title
"""
SELECTORS = """
from shop.models import Book


def books_in_print():
    return Book.objects.filter(in_print=True)
"""
SERVICES = """
from shop import selectors


def export_rows():
    return [(book.title, book.publisher.name) for book in selectors.books_in_print()]
"""
VIEWS = """
from shop.models import Author, Book


def author_names():
    books = Book.objects.all()  # every book
    return [book.author.name for book in books]


def tag_index():
    return {book.pk: [tag.name for tag in book.tags.all()] for book in Book.objects.filter(in_print=True)}


def count_books():
    books = Book.objects.filter(in_print=True)
    return len(books)


def has_books():
    books = Book.objects.filter(in_print=True)
    if books:
        return True
    return False


def publisher_names(author_id):
    author = Author.objects.get(pk=author_id)
    return [book.publisher.name for book in author.books.all()]
"""
FIXED_VIEWS = (
    VIEWS.replace("Book.objects.all()  #", 'Book.objects.select_related("author")  #')
    .replace(
        "in Book.objects.filter(in_print=True)}", 'in Book.objects.filter(in_print=True).prefetch_related("tags")}'
    )
    .replace("return len(books)", "return books.count()")
    .replace("if books:", "if books.exists():")
    .lstrip("\n")
)
FIXED_SELECTORS = SELECTORS.replace("in_print=True)", 'in_print=True).select_related("publisher")').lstrip("\n")
UNSAFE_VIEWS = FIXED_VIEWS.replace("author.books.all()", 'author.books.select_related("publisher")')
SELECT = ["--select", "ORM1,ORM4", "--no-cache"]


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(
        tmp_path,
        {
            "shop/models.py": MODELS,
            "shop/selectors.py": SELECTORS,
            "shop/services.py": SERVICES,
            "shop/views.py": VIEWS,
        },
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _read(shop: Path, name: str) -> str:
    return (shop / "shop" / name).read_text(encoding="utf-8")


def test_text_report_marks_safe_and_unsafe_fixes(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*SELECT, "--show-fix", "."])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [line.split(" ", 2)[1:] for line in lines[:6]] == [
        ["ORM101", '[*] book.publisher is loaded once per row of Book.objects.filter(...) (shop/selectors.py:5); '
         'add .select_related("publisher") there'],
        ["ORM101", '[*] book.author is loaded once per row of Book.objects.all() (line 5); '
         'add .select_related("author") there'],
        ["ORM102", '[*] book.tags.all() runs one query per row of Book.objects.filter(...) (line 10); '
         'add .prefetch_related("tags") there'],
        ["ORM401", "[*] len(books) loads every Book row only to count them; use books.count()"],
        ["ORM402", "[*] testing books loads every Book row only to see if there is one; use books.exists()"],
        ["ORM101", "[unsafe fix] book.publisher is loaded once per row of author.books.all() (line 27); "
         'add .select_related("publisher") there'],
    ]  # fmt: skip
    assert lines[-1] == "[*] 5 fixable with --fix (1 more with --unsafe-fixes)."


def test_fix_applies_the_safe_fixes_and_reports_what_remains(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*SELECT, "--fix", "."])

    captured = capsys.readouterr()
    assert code == 1  # the unsafe one remains
    assert _read(shop, "views.py") == FIXED_VIEWS
    # The queryset read in services.py is built in selectors.py: the fix goes where it is built.
    assert _read(shop, "selectors.py") == FIXED_SELECTORS
    assert _read(shop, "services.py") == SERVICES.lstrip("\n")
    assert captured.err.splitlines()[-1] == "Fixed 5 findings in 2 files."
    assert captured.out.splitlines()[0].startswith("shop/views.py:27:13: ORM101 [unsafe fix] ")
    assert "Found 1 finding in 5 files" in captured.out


def test_a_second_fix_changes_nothing(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([*SELECT, "--fix", "."])
    capsys.readouterr()

    code = main([*SELECT, "--fix", "."])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == "Fixed 0 findings in 0 files."
    assert (_read(shop, "views.py"), _read(shop, "selectors.py")) == (FIXED_VIEWS, FIXED_SELECTORS)


def test_unsafe_fixes_apply_the_rest_and_exit_zero_when_nothing_remains(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*SELECT, "--fix", "--unsafe-fixes", "."])

    captured = capsys.readouterr()
    assert code == 0
    assert _read(shop, "views.py") == UNSAFE_VIEWS
    assert captured.err.splitlines()[-1] == "Fixed 6 findings in 2 files."
    assert captured.out.startswith("Found 0 findings in 5 files")


def test_diff_prints_the_edits_and_writes_nothing(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*SELECT, "--fixable", "ORM101", "--diff", "."])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == (
        "--- a/shop/selectors.py\n"
        "+++ b/shop/selectors.py\n"
        "@@ -2,4 +2,4 @@\n"
        " \n"
        " \n"
        " def books_in_print():\n"
        "-    return Book.objects.filter(in_print=True)\n"
        '+    return Book.objects.filter(in_print=True).select_related("publisher")\n'
        "--- a/shop/views.py\n"
        "+++ b/shop/views.py\n"
        "@@ -2,7 +2,7 @@\n"
        " \n"
        " \n"
        " def author_names():\n"
        "-    books = Book.objects.all()  # every book\n"
        '+    books = Book.objects.select_related("author")  # every book\n'
        "     return [book.author.name for book in books]\n"
        " \n"
        " \n"
    )
    assert captured.err.splitlines()[-1] == "Would fix 2 findings in 2 files (1 more fix with --unsafe-fixes)."
    assert _read(shop, "views.py") == VIEWS.lstrip("\n")


def test_diff_is_empty_and_exits_zero_when_there_is_nothing_to_fix(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main([*SELECT, "--fix", "."])
    capsys.readouterr()

    code = main([*SELECT, "--diff", "."])

    captured = capsys.readouterr()
    assert (code, captured.out) == (0, "")
    assert captured.err.splitlines()[-1] == "Would fix 0 findings in 0 files (1 more fix with --unsafe-fixes)."


def test_unfixable_codes_are_left_alone(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*SELECT, "--fix", "--unfixable", "ORM1", "."])

    assert code == 1
    assert _read(shop, "selectors.py") == SELECTORS.lstrip("\n")
    assert _read(shop, "views.py") == VIEWS.lstrip("\n").replace("return len(books)", "return books.count()").replace(
        "if books:", "if books.exists():"
    )
    assert capsys.readouterr().err.splitlines()[-1] == "Fixed 2 findings in 1 file."


def test_the_configuration_file_turns_fixing_on(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shop / "pyproject.toml").write_text(
        '[tool.django-orm-analyzer]\nfix = true\nunsafe-fixes = true\nfixable = ["ORM401"]\n', encoding="utf-8"
    )

    code = main([*SELECT, "."])

    assert code == 1
    assert _read(shop, "views.py") == VIEWS.lstrip("\n").replace("return len(books)", "return books.count()")
    assert capsys.readouterr().err.splitlines()[-1] == "Fixed 1 finding in 1 file."
    assert main([*SELECT, "--no-fix", "--fixable", "ORM402", "."]) == 1
    assert "if books:" in _read(shop, "views.py")


def test_an_unknown_fixable_code_is_a_usage_error(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*SELECT, "--fix", "--fixable", "ORM777", "."]) == 2
    assert capsys.readouterr().err == "django-orm-analyzer: error: unknown rule code or prefix in fixable: ORM777\n"


def test_a_file_changed_since_the_analysis_is_left_alone(shop: Path) -> None:
    result = analyze(["."], Config(select=("ORM1", "ORM4"), cache=False), cwd=shop)
    views = shop / "shop" / "views.py"
    changed = views.read_text(encoding="utf-8").replace("# every book", "# all of them")
    views.write_text(changed, encoding="utf-8")

    plan = plan_fixes(result.findings, FixSettings(), shop)

    assert [change.path for change in plan.changes] == ["shop/selectors.py"]
    assert plan.notes == ("shop/views.py: changed since it was analysed; 4 fixes not applied",)
    assert views.read_text(encoding="utf-8") == changed


def test_json_findings_carry_the_edit_and_read_back_equal(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([*SELECT, "--format", "json", "."])

    findings = json.loads(capsys.readouterr().out)["findings"]
    edits = [(item["code"], item["fix"]["edit"]["kind"], item["fix"]["edit"]["applicability"]) for item in findings]
    assert edits == [
        ("ORM101", "select_related", "safe"),
        ("ORM101", "select_related", "safe"),
        ("ORM102", "prefetch_related", "safe"),
        ("ORM401", "count", "safe"),
        ("ORM402", "exists", "safe"),
        ("ORM101", "select_related", "unsafe"),
    ]
    assert [Finding.from_dict(item).to_dict() for item in findings] == findings
