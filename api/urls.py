from django.db import transaction
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from api.views.catalog import (
    CompanyView,
    CustomerViewSet,
    ProductViewSet,
    ProjectViewSet,
    SettingsView,
    TeamViewSet,
    UomViewSet,
    WorkTypeViewSet,
)
from api.views.docs import ApiDocsView
from api.views.invoicing import InvoiceViewSet, PaymentViewSet
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
router.register("work-types", WorkTypeViewSet, basename="work-type")
router.register("orders", OrderViewSet, basename="order")
router.register("order-lines", OrderLineViewSet, basename="order-line")
router.register("tasks", TaskViewSet, basename="task")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("timesheets", TimesheetViewSet, basename="timesheet")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")

# The billing run commits batch by batch (invoicing.services.billing_run), as the page
# and the command do: outside the request transaction, a failing batch undoes only
# itself and the order lines are not held locked until the whole run ends.
OUTSIDE_REQUEST_TRANSACTION = {"invoice-invoice-all"}
for pattern in router.urls:
    if pattern.name in OUTSIDE_REQUEST_TRANSACTION:
        transaction.non_atomic_requests(pattern.callback)

urlpatterns = [
    path("settings/", SettingsView.as_view(), name="settings"),
    path("company/", CompanyView.as_view(), name="company"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
    *router.urls,
]
