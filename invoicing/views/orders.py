"""The invoicing actions of the order pages: Create Invoice on an order (its section of
the order page) and Invoice all orders up to a date (the billing run).

Managers only; their addresses stay under /sales/ (invoicing/urls.py)."""

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_service_errors
from core.views import manager_required
from invoicing import selectors, services
from invoicing.forms import BillingRunForm, InvoicePeriodForm
from sales.models import SaleOrder
from sales.views import render_order_page

ORDER_SECTION_TEMPLATE = "invoicing/partials/order_invoicing.html"


def order_section(*, order: SaleOrder) -> tuple[str, dict]:
    """The order page's invoicing section: Create Invoice and the order's invoices
    (answers `sales.events.order_page_sections`)."""
    lines = order.lines.all()
    return ORDER_SECTION_TEMPLATE, {
        "invoices": list(selectors.order_invoices(order=order)),
        "invoice_form": InvoicePeriodForm(),
        # The button follows the service's rule, which still decides on the POST.
        "can_invoice": order.is_confirmed and any(line.qty_to_invoice for line in lines),
    }


@require_POST
@manager_required
def order_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """Create Invoice: one draft for what the order has to invoice (up to a date or a period)."""
    order = get_object_or_404(SaleOrder, pk=pk)
    form = InvoicePeriodForm(request.POST)
    if form.is_valid():
        try:
            invoice = services.invoice_create_from_order(
                order=order, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Draft invoice created for {order.name}.")
            return redirect("invoicing:invoice_detail", pk=invoice.pk)
    return render_order_page(request, pk, status=400, invoice_form=form)


# Outside the request transaction: billing_run invoices each order in its own transaction,
# so one failing order does not undo the others and locks are released order by order.
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@manager_required
def billing_run(request: HttpRequest) -> HttpResponse:
    """Pick a date, preview what each order would bill, then create all the drafts."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = BillingRunForm(data, initial={"up_to": timezone.localdate()})
    rows = None
    if form.is_valid():
        up_to = form.cleaned_data["up_to"]
        if request.method == "POST":
            try:
                invoices = services.billing_run(up_to=up_to, actor=request.user)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if invoices:
                    messages.success(request, f"{len(invoices)} draft invoice(s) created.")
                elif not invoices.failed:
                    messages.info(request, f"Nothing to invoice up to {up_to:%Y-%m-%d}.")
                for failure in invoices.failed:
                    messages.error(
                        request, f"{failure.order_name} was not invoiced: {failure.reason}"
                    )
                return redirect(
                    reverse("invoicing:invoice_list") + "?" + urlencode({"state": "draft"})
                )
        try:
            rows = services.billing_run_preview(up_to=up_to)
        except ValidationError as error:
            apply_service_errors(form, error)
    total = sum((row.amount_total for row in rows or ()), Decimal("0"))
    context = {"form": form, "rows": rows, "total": total, "nav_section": "sales"}
    return render(request, "invoicing/billing_run.html", context)
