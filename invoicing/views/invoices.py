"""Invoice pages: invoices and credit notes, their lines inline (drafts), payments, PDF
(Factur-X) and UBL downloads, the Peppol hand-over.

Managers only. Every write is a POST that calls an invoicing service; a service's
ValidationError / ConflictError becomes a form error or a message, never a 500.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors
from core.views import manager_required
from core.web import flash_error, flash_form_errors, paginate, run_action
from invoicing import selectors, services
from invoicing.forms import (
    CreditNoteForm,
    InvoiceFilterForm,
    InvoiceLineEditForm,
    InvoiceValidateForm,
    PaymentCancelForm,
    PaymentForm,
)
from invoicing.models import Invoice, InvoiceLine, Payment
from invoicing.peppol import peppol_status
from invoicing.services.einvoices import invoice_ubl_bytes, ubl_filename
from invoicing.services.mail import invoice_mail_send_again
from timesheets.models import TimesheetEntry


def _invoice_list_qs(*, filters: dict) -> QuerySet[Invoice]:
    customer = filters.get("customer")
    qs = selectors.invoice_list(
        state=filters.get("state") or None,
        customer_id=customer.pk if customer else None,
        move_type=filters.get("move_type") or None,
    )
    if filters.get("payment_state"):
        qs = qs.filter(payment_state=filters["payment_state"])
    if search := filters.get("q"):
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(customer_name__icontains=search)
            | Q(sale_order__name__icontains=search)
        )
    return qs.order_by("-id")


def _invoice_detail(pk: int) -> Invoice:
    """An invoice with its lines, the entries each line bills, payments and credit notes."""
    entries = TimesheetEntry.objects.select_related("employee", "ticket", "work_type").order_by(
        "date", "id"
    )
    lines = InvoiceLine.objects.select_related("uom", "sale_line").prefetch_related(
        Prefetch("timesheets", queryset=entries)
    )
    return get_object_or_404(
        Invoice.objects.select_related(
            "customer", "sale_order", "reversed_invoice", "peppol"
        ).prefetch_related(
            Prefetch("lines", queryset=lines),
            Prefetch("payments", queryset=Payment.objects.select_related("cancelled_by")),
            "credit_notes",
        ),
        pk=pk,
    )


@require_GET
@manager_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, _invoice_list_qs(filters=filters))
    return render(
        request,
        "invoicing/invoice_list.html",
        {"filter_form": form, "page": page, "invoices": page.object_list},
    )


def _render_detail(request: HttpRequest, pk: int, *, status: int = 200, **extra) -> HttpResponse:
    invoice = _invoice_detail(pk)
    lines = list(invoice.lines.all())
    context = {
        "invoice": invoice,
        "lines": lines,
        "payments": list(invoice.payments.all()),
        "credit_notes": list(invoice.credit_notes.all()),
        "edit_line_id": None,
        "edit_form": None,
        "can_edit": invoice.is_draft,
        "can_credit": invoice.is_posted
        and not invoice.is_credit_note
        and invoice.payment_state != Invoice.REVERSED,
        "can_pay": invoice.is_posted and not invoice.is_credit_note and invoice.amount_due > 0,
        # A credit note's refund owed is its amount due (invoicing.services.payments).
        "can_refund": invoice.is_posted and invoice.is_credit_note and invoice.amount_due > 0,
        "amount_settled": invoice.amount_total - invoice.amount_paid - invoice.amount_due,
        "validate_form": InvoiceValidateForm(initial={"invoice_date": timezone.localdate()}),
        "cancel_form": PaymentCancelForm(),
        "has_ubl": invoice.is_posted and bool(invoice.ubl_xml),
        "peppol": peppol_status(invoice),
    }
    context.update(extra)
    edit_id = context["edit_line_id"]
    if edit_id and context["edit_form"] is None:
        line = next((line for line in lines if line.pk == edit_id), None)
        if line is None or not invoice.is_draft:
            context["edit_line_id"] = None
        else:
            context["edit_form"] = InvoiceLineEditForm(
                prefix=f"line{line.pk}",
                initial={
                    "description": line.description,
                    "quantity": line.quantity,
                    "price_unit": line.price_unit,
                },
            )
    if request.htmx:
        # htmx swaps only 2xx answers: form errors come back as 200 with the errors shown.
        return render(request, "invoicing/partials/invoice_lines.html", context)
    return render(request, "invoicing/invoice_detail.html", context, status=status)


def _edit_param(request: HttpRequest) -> int | None:
    edit = request.GET.get("edit", "")
    return int(edit) if edit.isdigit() else None


@require_GET
@manager_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, pk, edit_line_id=_edit_param(request))


@require_GET
@manager_required
def invoice_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """The lines section alone (htmx), optionally with one draft line in edit mode."""
    return _render_detail(request, pk, edit_line_id=_edit_param(request))


def _after_line_write(request: HttpRequest, invoice_pk: int, text: str) -> HttpResponse:
    messages.success(request, text)
    if request.htmx:
        return _render_detail(request, invoice_pk)
    return redirect(reverse("invoicing:invoice_detail", args=[invoice_pk]) + "#invoice-lines")


@require_POST
@manager_required
def invoice_line_update(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(InvoiceLine, pk=pk)
    form = InvoiceLineEditForm(request.POST, prefix=f"line{line.pk}")
    if form.is_valid():
        try:
            services.invoice_line_update(line=line, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _after_line_write(request, line.invoice_id, "Line saved.")
    return _render_detail(
        request, line.invoice_id, status=400, edit_line_id=line.pk, edit_form=form
    )


@require_POST
@manager_required
def invoice_line_delete(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(InvoiceLine, pk=pk)
    try:
        services.invoice_line_delete(line=line)
    except ValidationError as error:
        flash_error(request, error)
        if request.htmx:
            return _render_detail(request, line.invoice_id)
        return redirect("invoicing:invoice_detail", pk=line.invoice_id)
    return _after_line_write(
        request, line.invoice_id, "Line deleted; its timesheet entries can be billed again."
    )


def _invoice_action(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    next_url = reverse("invoicing:invoice_detail", args=[pk])
    return run_action(request, service, invoice=invoice, done=done, next_url=next_url)


@require_POST
@manager_required
def invoice_validate(request: HttpRequest, pk: int) -> HttpResponse:
    """Validate, dated today or on the date given (never in the future: rule 34)."""
    invoice = get_object_or_404(Invoice, pk=pk)
    form = InvoiceValidateForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("invoicing:invoice_detail", pk=pk)
    return run_action(
        request,
        services.invoice_validate,
        invoice=invoice,
        invoice_date=form.cleaned_data["invoice_date"],
        done="{0} is validated.",
        next_url=reverse("invoicing:invoice_detail", args=[pk]),
    )


@require_POST
@manager_required
def invoice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _invoice_action(
        request,
        pk,
        services.invoice_cancel,
        "The draft is cancelled; its timesheet entries can be billed again.",
    )


@require_http_methods(["GET", "POST"])
@manager_required
def invoice_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """Add Credit Note: the lines ticked, each reversed or written down (rule 31)."""
    invoice = _invoice_detail(pk)
    form = CreditNoteForm(request.POST if request.method == "POST" else None, invoice=invoice)
    if request.method == "POST" and form.is_valid():
        try:
            credit_note = services.invoice_credit(
                invoice=invoice, lines=form.credit_requests(), actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Credit note {credit_note} created for {invoice}.")
            return redirect("invoicing:invoice_detail", pk=credit_note.pk)
    status = 400 if form.errors else 200
    return render(
        request, "invoicing/credit_form.html", {"invoice": invoice, "form": form}, status=status
    )


def _money_form(request: HttpRequest, pk: int, *, refund: bool) -> HttpResponse:
    """Register Payment on an invoice, or Register Refund on a credit note: the same form
    (the amount still due, or still owed back, by default), the same answers."""
    document = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
    form = PaymentForm(
        request.POST if request.method == "POST" else None,
        initial={"amount": document.amount_due, "date": timezone.localdate(), "method": "bank"},
    )
    noun = "refund" if refund else "payment"
    if request.method == "POST" and form.is_valid():
        try:
            if refund:
                money = services.refund_register(
                    credit_note=document, actor=request.user, **form.cleaned_data
                )
            else:
                money = services.payment_register(
                    invoice=document, actor=request.user, **form.cleaned_data
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            document.refresh_from_db()
            state = document.get_payment_state_display()
            if money.recorded_before:
                messages.info(
                    request,
                    f"This {noun} was registered a moment ago; it is recorded once. "
                    f"{document} is {state}.",
                )
            else:
                messages.success(request, f"{noun.capitalize()} registered: {document} is {state}.")
            return redirect("invoicing:invoice_detail", pk=pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "invoicing/payment_form.html",
        {"invoice": document, "form": form, "refund": refund},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@manager_required
def payment_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register Payment: amount (the amount due by default), date, method, reference."""
    return _money_form(request, pk, refund=False)


@require_http_methods(["GET", "POST"])
@manager_required
def refund_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register Refund on a credit note: at most the refund it still owes (rule 32)."""
    return _money_form(request, pk, refund=True)


@require_POST
@manager_required
def payment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a payment or refund entered by mistake, with a reason (kept in history)."""
    payment = get_object_or_404(Payment.objects.select_related("invoice"), pk=pk)
    form = PaymentCancelForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
        try:
            services.payment_cancel(
                payment=payment, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as error:
            flash_error(request, error)
        else:
            invoice = Invoice.objects.get(pk=payment.invoice_id)
            kind = "Refund" if invoice.is_credit_note else "Payment"
            messages.success(
                request,
                f"{kind} of {payment.amount} cancelled: {invoice} is "
                f"{invoice.get_payment_state_display()}.",
            )
    return redirect(
        reverse("invoicing:invoice_detail", args=[payment.invoice_id]) + "#inv-payments"
    )


@require_GET
@manager_required
def unsent_invoices(request: HttpRequest) -> HttpResponse:
    """Posted invoices whose mail is pending or failed: why, how often tried, Send again."""
    page = paginate(request, selectors.unsent_invoice_mail())
    return render(
        request, "invoicing/unsent_invoices.html", {"page": page, "mails": page.object_list}
    )


@require_POST
@manager_required
def invoice_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    return run_action(
        request,
        invoice_mail_send_again,
        invoice=invoice,
        done=f"The mail of {invoice} is being sent again.",
        next_url=reverse("invoicing:unsent_invoices"),
    )


@require_GET
@manager_required
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        content = services.invoice_pdf_bytes(invoice=invoice)
    except ValidationError as error:
        flash_error(request, error)
        return redirect("invoicing:invoice_detail", pk=pk)
    name = (str(invoice) if invoice.number else f"draft-{invoice.pk}").replace("/", "-")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@require_GET
@manager_required
def invoice_ubl(request: HttpRequest, pk: int) -> HttpResponse:  # noqa: ARG001 (a view)
    """The UBL e-invoice (Peppol BIS 3) stored at posting; none for drafts and for
    invoices posted before e-invoices."""
    invoice = get_object_or_404(Invoice, pk=pk, state=Invoice.POSTED)
    ubl = invoice_ubl_bytes(invoice=invoice)
    if not ubl:
        raise Http404(f"{invoice} was posted before e-invoices: it has no UBL.")
    response = HttpResponse(ubl, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{ubl_filename(invoice)}"'
    return response
