from django.contrib import admin
from django.urls import include, path

from core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("helpdesk/", include("helpdesk.urls")),
    path("project/", include("projects.urls")),
    path("timesheets/", include("timesheets.urls")),
    path("sales/", include("sales.urls")),
    # /invoicing/... and the invoicing actions of the order pages, /sales/... (see there).
    path("", include("invoicing.urls")),
    path("", include("core.urls")),
]

handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
