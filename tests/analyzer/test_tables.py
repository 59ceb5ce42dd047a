"""ORM115 table-column-related-access: django-tables2 table views followed into their columns, beside quiet twins."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import Finding
from tests.analyzer.helpers import analyze_tree

MODELS = """
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Record(models.Model):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="record")
    num_orders = models.IntegerField(default=0)

    def __str__(self):
        return str(self.num_orders)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    partner = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sold")

    def __str__(self):
        return str(self.pk)
"""

TABLES = """
from django_tables2 import A, Column, TemplateColumn

from shop.loading import get_class

DashboardTable = get_class("shop.base_tables", "DashboardTable")


class CustomerTable(DashboardTable):
    num_orders = Column(accessor="orders__count")
    recorded = Column(accessor=A("record.num_orders"))
    actions = TemplateColumn(template_name="shop/customer_actions.html")
    last = Column(empty_values=())

    def render_last(self, value, record):
        return record.sold.first()
"""

BASE_TABLES = """
import django_tables2 as tables


class DashboardTable(tables.Table):
    class Meta:
        attrs = {"class": "table"}
"""

VIEWS = """
from django_tables2 import SingleTableView

from shop.models import Customer
from shop.tables import CustomerTable


class CustomerListView(SingleTableView):
    table_class = CustomerTable

    def get_queryset(self):
        return Customer.objects.order_by("name")
"""

ACTIONS = """<a href="/orders/{{ record.pk }}">{% for order in record.orders.all %}{{ order.pk }}{% endfor %}</a>
"""


def run(tmp_path: Path, views: str, tables: str = TABLES) -> list[Finding]:
    files = {
        "shop/loading.py": "def get_class(module, name):\n    return None\n",
        "shop/models.py": MODELS,
        "shop/base_tables.py": BASE_TABLES,
        "shop/tables.py": tables,
        "shop/views.py": views,
        "shop/templates/shop/customer_actions.html": ACTIONS,
    }
    return list(analyze_tree(tmp_path, files, select=("ORM115",)).findings)


def test_table_columns_read_relations_per_row(tmp_path: Path) -> None:
    findings = run(tmp_path, VIEWS)
    assert [(finding.path, finding.line, finding.column, finding.message) for finding in findings] == [
        (
            "shop/tables.py",
            9,
            18,
            "CustomerTable.num_orders: customer.orders runs a query once per row of Customer.objects.order_by(...) "
            'listed by shop.views.CustomerListView; add .annotate(orders_count=Count("orders")) to the queryset at '
            "shop/views.py:11 and read that annotation",
        ),
        (
            "shop/tables.py",
            10,
            16,
            "CustomerTable.recorded: customer.record is loaded once per row of Customer.objects.order_by(...) listed "
            'by shop.views.CustomerListView; add .select_related("record") to the queryset at shop/views.py:11',
        ),
        (
            "shop/tables.py",
            15,
            16,
            "CustomerTable.last: record.sold.first runs a query once per row of Customer.objects.order_by(...) listed "
            'by shop.views.CustomerListView; use Prefetch("sold", queryset=..., to_attr=...) in place of .first() '
            "and add it to the queryset at shop/views.py:11",
        ),
        (
            "shop/templates/shop/customer_actions.html",
            1,
            51,
            "CustomerTable.actions: record.orders.all runs a query once per row of Customer.objects.order_by(...) "
            'listed by shop.views.CustomerListView; add .prefetch_related("orders") to the queryset at '
            "shop/views.py:11",
        ),
    ]


def test_table_columns_on_a_queryset_that_loads_them_are_quiet(tmp_path: Path) -> None:
    views = VIEWS.replace(
        'Customer.objects.order_by("name")', 'Customer.objects.select_related("record").prefetch_related("orders")'
    )
    tables = TABLES.replace("return record.sold.first()", "return record.name")
    assert run(tmp_path, views, tables) == []
