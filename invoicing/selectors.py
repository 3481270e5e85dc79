"""Reads for invoice pages, the API and the PDF."""

from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from core.numbers import format_minutes
from invoicing.models import Invoice, InvoiceEmail, InvoiceLine, Payment

ZERO = Decimal("0")


def invoice_list(
    *, state: str | None = None, customer_id: int | None = None, move_type: str | None = None
) -> QuerySet[Invoice]:
    # Not the appendix (a JSON copy of every billed entry: most of an invoice's bytes).
    invoices = Invoice.objects.select_related("customer", "sale_order", "reversed_invoice").defer(
        "appendix", "reversed_invoice__appendix"
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
        .defer("invoice__appendix")
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


def tax_groups(lines) -> list[dict]:
    """Base and tax per rate: sums of the per-line figures (DOMAIN.md example 8)."""
    groups: dict[Decimal, dict] = {}
    for line in lines:
        group = groups.setdefault(line.tax_rate, {"rate": line.tax_rate, "base": ZERO, "tax": ZERO})
        group["base"] += line.amount_untaxed
        group["tax"] += line.amount_tax
    return [groups[rate] for rate in sorted(groups)]


def appendix_by_ticket(rows: list[dict]) -> list[dict]:
    """Billed entries grouped by ticket, in the rows' (ticket) order, entries without a
    ticket last; each group with its hours as H:MM."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get("ticket") or "", []).append(row)
    if "" in groups:
        groups[""] = groups.pop("")
    return [
        {
            "ticket": ticket or "No ticket",
            "rows": sorted(entries, key=lambda r: (r["date"], r.get("entry") or 0)),
            "hours": format_minutes(sum(r["minutes"] for r in entries)),
        }
        for ticket, entries in groups.items()
    ]


def invoice_document(*, invoice: Invoice) -> dict:
    """Everything the invoice prints (DOMAIN.md rule 26).

    A posted invoice prints its frozen copy only; a draft prints today's data.
    """
    from invoicing.services.posting import appendix_rows, customer_snapshot, seller_snapshot

    lines = list(invoice.lines.select_related("uom"))
    if invoice.state == Invoice.POSTED:
        parties = {
            "seller_name": invoice.seller_name,
            "seller_address": invoice.seller_address,
            "seller_vat": invoice.seller_vat,
            "customer_name": invoice.customer_name,
            "customer_address": invoice.customer_address,
            "customer_vat": invoice.customer_vat,
            "customer_email": invoice.customer_email,
        }
        appendix = invoice.appendix
    else:
        parties = {**seller_snapshot(), **customer_snapshot(invoice.customer)}
        appendix = appendix_rows(invoice=invoice)
    if invoice.is_credit_note:
        title = "Credit Note"
    else:
        title = "Invoice" if invoice.state == Invoice.POSTED else "Draft Invoice"
    minutes = sum(row["minutes"] for row in appendix)
    return {
        "invoice": invoice,
        "title": title,
        "is_draft": invoice.state != Invoice.POSTED,
        **parties,
        "seller_address_lines": parties["seller_address"].splitlines(),
        "customer_address_lines": parties["customer_address"].splitlines(),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "uom_name": line.uom_name or line.uom.name,
                "price_unit": line.price_unit,
                "tax_rate": line.tax_rate,
                "amount_untaxed": line.amount_untaxed,
                "amount_tax": line.amount_tax,
            }
            for line in lines
        ],
        "taxes": tax_groups(lines),
        "appendix": appendix_by_ticket(appendix),
        "appendix_hours": format_minutes(minutes),
    }
