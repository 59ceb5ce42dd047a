"""Admin of customer profiles."""

from __future__ import annotations

from django.contrib import admin

from accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "city")
    list_select_related = ("user",)
    search_fields = ("display_name", "user__username", "city")
    raw_id_fields = ("user",)
