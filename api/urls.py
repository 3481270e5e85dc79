from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from api.views.catalog import (
    CustomerViewSet,
    ProductViewSet,
    ProjectViewSet,
    SettingsView,
    TeamViewSet,
    UomViewSet,
)
from api.views.docs import ApiDocsView
from api.views.invoicing import InvoiceViewSet
from api.views.sales import OrderLineViewSet, OrderViewSet
from api.views.work import TaskViewSet, TicketViewSet, TimesheetViewSet

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("uoms", UomViewSet, basename="uom")
router.register("customers", CustomerViewSet, basename="customer")
router.register("products", ProductViewSet, basename="product")
router.register("projects", ProjectViewSet, basename="project")
router.register("teams", TeamViewSet, basename="team")
router.register("orders", OrderViewSet, basename="order")
router.register("order-lines", OrderLineViewSet, basename="order-line")
router.register("tasks", TaskViewSet, basename="task")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("timesheets", TimesheetViewSet, basename="timesheet")
router.register("invoices", InvoiceViewSet, basename="invoice")

urlpatterns = [
    path("settings/", SettingsView.as_view(), name="settings"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
    *router.urls,
]
