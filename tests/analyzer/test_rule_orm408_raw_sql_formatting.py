"""ORM408 raw-sql-formatting: formatted SQL passed to raw(), extra(), execute() and RawSQL()."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding, RelatedLocation, Severity
from tests.analyzer.helpers import analyze_snippet, codes_and_lines

HEADER = """\
from django.db import connection, models
from django.db.models.expressions import RawSQL


class Book(models.Model):
    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


"""


def findings(tmp_path: Path, body: str) -> list[Finding]:
    return analyze_snippet(tmp_path, HEADER + body, select=("ORM408",))


def test_each_api_with_formatted_sql_is_reported(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def search(term, order, ids):
    Book.objects.raw("SELECT * FROM app_book WHERE title = '%s'" % term)
    Book.objects.extra(where=["title LIKE '{}%%'".format(term)])
    Book.objects.annotate(x=RawSQL("SELECT 1 FROM t WHERE a = " + term, ()))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM app_book ORDER BY {order}")
        cursor.executemany("DELETE FROM app_book WHERE id = " + str(ids[0]), [])
""",
    )

    assert codes_and_lines(found) == [
        ("ORM408", 13),
        ("ORM408", 14),
        ("ORM408", 15),
        ("ORM408", 17),
        ("ORM408", 18),
    ]
    assert [finding.message.split(" is passed to ")[0] for finding in found] == [
        "SQL built with % formatting",
        "SQL built with str.format()",
        "SQL built with string concatenation",
        "SQL built with an f-string",
        "SQL built with string concatenation",
    ]
    assert [finding.message.split(" is passed to ")[1].split(":")[0] for finding in found] == [
        "raw()",
        "extra(where=...)",
        "RawSQL()",
        "execute()",
        "executemany()",
    ]
    assert found[0].message.endswith(
        "values are not escaped (SQL injection); use %s placeholders and pass the values as params"
    )
    assert {finding.severity for finding in found} == {Severity.ERROR}


def test_sql_formatted_into_a_local_variable_is_reported_at_the_call(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
def search(term):
    sql = f"SELECT * FROM app_book WHERE title = '{term}'"
    return list(Book.objects.raw(sql))
""",
    )

    assert codes_and_lines(found) == [("ORM408", 14)]
    assert found[0].related == (RelatedLocation("app/models.py", 13, "SQL formatted here"),)


def test_quiet_cases(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        """\
TABLE = "app_book"


def search(term, ids):
    # placeholders with params.
    Book.objects.raw("SELECT * FROM app_book WHERE title = %s", [term])
    Book.objects.extra(where=["title = %s"], params=[term])
    # constant parts only.
    Book.objects.raw("SELECT * FROM " + TABLE)
    Book.objects.raw(f"SELECT * FROM {TABLE} WHERE id = %s", [1])
    with connection.cursor() as cursor:
        # identifiers quoted by the backend, placeholders joined for a list of params.
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(TABLE)}")
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(f"SELECT * FROM app_book WHERE id IN ({placeholders})", ids)
        # a table name from the model's options.
        cursor.execute(f"UPDATE {Book._meta.db_table} SET title = ''")
    # not a raw SQL API.
    print(f"searching {term}")
    return "%s rows" % term
""",
    )

    assert found == []


def test_sql_joined_from_a_class_constant_passed_through_a_parameter_is_quiet(tmp_path: Path) -> None:
    # TYPES reaches the SQL through a parameter every call fills from a class attribute of constants; the twin
    # passes request data the same way and is reported.
    found = findings(
        tmp_path,
        """\
class Counts:
    types = ["TUTORIAL", "ARTICLE"]

    @staticmethod
    def counted(kind, types):
        sql = "SELECT COUNT(*) FROM t WHERE type IN ({})".format(", ".join(f"'{t}'" for t in types))
        return Book.objects.extra(select={"n": sql})

    def show(self):
        return self.counted("all", self.types)


def tagged(names):
    sql = "SELECT COUNT(*) FROM t WHERE tag IN ({})".format(", ".join(f"'{n}'" for n in names))
    return Book.objects.extra(select={"n": sql})


def tag_view(request):
    return tagged(request.GET.getlist("tag"))
""",
    )

    assert codes_and_lines(found) == [("ORM408", 26)]
    assert found[0].message == (
        "SQL built with str.format() is passed to extra(select=...): values are not escaped (SQL injection); "
        "use %s placeholders and pass the values as params"
    )
