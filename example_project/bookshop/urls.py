"""Root URL configuration: the shop pages, sign-in, the JSON API, the admin and the back-office admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core.backoffice import backoffice_site

urlpatterns = [
    path("", include("catalog.urls")),
    path("orders/", include("orders.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("catalog.api.urls")),
    path("admin/", admin.site.urls),
    path("backoffice/", backoffice_site.urls),
]

if settings.DEBUG_TOOLBAR:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
