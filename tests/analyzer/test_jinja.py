"""ORM113 jinja-template-related-access: querysets followed from views into Jinja2 templates, beside quiet twins."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from analyzer.findings import AnalysisResult
from analyzer.integrations.jinja import jinja_available, uses_jinja_syntax
from tests.analyzer.helpers import analyze_tree
from tests.analyzer.test_templates import MODELS

VIEWS = """
from django.shortcuts import render

from shop.models import Book


def book_list(request):
    books = Book.objects.filter(title__startswith="A")
    return render(request, "shop/book_list.jinja", {"books": books})
"""

BASE = """<html>
{% block content %}{% endblock %}
</html>
"""

BOOK_LIST = """{% extends "shop/base.jinja" %}
{% set heading = _('Books by %(n)s')|format(n=request.user) %}
{% block content %}
{% for book in books if book.pk %}
  <li>{{ book.title|upper }} by {{ book.author.name }}</li>
  {% for tag in book.tags.all() %}{{ tag.name }}{% endfor %}
  {% include "shop/_reviews.jinja" %}
{% endfor %}
{% endblock %}
"""

REVIEWS = """{% cache 500 %}<span>{{ book.reviews.count() }} reviews</span>{% endcache %}
"""


def jinja_tree(views: str = VIEWS, book_list: str = BOOK_LIST) -> dict[str, str]:
    return {
        "shop/models.py": MODELS,
        "shop/views.py": views,
        "shop/templates/shop/base.jinja": BASE,
        "shop/templates/shop/book_list.jinja": book_list,
        "shop/templates/shop/_reviews.jinja": REVIEWS,
    }


def run(tmp_path: Path, files: Mapping[str, str]) -> AnalysisResult:
    return analyze_tree(tmp_path, files, select=("ORM110", "ORM113"))


def test_jinja_template_reads_through_extends_blocks_calls_and_includes(tmp_path: Path) -> None:
    result = run(tmp_path, jinja_tree())
    assert result.errors == ()
    assert [(f.code, f.path, f.line, f.column, f.message) for f in result.findings] == [
        (
            "ORM113",
            "shop/templates/shop/_reviews.jinja",
            1,
            25,
            "book.reviews.count runs a query once per row of books in shop/_reviews.jinja, rendered by "
            'shop.views.book_list; add .annotate(reviews_count=Count("reviews")) to the queryset at shop/views.py:7 '
            "and read that annotation",
        ),
        (
            "ORM113",
            "shop/templates/shop/book_list.jinja",
            5,
            36,
            "book.author is loaded once per row of books in shop/book_list.jinja, rendered by shop.views.book_list; "
            'add .select_related("author") to the queryset at shop/views.py:7',
        ),
        (
            "ORM113",
            "shop/templates/shop/book_list.jinja",
            6,
            17,
            "book.tags.all runs a query once per row of books in shop/book_list.jinja, rendered by "
            'shop.views.book_list; add .prefetch_related("tags") to the queryset at shop/views.py:7',
        ),
    ]


def test_jinja_template_on_a_queryset_that_loads_its_relations_is_quiet(tmp_path: Path) -> None:
    views = VIEWS.replace(
        'Book.objects.filter(title__startswith="A")',
        'Book.objects.select_related("author").prefetch_related("tags").annotate(n=Count("reviews"))',
    ).replace(
        "from django.shortcuts import render", "from django.db.models import Count\nfrom django.shortcuts import render"
    )
    book_list = BOOK_LIST
    reviews = "<span>{{ book.n }} reviews</span>\n"
    files = {**jinja_tree(views, book_list), "shop/templates/shop/_reviews.jinja": reviews}
    result = run(tmp_path, files)
    assert (result.errors, result.findings) == ((), ())


def test_a_method_jinja_does_not_call_runs_no_query(tmp_path: Path) -> None:
    # Unlike Django's engine, Jinja2 calls only what the template calls: book.reviews.count is not run.
    book_list = "{% for book in books %}{{ book.reviews.count }}{% endfor %}\n"
    files = {**jinja_tree(), "shop/templates/shop/book_list.jinja": book_list}
    assert run(tmp_path, files).findings == ()


def test_html_template_with_jinja_syntax_and_app_jinja2_folder_are_read_as_jinja(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def sniffed(request):
        return render(request, "shop/sniffed.html", {"books": Book.objects.all()})


    def backend_folder(request):
        return render(request, "shop/plain.html", {"books": Book.objects.all()})
    """
    files = {
        "shop/models.py": MODELS,
        "shop/views.py": views,
        # django-jinja keeps .html templates in templates/: {% set %} and url() are Jinja2's.
        "shop/templates/shop/sniffed.html": (
            "{% set title = _('Books by %(n)s')|f(n=request.user) %}{{ url('home') }}\n"
            "{% for book in books %}{{ book.author.name }}{% endfor %}\n"
        ),
        # Django's Jinja2 backend searches each app's jinja2/ folder.
        "shop/jinja2/shop/plain.html": "{% for book in books %}{{ book.author }}{% endfor %}\n",
    }
    result = run(tmp_path, files)
    assert result.errors == ()
    assert [(f.code, f.path, f.line) for f in result.findings] == [
        ("ORM113", "shop/jinja2/shop/plain.html", 1),
        ("ORM113", "shop/templates/shop/sniffed.html", 2),
    ]


def test_a_template_jinja_cannot_parse_is_logged_and_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    book_list = "{% for book in books %}{{ book.author.name }\n"
    files = {**jinja_tree(), "shop/templates/shop/book_list.jinja": book_list}
    with caplog.at_level(logging.ERROR, logger="analyzer.integrations.jinja"):
        result = run(tmp_path, files)
    assert result.findings == ()
    assert [record.getMessage() for record in caplog.records] == [
        "[shop/templates/shop/book_list.jinja] cannot parse Jinja2 template: unexpected '}' (line 1)"
    ]


def test_without_jinja2_installed_jinja_templates_are_skipped_and_the_run_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # importing it now raises ImportError
    jinja_available.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="analyzer.integrations.jinja"):
            result = run(tmp_path, jinja_tree())
    finally:
        jinja_available.cache_clear()
    assert (result.errors, result.findings) == ((), ())
    assert [record.getMessage() for record in caplog.records] == [
        "Jinja2 is not installed: Jinja2 templates are not checked (pip install jinja2)"
    ]


@pytest.mark.parametrize(
    ("text", "jinja"),
    [
        ("{% for b in books %}{{ b.author.name }}{% endfor %}", False),
        ('{{ _("Title") }}{% trans "Edit (draft)" %}', False),
        ("{% blocktrans with a=b %}x (y){% endblocktrans %}", False),
        ("{% set x = 1 %}", True),
        ('{{ url("home") }}', True),
        ("{% for k, v in d.items() %}{% endfor %}", True),
        ("{{- x }}", True),
        ("{{ x|f(a) }}", True),
    ],
)
def test_jinja_only_syntax_tells_a_jinja_template(text: str, jinja: bool) -> None:
    assert uses_jinja_syntax(text) is jinja


MESSAGING_MODELS = """
from typing import TYPE_CHECKING

from django.contrib.auth.models import User as AuthUser
from django.db import models

if TYPE_CHECKING:

    class User(AuthUser):
        pass

else:
    User = AuthUser


class Message(models.Model):
    sender = models.ForeignKey(User, models.CASCADE, related_name="messages")
    recipients = models.ManyToManyField(User, related_name="received_messages")
    subject = models.CharField(max_length=255)

    def __str__(self):
        return self.subject
"""

MESSAGING_VIEWS = """
from django.shortcuts import render

from messaging.models import Message


def ajax_sent(request):
    return render(request, "messaging/sent.html", {"sent_messages": Message.objects.order_by("-sent_at")})
"""

SENT = """{% for message in sent_messages %}
  <a href="{{ url('contributor', message.sender.username) }}">{{ message.subject }}</a>
  {% with count=message.recipients.count() %}to {{ count }} recipient{{ count|pluralize }}{% endwith %}
{% endfor %}
"""


def messaging_tree(views: str = MESSAGING_VIEWS) -> dict[str, str]:
    return {
        "proj/settings.py": """
            INSTALLED_APPS = ["django_jinja", "messaging"]
            TEMPLATES = [{"BACKEND": "django_jinja.backend.Jinja2", "APP_DIRS": True}]
        """,
        "messaging/models.py": MESSAGING_MODELS,
        "messaging/views.py": views,
        "messaging/templates/messaging/sent.html": SENT,
    }


def test_django_jinja_html_template_reads_a_user_alias_and_a_count_per_row(tmp_path: Path) -> None:
    result = run(tmp_path, messaging_tree())
    assert result.errors == ()
    assert [(f.code, f.path, f.line, f.message) for f in result.findings] == [
        (
            "ORM113",
            "messaging/templates/messaging/sent.html",
            2,
            "message.sender is loaded once per row of sent_messages in messaging/sent.html, rendered by "
            'messaging.views.ajax_sent; add .select_related("sender") to the queryset at messaging/views.py:7',
        ),
        (
            "ORM113",
            "messaging/templates/messaging/sent.html",
            3,
            "message.recipients.count runs a query once per row of sent_messages in messaging/sent.html, rendered by "
            'messaging.views.ajax_sent; add .annotate(recipients_count=Count("recipients")) to the queryset at '
            "messaging/views.py:7 and read that annotation",
        ),
    ]


def test_django_jinja_template_on_a_loaded_queryset_is_quiet(tmp_path: Path) -> None:
    views = MESSAGING_VIEWS.replace(
        'Message.objects.order_by("-sent_at")',
        'Message.objects.select_related("sender").prefetch_related("recipients")',
    )
    result = run(tmp_path, messaging_tree(views))
    assert (result.errors, result.findings) == ((), ())
