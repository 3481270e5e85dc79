"""Reads for invoice pages and the API (what an invoice prints: invoicing.documents)."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from invoicing.models import Invoice, InvoiceEmail, InvoiceLine, Payment

# What a list of invoices never shows: the JSON copy of every billed entry and the two
# e-invoices (most of an invoice's bytes).
HEAVY_FIELDS = ("appendix", "ubl_xml", "cii_xml", "snapshot")


def invoice_list(
    *, state: str | None = None, customer_id: int | None = None, move_type: str | None = None
) -> QuerySet[Invoice]:
    invoices = Invoice.objects.select_related("customer", "sale_order", "reversed_invoice").defer(
        *HEAVY_FIELDS, *(f"reversed_invoice__{name}" for name in HEAVY_FIELDS)
    )
    if state:
        invoices = invoices.filter(state=state)
    if customer_id:
        invoices = invoices.filter(customer_id=customer_id)
    if move_type:
        invoices = invoices.filter(move_type=move_type)
    return invoices


def unsent_invoice_mail() -> QuerySet[InvoiceEmail]:
    """The outbox rows of posted invoices whose mail is pending or failed, failed first
    ("failed" sorts before "pending"), oldest first; with their invoice (one query)."""
    return (
        InvoiceEmail.objects.filter(state__in=[InvoiceEmail.PENDING, InvoiceEmail.FAILED])
        .select_related("invoice")
        .defer(*(f"invoice__{name}" for name in HEAVY_FIELDS))
        .order_by("state", "created_at", "pk")
    )


def invoice_detail(*, pk: int) -> Invoice:
    """An invoice with its lines (unit, order line, billed entry ids) and payments."""
    return (
        Invoice.objects.select_related("customer", "sale_order", "reversed_invoice")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=InvoiceLine.objects.select_related("uom", "sale_line").prefetch_related(
                    "timesheets"
                ),
            ),
            Prefetch("payments", queryset=Payment.objects.order_by("date", "pk")),
            "credit_notes",
        )
        .get(pk=pk)
    )


def order_invoices(*, order) -> QuerySet[Invoice]:
    """The invoices the order page lists (invoicing's section of it), newest first; not
    their appendix (a JSON copy of every billed entry: most of an invoice's bytes)."""
    return Invoice.objects.filter(sale_order=order).defer(*HEAVY_FIELDS).order_by("-id")


def creditable_lines(*, invoice: Invoice) -> QuerySet[InvoiceLine]:
    """The lines of an invoice a credit note may still credit (not reversed by a posted
    credit note; DOMAIN.md rule 31), by sequence, each annotated with `written_down`:
    what posted write-down credit notes took from it already."""
    quantity = DecimalField(max_digits=14, decimal_places=2)
    taken = (
        InvoiceLine.objects.filter(
            reversed_line_id=OuterRef("pk"),
            credit_mode=InvoiceLine.WRITE_DOWN,
            invoice__state=Invoice.POSTED,
        )
        .order_by()
        .values("reversed_line_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    reversed_ids = (
        InvoiceLine.objects.filter(reversed_line__invoice=invoice, invoice__state=Invoice.POSTED)
        .exclude(credit_mode=InvoiceLine.WRITE_DOWN)
        .values("reversed_line_id")
    )
    return (
        invoice.lines.exclude(pk__in=reversed_ids)
        .annotate(
            written_down=Coalesce(
                Subquery(taken, output_field=quantity), Value(Decimal("0")), output_field=quantity
            )
        )
        .order_by("sequence", "pk")
    )
