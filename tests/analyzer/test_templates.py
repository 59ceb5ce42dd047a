"""ORM110 template-related-access: querysets followed from views into templates, each case beside its quiet twin."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from django.template.base import TokenType

from analyzer.findings import Finding
from analyzer.integrations.templates import Token, expression, split_filters, variable_code
from tests.analyzer.helpers import analyze_tree

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books")

    def __str__(self):
        return self.title

    @property
    def byline(self):
        return f"{self.title} by {self.author.name}"


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="reviews")

    def __str__(self):
        return f"review of {self.book.title}"
"""

BOOK_LOOP = """
<ul>
{% for book in books %}
  <li>{{ book.title }} by {{ book.author.name|upper }}</li>
{% endfor %}
</ul>
"""


def run(tmp_path: Path, files: Mapping[str, str]) -> list[Finding]:
    return list(analyze_tree(tmp_path, {"shop/models.py": MODELS, **files}, select=("ORM110",)).findings)


def located(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(finding.code, finding.path, finding.line) for finding in findings]


def test_render_with_literal_context_reports_the_template_line(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        books = Book.objects.filter(title__startswith="A")
        return render(request, "shop/book_list.html", {"books": books})
    """
    findings = run(tmp_path, {"shop/views.py": views, "shop/templates/shop/book_list.html": BOOK_LOOP})

    assert located(findings) == [("ORM110", "shop/templates/shop/book_list.html", 3)]
    finding = findings[0]
    assert finding.message == (
        "book.author is loaded once per row of books in shop/book_list.html, rendered by shop.views.book_list; "
        'add .select_related("author") to the queryset at shop/views.py:7'
    )
    assert finding.column == 30
    assert finding.fix is not None and (finding.fix.path, finding.fix.line) == ("shop/views.py", 7)
    assert [(item.path, item.line) for item in finding.related] == [("shop/views.py", 7), ("shop/views.py", 8)]


def test_render_of_select_related_queryset_is_quiet(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        books = Book.objects.select_related("author")
        return render(request, "shop/book_list.html", {"books": books})
    """
    assert run(tmp_path, {"shop/views.py": views, "shop/templates/shop/book_list.html": BOOK_LOOP}) == []


def test_author_id_and_loaded_fields_need_no_query(tmp_path: Path) -> None:
    views = """
    from django.template.response import TemplateResponse

    from shop.models import Book


    def book_list(request):
        return TemplateResponse(request, "shop/ids.html", {"books": Book.objects.all()})
    """
    template = "{% for book in books %}{{ book.pk }} {{ book.title }} {{ book.author_id }}{% endfor %}\n"
    assert run(tmp_path, {"shop/views.py": views, "shop/templates/shop/ids.html": template}) == []


NESTED = """
{% for book in books %}
  {% for tag in book.tags.all %}{{ tag.name }}{% endfor %}
  {{ book.reviews.count }}
{% endfor %}
"""


def test_template_response_with_nested_for_reports_manager_and_count(tmp_path: Path) -> None:
    views = """
    from django.template.response import TemplateResponse

    from shop.models import Book


    def book_list(request):
        return TemplateResponse(request, "shop/nested.html", {"books": Book.objects.all()})
    """
    findings = run(tmp_path, {"shop/views.py": views, "shop/templates/shop/nested.html": NESTED})

    assert located(findings) == [
        ("ORM110", "shop/templates/shop/nested.html", 2),
        ("ORM110", "shop/templates/shop/nested.html", 3),
    ]
    assert findings[0].message.startswith("book.tags.all runs a query once per row of books in shop/nested.html")
    assert findings[0].message.endswith('add .prefetch_related("tags") to the queryset at shop/views.py:7')
    assert findings[1].message.startswith("book.reviews.count runs a query once per row of books")
    assert findings[1].message.endswith(
        'add .annotate(reviews_count=Count("reviews")) to the queryset at shop/views.py:7 and read that annotation'
    )


def test_nested_for_over_prefetched_and_annotated_queryset_is_quiet(tmp_path: Path) -> None:
    views = """
    from django.template.response import TemplateResponse

    from shop.models import Book


    def book_list(request):
        books = Book.objects.prefetch_related("tags", "reviews")
        return TemplateResponse(request, "shop/nested.html", {"books": books})
    """
    assert run(tmp_path, {"shop/views.py": views, "shop/templates/shop/nested.html": NESTED}) == []


def test_list_view_default_template_name_and_context_names(tmp_path: Path) -> None:
    views = """
    from django.views.generic import ListView

    from shop.models import Review


    class ReviewList(ListView):
        model = Review
        paginate_by = 10
    """
    template = """
    {% for review in object_list %}{{ review.reviewer.name }}{% endfor %}
    {% for review in review_list %}{{ review.book.title }}{% endfor %}
    {% for review in page_obj %}{{ review.reviewer.name }}{% endfor %}
    """
    findings = run(tmp_path, {"shop/views.py": views, "shop/templates/shop/review_list.html": template})

    # The reviewer read in the object_list and the page_obj loops is one problem (one missing select_related):
    # one finding, the page_obj line among its related locations.
    assert located(findings) == [
        ("ORM110", "shop/templates/shop/review_list.html", 1),
        ("ORM110", "shop/templates/shop/review_list.html", 2),
    ]
    assert findings[0].message == (
        "review.reviewer is loaded once per row of object_list in shop/review_list.html, rendered by "
        'shop.views.ReviewList; add .select_related("reviewer") to the queryset at shop/views.py:7'
    )
    assert [(item.path, item.line) for item in findings[0].related][-1] == ("shop/templates/shop/review_list.html", 3)
    assert (
        findings[0]
        .related[-1]
        .message.startswith("the same problem here: ORM110 review.reviewer is loaded once per row")
    )
    assert "once per row of page_obj" in findings[0].related[-1].message


def test_list_view_with_select_related_queryset_and_template_name_is_quiet(tmp_path: Path) -> None:
    views = """
    from django.views import generic

    from shop.models import Review


    class ReviewList(generic.ListView):
        queryset = Review.objects.select_related("reviewer", "book")
        template_name = "shop/reviews.html"
        context_object_name = "reviews"
    """
    template = "{% for review in reviews %}{{ review.reviewer.name }} {{ review.book.title }}{% endfor %}\n"
    assert run(tmp_path, {"shop/views.py": views, "shop/templates/shop/reviews.html": template}) == []


def test_list_view_get_queryset_from_a_selector_in_another_module(tmp_path: Path) -> None:
    selectors = """
    from shop.models import Review


    def all_reviews():
        return Review.objects.order_by("id")


    def all_reviews_with_reviewers():
        return all_reviews().select_related("reviewer")
    """
    views = """
    from django.views.generic import ListView

    from shop import selectors


    class ReviewList(ListView):
        def get_queryset(self):
            return selectors.all_reviews()


    class ReviewListJoined(ListView):
        template_name = "shop/review_list.html"

        def get_queryset(self):
            return selectors.all_reviews_with_reviewers()
    """
    template = "{% for review in object_list %}{{ review.reviewer.name }}{% endfor %}\n"
    findings = run(
        tmp_path,
        {"shop/selectors.py": selectors, "shop/views.py": views, "shop/templates/shop/review_list.html": template},
    )

    assert located(findings) == [("ORM110", "shop/templates/shop/review_list.html", 1)]
    assert "rendered by shop.views.ReviewList;" in findings[0].message
    assert findings[0].message.endswith("to the queryset at shop/selectors.py:5")


def test_get_context_data_additions_are_followed(tmp_path: Path) -> None:
    views = """
    from django.views.generic import TemplateView

    from shop.models import Book, Review


    class Dashboard(TemplateView):
        template_name = "shop/dashboard.html"

        def get_context_data(self, **kwargs):
            context = super().get_context_data(**kwargs)
            context["books"] = Book.objects.all()
            context.update({"reviews": Review.objects.all()})
            return {**context, "joined": Book.objects.select_related("author")}
    """
    template = """
    {% for book in books %}{{ book.author.name }}{% endfor %}
    {% for review in reviews %}{{ review.book.title }}{% endfor %}
    {% for book in joined %}{{ book.author.name }}{% endfor %}
    """
    findings = run(tmp_path, {"shop/views.py": views, "shop/templates/shop/dashboard.html": template})

    assert located(findings) == [
        ("ORM110", "shop/templates/shop/dashboard.html", 1),
        ("ORM110", "shop/templates/shop/dashboard.html", 2),
    ]
    assert [finding.fix.line for finding in findings if finding.fix] == [11, 12]


def test_detail_view_object_related_manager_rows(tmp_path: Path) -> None:
    views = """
    from django.views.generic import DetailView

    from shop.models import Book


    class BookDetail(DetailView):
        model = Book


    class BookDetailPrefetched(DetailView):
        queryset = Book.objects.prefetch_related("reviews__reviewer")
        template_name = "shop/book_detail.html"
    """
    template = """
    <h1>{{ book.title }} by {{ object.author.name }}</h1>
    {% for review in book.reviews.all %}{{ review.reviewer.name }}{% endfor %}
    """
    findings = run(tmp_path, {"shop/views.py": views, "shop/templates/shop/book_detail.html": template})

    # The single object's author is one query, not one per row: quiet.
    assert located(findings) == [("ORM110", "shop/templates/shop/book_detail.html", 2)]
    assert "once per row of book.reviews.all in shop/book_detail.html, rendered by shop.views.BookDetail;" in (
        findings[0].message
    )


def test_include_with_extends_and_blocks(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        return render(request, "shop/child.html", {"books": Book.objects.all()})


    def book_list_joined(request):
        return render(request, "shop/child_joined.html", {"books": Book.objects.select_related("author")})
    """
    base = """
    <main>
    {% for book in books %}
      {% block row %}{{ book.title }}{% endblock %}
    {% endfor %}
    </main>
    """
    child = """
    {% extends "shop/base.html" %}
    {% block row %}{% include "shop/row.html" with item=book only %}{% endblock %}
    """
    row = """
    {% with who=item.author %}
      {{ who.name }}
    {% endwith %}
    """
    files = {
        "shop/views.py": views,
        "shop/templates/shop/base.html": base,
        "shop/templates/shop/child.html": child,
        "shop/templates/shop/child_joined.html": child,
        "shop/templates/shop/row.html": row,
    }
    findings = run(tmp_path, files)

    assert located(findings) == [("ORM110", "shop/templates/shop/row.html", 1)]
    assert findings[0].message.startswith("item.author is loaded once per row of books in shop/row.html")


def test_property_and_str_reading_relations(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render

    from shop.models import Review


    def reviews(request):
        return render(request, "shop/reviews.html", {"reviews": Review.objects.select_related("book")})


    def reviews_bylines(request):
        return render(request, "shop/bylines.html", {"reviews": Review.objects.select_related("book")})
    """
    files = {
        "shop/views.py": views,
        # Review.__str__ reads review.book, which is selected: quiet.
        "shop/templates/shop/reviews.html": "{% for review in reviews %}{{ review }}{% endfor %}\n",
        # Book.byline reads book.author, which is not.
        "shop/templates/shop/bylines.html": "{% for review in reviews %}\n{{ review.book.byline }}\n{% endfor %}\n",
    }
    findings = run(tmp_path, files)

    assert located(findings) == [("ORM110", "shop/templates/shop/bylines.html", 2)]
    assert findings[0].message.startswith(
        "review.book.byline runs the property Book.byline, which reads self.author once per row of reviews"
    )
    assert findings[0].message.endswith('add .select_related("book__author") to the queryset at shop/views.py:11')
    assert ("shop/models.py", 28) in [(item.path, item.line) for item in findings[0].related]


def test_noqa_in_template_suppresses(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        return render(request, "shop/list.html", {"books": Book.objects.all()})
    """
    template = "{% for book in books %}\n{{ book.author.name }} {# noqa: ORM110 #}\n{% endfor %}\n"
    assert run(tmp_path, {"shop/views.py": views, "shop/templates/shop/list.html": template}) == []


def test_two_views_with_one_queryset_report_once_and_with_two_querysets_twice(tmp_path: Path) -> None:
    selectors = """
    from shop.models import Book


    def catalogue():
        return Book.objects.all()
    """
    views = """
    from django.shortcuts import render

    from shop import selectors
    from shop.models import Book


    def first(request):
        return render(request, "shop/list.html", {"books": selectors.catalogue()})


    def second(request):
        return render(request, "shop/list.html", {"books": selectors.catalogue()})


    def third(request):
        return render(request, "shop/list.html", {"books": Book.objects.filter(title="x")})
    """
    template = "{% for book in books %}\n{{ book.author.name }}\n{% endfor %}\n"
    findings = run(
        tmp_path, {"shop/selectors.py": selectors, "shop/views.py": views, "shop/templates/shop/list.html": template}
    )

    assert located(findings) == [
        ("ORM110", "shop/templates/shop/list.html", 2),
        ("ORM110", "shop/templates/shop/list.html", 2),
    ]
    assert sorted(finding.message.split("rendered by ")[1].split(";")[0] for finding in findings) == [
        "shop.views.first",
        "shop.views.third",
    ]


def test_paginated_function_view_and_page_object_list(tmp_path: Path) -> None:
    views = """
    from django.core.paginator import Paginator
    from django.shortcuts import render

    from shop.models import Book


    def paginate(queryset, number):
        return Paginator(queryset, 20).get_page(number)


    def book_list(request):
        page = paginate(Book.objects.order_by("title"), request.GET.get("page"))
        return render(request, "shop/list.html", {"page_obj": page, "books": page.object_list})
    """
    template = """
    {% for book in page_obj %}{{ book.author.name }}{% endfor %}
    {% for book in books %}{{ book.tags.all|length }}{% endfor %}
    """
    findings = run(tmp_path, {"shop/views.py": views, "shop/templates/shop/list.html": template})

    assert located(findings) == [
        ("ORM110", "shop/templates/shop/list.html", 1),
        ("ORM110", "shop/templates/shop/list.html", 2),
    ]
    assert [finding.fix.line for finding in findings if finding.fix] == [12, 12]


def test_unknown_tags_filters_and_missing_templates_do_not_crash(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render
    from django.template.loader import render_to_string

    from shop.models import Book


    def odd(request):
        render_to_string("shop/missing.html", {"books": Book.objects.all()})
        return render(request, "shop/odd.html", {"books": Book.objects.all()})
    """
    template = """
    {% load shop_tags %}{% shop_widget books.0.author as widget %}
    {% for book in books|dictsort:"title" %}{{ book.title|shop_filter:book.pk }}{% endfor %}
    {% comment %}{{ books.0.author.name }}{% endcomment %}{% verbatim %}{{ x.y }}{% endverbatim %}
    {% if unclosed %}
    """
    assert run(tmp_path, {"shop/views.py": views, "shop/templates/shop/odd.html": template}) == []


def test_tag_the_django_splitter_cannot_split_is_read_by_whitespace() -> None:
    # A ``_('`` whose bit never ends in ``')`` runs Django's splitter out of bits (StopIteration), as Jinja's
    # ``{% set title = _('a')|f(b) %}`` does; the tag is split on whitespace.
    token = Token(TokenType.BLOCK, "page_title _('Books by %(n)s')|upper as title", "t.html", "t.html", 1, 1)
    assert token.bits() == ["page_title", "_('Books", "by", "%(n)s')|upper", "as", "title"]


def test_template_with_an_unsplittable_tag_is_still_checked(tmp_path: Path) -> None:
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        return render(request, "shop/book_list.html", {"books": Book.objects.all()})
    """
    template = """
    {% page_title _('Books by %(n)s')|upper as title %}
    {% for book in books %}{{ book.author.name }}{% endfor %}
    """
    result = analyze_tree(
        tmp_path,
        {"shop/models.py": MODELS, "shop/views.py": views, "shop/templates/shop/book_list.html": template},
        select=("ORM110",),
    )
    assert result.errors == ()
    assert located(list(result.findings)) == [("ORM110", "shop/templates/shop/book_list.html", 2)]


def test_settings_template_dirs_are_searched(tmp_path: Path) -> None:
    settings = """
    from pathlib import Path

    BASE_DIR = Path(__file__).resolve().parent.parent
    INSTALLED_APPS = ["shop"]
    TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [BASE_DIR / "site_templates"],
            "APP_DIRS": True,
        }
    ]
    """
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        return render(request, "books.html", {"books": Book.objects.all()})
    """
    findings = run(
        tmp_path,
        {"config/settings.py": settings, "shop/views.py": views, "site_templates/books.html": BOOK_LOOP},
    )

    assert located(findings) == [("ORM110", "site_templates/books.html", 3)]


def test_inline_template_string_reports_the_python_line(tmp_path: Path) -> None:
    views = """
    from django.template import Context, Template

    from shop.models import Book


    def rows():
        template = Template("{% for b in books %}{{ b.author }}{% endfor %}")
        return template.render(Context({"books": Book.objects.all()}))
    """
    findings = run(tmp_path, {"shop/views.py": views})

    assert located(findings) == [("ORM110", "shop/views.py", 7)]
    assert findings[0].message.startswith("b.author is loaded once per row of books in <inline template>")


def test_variable_and_filter_translation() -> None:
    assert variable_code("book.tags.0.name") == "book.tags[0].name"
    assert variable_code("class.name") == "class_.name"
    assert variable_code('"text"') is None
    assert variable_code("_('x')") is None
    assert split_filters('book.title|default:"a|b"|length') == ("book.title", [("default", '"a|b"'), ("length", None)])
    assert expression("book.author|upper").rendered == "str(book.author)"
    assert expression("book.tags.all|length").rendered == "len(book.tags.all)"
    assert expression("book.price|floatformat:digits").arguments == ("digits",)
