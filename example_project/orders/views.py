"""Order pages of the signed-in customer; the queries live in selectors.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.generic import ListView

from orders import selectors
from orders.models import Order

ORDERS_PER_PAGE = 20


class OrderListView(LoginRequiredMixin, ListView):
    """The signed-in customer's orders, newest first."""

    paginate_by = ORDERS_PER_PAGE

    def get_queryset(self) -> QuerySet[Order]:
        return selectors.orders_for_customer(self.request.user)


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the signed-in customer's orders; another customer's order is a 404."""
    order = get_object_or_404(selectors.orders_for_customer(request.user), pk=pk)
    return render(request, "orders/order_detail.html", {"order": order})
