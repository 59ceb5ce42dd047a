"""Admin of orders, with their lines and shipment inline."""

from __future__ import annotations

from django.contrib import admin

from orders.models import Order, OrderLine, Shipment


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    raw_id_fields = ("book",)
    extra = 0


class ShipmentInline(admin.StackedInline):
    model = Shipment
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "status", "total", "created_at")
    list_select_related = ("customer",)
    list_filter = ("status",)
    raw_id_fields = ("customer",)
    inlines = (OrderLineInline, ShipmentInline)


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ("tracking_code", "carrier", "order", "created_at")
    list_select_related = ("order",)
    search_fields = ("tracking_code",)
    raw_id_fields = ("order",)
