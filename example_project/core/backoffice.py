"""The back-office admin site: a second, leaner admin for warehouse staff, mounted at /backoffice/."""

from __future__ import annotations

from django.contrib.admin import AdminSite


class BackofficeAdminSite(AdminSite):
    site_header = "Bookshop back office"
    site_title = "Back office"
    index_title = "Stock and catalogue"


backoffice_site = BackofficeAdminSite(name="backoffice")
