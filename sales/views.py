"""Sales pages: quotations and orders, their lines inline (htmx).

Upper apps add their sections to the order page through `sales.events.order_page_sections`
(invoicing: Create Invoice and the order's invoices). Managers only. Every write is a POST
that calls a service; a service's ValidationError / ConflictError becomes a form error or
a message, never a 500.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat, linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors, lean_form
from core.links import url_of
from core.numbers import format_minutes
from core.templatetags.billable import money, qty
from core.views import manager_required
from core.web import flash_error, paginate, run_action
from sales import events, selectors, services
from sales.forms import OrderFilterForm, OrderForm, OrderLineEditForm, OrderLineForm
from sales.models import SaleOrder, SaleOrderLine, VatCategory

# --- Orders -----------------------------------------------------------------------------


@require_GET
@manager_required
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = selectors.order_list(
        state=filters.get("state", ""),
        invoice_status=filters.get("invoice_status", ""),
        customer=filters.get("customer"),
        search=filters.get("q", ""),
    )
    page = paginate(request, orders)
    return render(
        request,
        "sales/order_list.html",
        {"filter_form": form, "page": page, "orders": page.object_list},
    )


@require_http_methods(["GET", "POST"])
@manager_required
def order_create(request: HttpRequest) -> HttpResponse:
    form = OrderForm(
        request.POST if request.method == "POST" else None,
        initial={"date_order": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_create(
                customer=form.cleaned_data["customer"],
                date_order=form.cleaned_data["date_order"],
                note=form.cleaned_data["note"],
                customer_reference=form.cleaned_data["customer_reference"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Quotation {order.name} created: add its lines.")
            return redirect("sales:order_detail", pk=order.pk)
    return render(request, "sales/order_create.html", {"form": form})


def _detail_context(order: SaleOrder, **extra) -> dict:
    lines = list(order.lines.all())
    # Each row's links, one reverse per URL name rather than five per row.
    edit_url = reverse("sales:order_detail", args=[order.pk]) + "?edit="
    edit_htmx_url = reverse("sales:order_lines", args=[order.pk]) + "?edit="
    delete_url, task_url = url_of("sales:line_delete"), url_of("projects:task_detail")
    for line in lines:
        line.edit_url = f"{edit_url}{line.pk}#line-{line.pk}"
        line.edit_htmx_url = f"{edit_htmx_url}{line.pk}"
        line.delete_url = delete_url(line.pk)
        line.task_links = [(task_url(task.pk), task.name) for task in line.tasks.all()]
    context = {
        "nav_section": "sales",  # also when invoicing's URLs serve the page (base.html)
        "order": order,
        "lines": lines,
        "line_form": OrderLineForm(prefix="new"),
        "edit_line_id": None,
        "edit_form": None,
        "header_form": _header_form(order),
        "can_edit_lines": order.state != SaleOrder.CANCEL,
        "can_delete_lines": order.state == SaleOrder.DRAFT,
        "has_prepaid": any(line.is_prepaid for line in lines),
        # The buttons follow the services' rules, which still decide on the POST.
        "can_cancel": order.state != SaleOrder.CANCEL
        and not any(line.qty_invoiced for line in lines),
    }
    context["order_sections"] = []
    for _receiver, (template, section) in events.order_page_sections.send(
        sender=SaleOrder, order=order
    ):
        context["order_sections"].append(template)
        context.update(section)
    context.update(extra)
    # Four forms, a dozen field groups: through Django's widget templates they cost this
    # page about 13 ms more (measured in issue 14), so they are joined in Python.
    for value in context.values():
        if isinstance(value, forms.BaseForm):
            lean_form(value)
    return context


def _header_form(order: SaleOrder, data=None) -> OrderForm:
    form = OrderForm(
        data,
        initial={
            "customer": order.customer,
            "date_order": order.date_order,
            "customer_reference": order.customer_reference,
            "note": order.note,
        },
    )
    # The select shows names: not the 200 customers' addresses.
    form.fields["customer"].queryset = form.fields["customer"].queryset.only("id", "name")
    if order.state != SaleOrder.DRAFT:
        form.fields["customer"].disabled = True
        form.fields["customer"].help_text = "The customer of a confirmed order is fixed."
    return form


def _edit_form_for(line: SaleOrderLine) -> OrderLineEditForm:
    return OrderLineEditForm(
        prefix=f"line{line.pk}",
        line=line,
        initial={
            "rounding_increment": line.rounding_increment,
            "rounding_mode": line.rounding_mode,
            "minimum_minutes": line.minimum_minutes,
            "rate_work_type": line.rate_work_type_id,
            "rate_employee": line.rate_employee_id,
            "description": line.description,
            "quantity": line.quantity,
            "price_unit": line.price_unit,
            "tax_rate": line.tax_rate,
            "vat_category": line.vat_category,
            "vat_exemption_reason": line.vat_exemption_reason,
        },
    )


def _rate_label(line: SaleOrderLine) -> str:
    """Rule 30: what a rate line bills ("Rate line for After hours, Jane Doe")."""
    if not line.is_rate_line:
        return ""
    parts = []
    if line.rate_work_type_id:
        parts.append(str(line.rate_work_type))
    if line.rate_employee_id:
        employee = line.rate_employee
        parts.append(employee.get_full_name() or employee.get_username())
    return "Rate line for " + ", ".join(parts)


def _line_rows(lines: list[SaleOrderLine], *, edit_line_id: int | None) -> list[dict]:
    """Each line's cells, formatted once here: a dozen filters a row through the template
    engine were most of the page's time. The template (order_lines.html) lays them out."""
    rows = []
    for line in lines:
        remaining = line.remaining_minutes
        rows.append(
            {
                "pk": line.pk,
                "editing": line.pk == edit_line_id,
                "label": line.first_description_line,
                "product": str(line.product),
                "description": linebreaksbr(line.description),
                "quantity": qty(line.quantity),
                "uom": str(line.uom),
                "price_unit": money(line.price_unit),
                "tax_rate": floatformat(line.tax_rate, "-2"),
                # Only what is not the standard rate is named: Z, E, AE (rule 43).
                "vat_category": ""
                if line.vat_category == VatCategory.STANDARD
                else line.vat_category,
                "vat_label": line.get_vat_category_display(),
                "vat_reason": line.vat_exemption_reason,
                "subtotal": money(line.amount_untaxed),
                "delivered": qty(line.qty_delivered),
                "invoiced": qty(line.qty_invoiced),
                "written_down": qty(line.qty_written_down),
                "to_invoice": qty(line.qty_to_invoice),
                "remaining": format_minutes(remaining) if line.is_prepaid else "",
                "remaining_negative": remaining is not None and remaining < 0,
                "rate": _rate_label(line),
                "rounding": line.rounding_display
                if line.rounding_increment > 1 or line.minimum_minutes
                else "",
                "task_links": line.task_links,
                "edit_url": line.edit_url,
                "edit_htmx_url": line.edit_htmx_url,
                "delete_url": line.delete_url,
            }
        )
    return rows


def render_order_page(request: HttpRequest, order_pk: int, *, status: int = 200, **extra):
    """The order page, or only its lines section for an htmx request."""
    order = selectors.order_detail(pk=order_pk)
    context = _detail_context(order, **extra)
    lines, edit_id = context["lines"], context["edit_line_id"]
    edit_line = next((line for line in lines if line.pk == edit_id), None) if edit_id else None
    if edit_line is None:
        context["edit_line_id"] = None
    elif context["edit_form"] is None:
        context["edit_form"] = _edit_form_for(edit_line)
    context["edit_line"] = edit_line
    context["line_rows"] = _line_rows(lines, edit_line_id=context["edit_line_id"])
    if request.htmx:
        # htmx swaps only 2xx answers: form errors come back as 200 with the errors shown.
        return render(request, "sales/partials/order_lines.html", context)
    return render(request, "sales/order_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@manager_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return _order_update(request, pk)
    edit = request.GET.get("edit", "")
    return render_order_page(request, pk, edit_line_id=int(edit) if edit.isdigit() else None)


def _order_update(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(SaleOrder, pk=pk)
    form = _header_form(order, request.POST)
    if form.is_valid():
        try:
            services.order_update(
                order=order,
                customer=form.cleaned_data["customer"],
                date_order=form.cleaned_data["date_order"],
                note=form.cleaned_data["note"],
                customer_reference=form.cleaned_data["customer_reference"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{order.name} saved.")
            return redirect("sales:order_detail", pk=pk)
    return render_order_page(request, pk, status=400, header_form=form)


@require_GET
@manager_required
def order_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """The lines section alone (htmx), optionally with one line in edit mode."""
    edit = request.GET.get("edit", "")
    return render_order_page(request, pk, edit_line_id=int(edit) if edit.isdigit() else None)


def _after_line_write(request: HttpRequest, order_pk: int, text: str) -> HttpResponse:
    messages.success(request, text)
    if request.htmx:
        return render_order_page(request, order_pk)
    return redirect(reverse("sales:order_detail", args=[order_pk]) + "#order-lines")


@require_POST
@manager_required
def order_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(SaleOrder, pk=pk)
    form = OrderLineForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            line = services.order_line_add(
                order=order,
                product=data["product"],
                quantity=data["quantity"],
                description=data["description"] or None,
                price_unit=data["price_unit"],
                tax_rate=data["tax_rate"],
                vat_category=data["vat_category"] or None,
                # Empty: the product's reason (an exempt product names its law).
                vat_exemption_reason=data["vat_exemption_reason"] or None,
                **form.billing_values(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _after_line_write(request, pk, f"Line “{line.first_description_line}” added.")
    return render_order_page(request, pk, status=400, line_form=form)


@require_POST
@manager_required
def order_line_update(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(SaleOrderLine.objects.select_related("order"), pk=pk)
    form = OrderLineEditForm(request.POST, prefix=f"line{line.pk}", line=line)
    if form.is_valid():
        data = {**form.cleaned_data, "vat_category": form.cleaned_data["vat_category"] or None}
        try:
            services.order_line_update(line=line, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _after_line_write(request, line.order_id, "Line saved.")
    return render_order_page(
        request, line.order_id, status=400, edit_line_id=line.pk, edit_form=form
    )


@require_POST
@manager_required
def order_line_delete(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(SaleOrderLine.objects.select_related("order"), pk=pk)
    try:
        services.order_line_delete(line=line)
    except ValidationError as error:
        flash_error(request, error)
        if request.htmx:
            return render_order_page(request, line.order_id)
        return redirect("sales:order_detail", pk=line.order_id)
    return _after_line_write(request, line.order_id, "Line deleted.")


def _order_action(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    order = get_object_or_404(SaleOrder, pk=pk)
    next_url = reverse("sales:order_detail", args=[pk])
    return run_action(request, service, order=order, done=done, next_url=next_url)


@require_POST
@manager_required
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(request, pk, services.order_confirm, "{0.name} is confirmed.")


@require_POST
@manager_required
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(request, pk, services.order_cancel, "{0.name} is cancelled.")
