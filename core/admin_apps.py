"""Django's admin app with our site: open to the Administrator role (core.admin_site)."""

from django.contrib.admin.apps import AdminConfig


class BillableAdminConfig(AdminConfig):
    default_site = "core.admin_site.BillableAdminSite"
