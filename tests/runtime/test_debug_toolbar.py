"""NPlusOnePanel in django-debug-toolbar, through the toolbar's own flow on the example project's pages: the page
carries the toolbar with the panel's count, and the toolbar's render_panel view returns the panel's table."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from pytest_django import Settings as SettingsWrapper

from runtime.findings import RuntimeFinding
from tests.runtime.conftest import ROOT, build_catalogue, line_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not getattr(django_settings, "DEBUG_TOOLBAR", False), reason="django-debug-toolbar is not installed"
    ),
]

BOOK_LIST = ROOT / "example_project" / "catalog" / "templates" / "catalog" / "book_list.html"
REQUEST_ID = re.compile(r'data-request-id="([0-9a-f]+)"')
NAV = re.compile(r'class="NPlusOnePanel".*?<small>(.*?)</small>', re.DOTALL)
AUTHOR_SQL = (
    "SELECT &quot;catalog_author&quot;.&quot;id&quot;, &quot;catalog_author&quot;.&quot;created_at&quot;, "
    "&quot;catalog_author&quot;.&quot;updated_at&quot;, &quot;catalog_author&quot;.&quot;name&quot;, "
    "&quot;catalog_author&quot;.&quot;birth_year&quot; FROM &quot;catalog_author&quot; "
    "WHERE &quot;catalog_author&quot;.&quot;id&quot; = %s LIMIT %s"
)
WRAP = ' style="white-space: normal; overflow-wrap: anywhere"'
HEADER = (
    "<table><thead><tr><th>Kind</th><th>Model and field</th><th>Where</th><th>Queries</th>"
    "<th>Fix</th><th>Repeated SQL</th></tr></thead><tbody>"
)


@pytest.fixture
def toolbar(settings: SettingsWrapper) -> None:
    # pytest-django runs tests with DEBUG off, and the toolbar shows only under DEBUG.
    settings.DEBUG = True


def page_and_panel(client: Client, path: str) -> tuple[str, str]:
    """The nav subtitle of the panel on the page, and the panel's content from the toolbar's render_panel view."""
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    request_id = REQUEST_ID.search(html)
    nav = NAV.search(html)
    assert request_id is not None and nav is not None
    panel = client.get("/__debug__/render_panel/", {"request_id": request_id.group(1), "panel_id": "NPlusOnePanel"})
    assert panel.status_code == 200
    content: str = panel.json()["content"]
    return nav.group(1), content


@pytest.mark.usefixtures("toolbar")
def test_panel_lists_the_n_plus_one_of_the_book_list_page(client: Client) -> None:
    build_catalogue(3)

    subtitle, content = page_and_panel(client, "/books/")

    assert subtitle == "1 N+1"
    assert content == (
        "<p>1 N+1 in this request.</p>" + HEADER + "<tr><td>lazy load</td><td><code>catalog.Book.author</code></td>"
        f"<td><code>example_project/catalog/templates/catalog/book_list.html:{line_of(BOOK_LIST, 'site: S16')}"
        " in book_list</code></td><td>3</td>"
        f"<td>add .select_related(&quot;author&quot;)</td><td><code{WRAP}>{AUTHOR_SQL}</code></td></tr>"
        "</tbody></table>"
    )


@pytest.mark.usefixtures("toolbar")
def test_panel_is_empty_on_the_fixed_twin(client: Client) -> None:
    build_catalogue(3)

    subtitle, content = page_and_panel(client, "/books/select-related/")

    assert subtitle == "none"
    assert content == "<p>No N+1 queries in this request.</p>"


@pytest.mark.usefixtures("toolbar")
def test_panel_escapes_the_html_in_what_it_shows() -> None:
    from debug_toolbar.toolbar import DebugToolbar

    from runtime.debug_toolbar import NPlusOnePanel, finding_row

    request = RequestFactory().get("/books/")
    panel = DebugToolbar(request, lambda request: None).get_panel_by_id("NPlusOnePanel")
    assert isinstance(panel, NPlusOnePanel)
    finding = RuntimeFinding(
        kind="repeated_query",
        model="shop.<b>Book</b>",
        field="",
        count=4,
        path="shop/views.py",
        line=7,
        function="<listcomp>",
        fix="use <script>alert(1)</script>",
        sql="SELECT * FROM x WHERE a < %s",
    )

    panel.record_stats({"findings": [finding_row(finding)]})

    assert panel.nav_subtitle == "1 N+1"
    assert panel.content == (
        "<p>1 N+1 in this request.</p>"
        + HEADER
        + "<tr><td>repeated query</td><td><code>shop.&lt;b&gt;Book&lt;/b&gt;</code></td>"
        "<td><code>shop/views.py:7 in &lt;listcomp&gt;</code></td><td>4</td>"
        "<td>use &lt;script&gt;alert(1)&lt;/script&gt;</td>"
        f"<td><code{WRAP}>SELECT * FROM x WHERE a &lt; %s</code></td></tr></tbody></table>"
    )
