"""ORM110 through project-level view machinery: base list views in the project, ``{% include view.attribute %}``,
render helpers, ``render_to_response`` overrides and models picked by forms; each case beside its quiet twin."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_tree
from tests.analyzer.test_templates import MODELS

# A project base listing view in the style of admin frameworks: the queryset comes from ``self.queryset`` or
# ``self.model`` (both None unless a subclass sets them), may go through a search backend the analysis cannot see,
# and the page includes the results template the concrete view names.
BASE_VIEWS = """
from django.views.generic.list import BaseListView
from django.views.generic.base import TemplateResponseMixin

from shop.search import search_backend


class BaseListingView(TemplateResponseMixin, BaseListView):
    template_name = "shop/listing.html"
    results_template_name = None
    search_fields = None

    def get_base_queryset(self):
        if self.queryset is not None:
            queryset = self.queryset.all()
        elif self.model is not None:
            queryset = self.model._default_manager.all()
        else:
            raise ValueError("no model")
        return queryset

    def search_queryset(self, queryset):
        if not self.request.GET.get("q"):
            return queryset
        return search_backend().search(self.request.GET["q"], queryset)

    def get_queryset(self):
        queryset = self.get_base_queryset()
        return self.search_queryset(queryset.order_by("pk"))
"""

SEARCH = """
def search_backend():
    from somewhere_else import backend

    return backend
"""

LISTING = """
<h1>Listing</h1>
{% include view.results_template_name|default:"shop/default_results.html" %}
"""

REVIEW_RESULTS = "{% for review in object_list %}{{ review.reviewer.name }}{% endfor %}\n"
DEFAULT_RESULTS = "{% for item in object_list %}{{ item.book.title }}{% endfor %}\n"


def run(tmp_path: Path, files: Mapping[str, str]) -> list[Finding]:
    return list(analyze_tree(tmp_path, {"shop/models.py": MODELS, **files}, select=("ORM110",)).findings)


def located(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return [(finding.path, finding.line, finding.message.partition(" ")[0]) for finding in findings]


def listing_tree(views: str) -> dict[str, str]:
    return {
        "shop/base_views.py": BASE_VIEWS,
        "shop/search.py": SEARCH,
        "shop/views.py": views,
        "shop/templates/shop/listing.html": LISTING,
        "shop/templates/shop/review_results.html": REVIEW_RESULTS,
        "shop/templates/shop/default_results.html": DEFAULT_RESULTS,
    }


def test_subclass_model_and_results_template_reach_the_included_results(tmp_path: Path) -> None:
    views = """
    from shop.base_views import BaseListingView
    from shop.models import Review


    class ReviewIndex(BaseListingView):
        model = Review
        results_template_name = "shop/review_results.html"
    """
    findings = run(tmp_path, listing_tree(views))

    assert located(findings) == [("shop/templates/shop/review_results.html", 1, "review.reviewer")]
    assert findings[0].message == (
        "review.reviewer is loaded once per row of object_list in shop/review_results.html, rendered by "
        'shop.views.ReviewIndex; add .select_related("reviewer") to the queryset at shop/views.py:6'
    )


def test_super_get_base_queryset_with_select_related_is_quiet(tmp_path: Path) -> None:
    views = """
    from shop.base_views import BaseListingView
    from shop.models import Review


    class ReviewIndex(BaseListingView):
        model = Review
        results_template_name = "shop/review_results.html"

        def get_base_queryset(self):
            return super().get_base_queryset().select_related("reviewer")
    """
    assert run(tmp_path, listing_tree(views)) == []


def test_queryset_attribute_is_used_before_model(tmp_path: Path) -> None:
    views = """
    from shop.base_views import BaseListingView
    from shop.models import Review


    class ReviewIndex(BaseListingView):
        model = Review
        queryset = Review.objects.select_related("reviewer")
        results_template_name = "shop/review_results.html"
    """
    # Quiet: ``self.queryset`` is set, so the ``self.model`` branch never runs.
    assert run(tmp_path, listing_tree(views)) == []


def test_default_filter_of_a_variable_include_applies_when_the_attribute_is_none(tmp_path: Path) -> None:
    views = """
    from shop.base_views import BaseListingView
    from shop.models import Review


    class ReviewIndex(BaseListingView):
        model = Review
    """
    findings = run(tmp_path, listing_tree(views))

    assert located(findings) == [("shop/templates/shop/default_results.html", 1, "item.book")]


def test_variable_include_the_analysis_cannot_read_is_not_followed(tmp_path: Path) -> None:
    views = """
    from shop.base_views import BaseListingView
    from shop.models import Review


    class ReviewIndex(BaseListingView):
        model = Review

        @property
        def results_template_name(self):
            return self.request.GET["template"]
    """
    # Quiet: the template name depends on the request, so neither it nor the |default: fallback is followed.
    assert run(tmp_path, listing_tree(views)) == []


def test_base_view_without_model_is_quiet(tmp_path: Path) -> None:
    views = """
    from shop.base_views import BaseListingView


    class AnyIndex(BaseListingView):
        results_template_name = "shop/review_results.html"
    """
    # Quiet: the model comes from as_view(model=...) at run time, which the analysis does not guess.
    assert run(tmp_path, listing_tree(views)) == []


RENDER_HELPER = """
from django.http import JsonResponse
from django.template.loader import render_to_string


def render_modal(request, html_template, template_vars=None):
    return JsonResponse({"html": render_to_string(html_template, template_vars or {}, request=request)})
"""

BOOK_ROWS = "{% for book in books %}{{ book.author.name }}{% endfor %}\n"


def test_render_helper_called_with_a_literal_template_is_followed(tmp_path: Path) -> None:
    views = """
    from shop.modal import render_modal
    from shop.models import Book


    def chooser(request):
        return render_modal(request, "shop/chooser.html", {"books": Book.objects.all()})
    """
    files = {"shop/modal.py": RENDER_HELPER, "shop/views.py": views, "shop/templates/shop/chooser.html": BOOK_ROWS}
    findings = run(tmp_path, files)

    assert located(findings) == [("shop/templates/shop/chooser.html", 1, "book.author")]
    assert findings[0].message.endswith('add .select_related("author") to the queryset at shop/views.py:6')


def test_render_helper_with_select_related_queryset_is_quiet(tmp_path: Path) -> None:
    views = """
    from shop.modal import render_modal
    from shop.models import Book


    def chooser(request):
        return render_modal(request, "shop/chooser.html", {"books": Book.objects.select_related("author")})
    """
    files = {"shop/modal.py": RENDER_HELPER, "shop/views.py": views, "shop/templates/shop/chooser.html": BOOK_ROWS}
    assert run(tmp_path, files) == []


CHOOSER_VIEWS = """
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from shop.forms import BookSearchForm
from shop.modal import render_modal


class BookChooserView(TemplateView):
    def get_context_data(self, **kwargs):
        form = BookSearchForm(self.request.GET)
        books = form.book_model.objects.order_by("title")
        return {"books": Paginator(books, per_page=10).get_page(self.request.GET.get("p"))}

    def render_to_response(self, context):
        return render_modal(self.request, "shop/chooser.html", context)
"""

FORMS = """
from django import forms
from django.utils.functional import cached_property

from shop.models import Book


class BookSearchForm(forms.Form):
    q = forms.CharField(required=False)

    @cached_property
    def book_model(self):
        if self.is_valid() and self.cleaned_data.get("kind"):
            return self.kinds[self.cleaned_data["kind"]]
        return Book
"""


def test_render_to_response_override_and_model_picked_by_a_form(tmp_path: Path) -> None:
    files = {
        "shop/modal.py": RENDER_HELPER,
        "shop/forms.py": FORMS,
        "shop/views.py": CHOOSER_VIEWS,
        "shop/templates/shop/chooser.html": BOOK_ROWS,
    }
    findings = run(tmp_path, files)

    assert located(findings) == [("shop/templates/shop/chooser.html", 1, "book.author")]
    assert "rendered by shop.views.BookChooserView;" in findings[0].message
    assert findings[0].message.endswith('add .select_related("author") to the queryset at shop/views.py:11')


def test_render_to_response_override_with_select_related_is_quiet(tmp_path: Path) -> None:
    files = {
        "shop/modal.py": RENDER_HELPER,
        "shop/forms.py": FORMS,
        "shop/views.py": CHOOSER_VIEWS.replace('.order_by("title")', '.select_related("author")'),
        "shop/templates/shop/chooser.html": BOOK_ROWS,
    }
    assert run(tmp_path, files) == []


def test_super_get_queryset_chain_through_a_project_base_class(tmp_path: Path) -> None:
    views = """
    from django.views.generic import ListView

    from shop.models import Review


    class WithReviewers(ListView):
        def get_queryset(self):
            return super().get_queryset().select_related("reviewer")


    class RecentReviews(WithReviewers):
        model = Review
        template_name = "shop/review_results.html"

        def get_queryset(self):
            return super().get_queryset().order_by("-pk")


    class AllReviews(ListView):
        model = Review
        template_name = "shop/review_results.html"

        def get_queryset(self):
            return super().get_queryset().order_by("-pk")
    """
    files = {"shop/views.py": views, "shop/templates/shop/review_results.html": REVIEW_RESULTS}
    findings = run(tmp_path, files)

    # RecentReviews gets select_related("reviewer") from WithReviewers; AllReviews does not.
    assert located(findings) == [("shop/templates/shop/review_results.html", 1, "review.reviewer")]
    assert "rendered by shop.views.AllReviews;" in findings[0].message


PANEL = """
from django.conf import settings

from shop.models import Book


class Component:
    def get_context_data(self, parent_context):
        return {}


class RecentBooksPanel(Component):
    template_name = "shop/panel.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        if getattr(settings, "SHOW_BOOKS", True):
            context["books"] = Book.objects.order_by("-pk")[:5]
        context["request"] = parent_context["request"]
        return context
"""


def test_component_with_template_name_and_context_set_in_a_branch(tmp_path: Path) -> None:
    files = {"shop/panels.py": PANEL, "shop/templates/shop/panel.html": BOOK_ROWS}
    findings = run(tmp_path, files)

    assert located(findings) == [("shop/templates/shop/panel.html", 1, "book.author")]
    assert "rendered by shop.panels.RecentBooksPanel;" in findings[0].message
    assert findings[0].message.endswith('add .select_related("author") to the queryset at shop/panels.py:17')


def test_component_with_select_related_rows_is_quiet(tmp_path: Path) -> None:
    panel = PANEL.replace('Book.objects.order_by("-pk")', 'Book.objects.select_related("author")')
    assert run(tmp_path, {"shop/panels.py": panel, "shop/templates/shop/panel.html": BOOK_ROWS}) == []


def test_class_with_template_name_but_no_context_method_is_not_a_component(tmp_path: Path) -> None:
    widget = """
    from shop.models import Book


    class BookWidget:
        template_name = "shop/panel.html"

        def get_context(self):
            return {"books": Book.objects.all()}
    """
    # Quiet: nothing says who renders template_name with get_context()'s result.
    assert run(tmp_path, {"shop/widgets.py": widget, "shop/templates/shop/panel.html": BOOK_ROWS}) == []


TASK_MODELS = """
from django.db import models


class WorkflowManager(models.Manager):
    def active(self):
        return self.filter(active=True)


class Workflow(models.Model):
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    objects = WorkflowManager()

    def __str__(self):
        return self.name


class Task(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name

    @property
    def active_workflows(self):
        return Workflow.objects.active().filter(workflow_tasks__task=self)


class WorkflowTask(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="workflow_tasks")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="workflow_tasks")

    def __str__(self):
        return f"{self.pk}"
"""

TASK_VIEWS = """
from django.shortcuts import render

from flow.models import Task


def tasks(request):
    return render(request, "flow/tasks.html", {"tasks": Task.objects.all(), "first": Task.objects.first()})
"""


def run_tasks(tmp_path: Path, template: str) -> list[Finding]:
    files = {"flow/models.py": TASK_MODELS, "flow/views.py": TASK_VIEWS, "flow/templates/flow/tasks.html": template}
    return list(analyze_tree(tmp_path, files, select=("ORM110",)).findings)


def test_property_building_a_query_per_row_is_reported_once_per_loop(tmp_path: Path) -> None:
    template = """
    {% for task in tasks %}
      {% for workflow in task.active_workflows|slice:":5" %}{{ workflow.name }}{% endfor %}
      {% if task.active_workflows.count > 5 %}more{% endif %}
    {% endfor %}
    """
    findings = run_tasks(tmp_path, template)

    assert located(findings) == [("flow/templates/flow/tasks.html", 2, "task.active_workflows")]
    assert findings[0].message == (
        "task.active_workflows runs a query (Workflow.objects.active().filter(...), flow/models.py:26) once per row "
        "of tasks in flow/tasks.html, rendered by flow.views.tasks; load task.active_workflows for all rows at once "
        "in flow.views.tasks (Prefetch(..., to_attr=...) or annotate())"
    )
    assert findings[0].fix is not None and (findings[0].fix.path, findings[0].fix.line) == ("flow/views.py", 7)


def test_property_building_a_query_outside_a_row_loop_is_quiet(tmp_path: Path) -> None:
    template = "{% for workflow in first.active_workflows %}{{ workflow.name }}{% endfor %}\n"
    # Quiet: one task, one query.
    assert run_tasks(tmp_path, template) == []


def test_one_listing_template_includes_each_views_own_results_template(tmp_path: Path) -> None:
    views = """
    from shop.base_views import BaseListingView
    from shop.models import Review


    class ReviewIndex(BaseListingView):
        model = Review
        results_template_name = "shop/review_results.html"


    class ReviewBookIndex(BaseListingView):
        model = Review
        results_template_name = "shop/default_results.html"


    class ReviewPlainIndex(BaseListingView):
        queryset = Review.objects.select_related("book", "reviewer")
        results_template_name = "shop/review_results.html"
    """
    findings = run(tmp_path, listing_tree(views))

    # The page template is shared; the include follows each view's attribute (and ReviewPlainIndex is quiet).
    assert located(findings) == [
        ("shop/templates/shop/default_results.html", 1, "item.book"),
        ("shop/templates/shop/review_results.html", 1, "review.reviewer"),
    ]
    assert "rendered by shop.views.ReviewBookIndex;" in findings[0].message
    assert "rendered by shop.views.ReviewIndex;" in findings[1].message


def test_property_querying_a_related_manager_gets_a_prefetch_object_fix(tmp_path: Path) -> None:
    models = MODELS.replace(
        """    @property
    def byline(self):""",
        """    @property
    def tag_names(self):
        return list(self.tags.values_list("name", flat=True))

    @property
    def byline(self):""",
    )
    views = """
    from django.shortcuts import render

    from shop.models import Book


    def book_list(request):
        return render(request, "shop/tags.html", {"books": Book.objects.all()})
    """
    template = "{% for book in books %}{{ book.tag_names|join:', ' }}{% endfor %}\n"
    files = {"shop/models.py": models, "shop/views.py": views, "shop/templates/shop/tags.html": template}
    findings = list(analyze_tree(tmp_path, files, select=("ORM110",)).findings)

    # prefetch_related("tags") would not help: values_list() on the manager always runs a query.
    assert located(findings) == [("shop/templates/shop/tags.html", 1, "book.tag_names")]
    assert findings[0].message.endswith(
        'use Prefetch("tags", queryset=..., to_attr=...) in place of .values_list() and add it '
        "to the queryset at shop/views.py:7"
    )
