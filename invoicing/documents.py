"""The invoice document: everything an invoice prints, as one typed structure (rule 26).

`invoice_document(invoice=...)` is the one seam between an invoice and whatever
renders it: the PDF (`invoicing.pdf`) reads an `InvoiceDocument` and nothing else, and
an e-invoice renderer (UBL, CII) beside it reads the same structure. A posted invoice's
document is built from its frozen copy alone (the fields posting froze, the lines and
the appendix stored with it); a draft's from today's data (settings, the customer
record, the entries billed now), which is exactly what posting would freeze.

Posting (`invoicing.services.posting`) freezes the parties with `seller_snapshot()` /
`customer_snapshot()` and the appendix with `appendix_rows()`, from here: this module
imports no service.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

from core.numbers import format_minutes
from invoicing.models import Invoice, InvoiceLine
from sales.models import Customer
from timesheets.models import TimesheetEntry

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Party:
    """The seller or the buyer as the invoice names them."""

    name: str
    address: str  # the postal address as frozen: one line of text per line
    vat: str = ""
    email: str = ""  # the buyer's (the invoice is mailed there); the seller's is not frozen

    @property
    def address_lines(self) -> list[str]:
        return self.address.splitlines()


@dataclass(frozen=True, slots=True)
class DocumentLine:
    description: str
    quantity: Decimal
    uom_name: str  # the unit's name (frozen at posting)
    price_unit: Decimal
    tax_rate: Decimal  # percent
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal


@dataclass(frozen=True, slots=True)
class TaxGroup:
    """Base and tax of one rate: the sums of the per-line figures (DOMAIN.md example 8)."""

    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    due: Decimal  # what is still to pay (the invoice's payment figures)


@dataclass(frozen=True, slots=True)
class AppendixEntry:
    """One billed timesheet entry, as frozen in `Invoice.appendix`."""

    entry: int | None
    line: int | None  # the invoice line that bills it
    date: str  # ISO date
    employee: str
    ticket: str  # "#<id> <subject>", or "" for an entry without a ticket
    task: str
    description: str
    minutes: int
    hours: str  # H:MM


@dataclass(frozen=True, slots=True)
class AppendixGroup:
    """The billed entries of one ticket ("No ticket" for the rest), by date."""

    ticket: str
    hours: str  # H:MM, the group's total
    entries: tuple[AppendixEntry, ...]


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    title: str  # "Invoice", "Draft Invoice" or "Credit Note"
    is_draft: bool  # not posted: printed as DRAFT, not a valid invoice
    move_type: str  # Invoice.INVOICE or Invoice.CREDIT_NOTE
    number: str | None  # None until posted
    invoice_date: date | None
    due_date: date | None
    period_start: date | None
    period_end: date | None
    order_name: str | None  # the sale order invoiced, if any
    reversed_invoice_number: str | None  # a credit note's credited invoice
    currency: str
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    tax_groups: tuple[TaxGroup, ...]
    totals: Totals
    appendix: tuple[AppendixGroup, ...]
    appendix_hours: str  # H:MM, every billed entry

    @property
    def is_credit_note(self) -> bool:
        return self.move_type == Invoice.CREDIT_NOTE


# The Invoice fields that freeze each party at posting, by Party attribute.
SELLER_FIELDS = {"name": "seller_name", "address": "seller_address", "vat": "seller_vat"}
BUYER_FIELDS = {
    "name": "customer_name",
    "address": "customer_address",
    "vat": "customer_vat",
    "email": "customer_email",
}


def _frozen_fields(party: Party, fields: dict[str, str]) -> dict[str, str]:
    return {field: getattr(party, attribute) for attribute, field in fields.items()}


def _frozen_party(invoice: Invoice, fields: dict[str, str]) -> Party:
    return Party(**{attribute: getattr(invoice, field) for attribute, field in fields.items()})


def current_seller() -> Party:
    """The seller today (settings)."""
    return Party(
        name=settings.COMPANY_NAME, address=settings.COMPANY_ADDRESS, vat=settings.COMPANY_VAT
    )


def current_buyer(customer: Customer) -> Party:
    """The buyer today (the customer record)."""
    return Party(
        name=customer.name,
        address="\n".join(customer.address_lines),
        vat=customer.vat,
        email=customer.email,
    )


def seller_snapshot() -> dict[str, str]:
    """The seller's Invoice fields as posting freezes them now."""
    return _frozen_fields(current_seller(), SELLER_FIELDS)


def customer_snapshot(customer: Customer) -> dict[str, str]:
    """The buyer's Invoice fields as posting freezes them now."""
    return _frozen_fields(current_buyer(customer), BUYER_FIELDS)


def _employee_name(user) -> str:
    return user.get_full_name() or user.get_username()


def appendix_rows(*, invoice: Invoice) -> list[dict]:
    """The entries billed by this invoice now, ordered by ticket then date (rule 26): the
    JSON rows posting freezes in `Invoice.appendix`."""
    entries = (
        TimesheetEntry.objects.filter(invoice_line__invoice=invoice)
        .select_related("employee", "ticket", "task")
        .order_by("ticket_id", "date", "pk")
    )
    return [
        {
            "entry": entry.pk,
            "line": entry.invoice_line_id,
            "date": entry.date.isoformat(),
            "employee": _employee_name(entry.employee),
            "ticket": f"#{entry.ticket_id} {entry.ticket.subject}" if entry.ticket_id else "",
            "task": entry.task.name if entry.task_id else "",
            "description": entry.description,
            "minutes": entry.minutes,
            "hours": format_minutes(entry.minutes),
        }
        for entry in entries
    ]


def tax_groups(lines: list[InvoiceLine]) -> tuple[TaxGroup, ...]:
    """Base and tax per rate, lowest rate first: sums of the per-line figures."""
    bases: dict[Decimal, Decimal] = {}
    taxes: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.tax_rate] = bases.get(line.tax_rate, ZERO) + line.amount_untaxed
        taxes[line.tax_rate] = taxes.get(line.tax_rate, ZERO) + line.amount_tax
    return tuple(TaxGroup(rate=rate, base=bases[rate], tax=taxes[rate]) for rate in sorted(bases))


def _appendix_entry(row: dict) -> AppendixEntry:
    return AppendixEntry(
        entry=row.get("entry"),
        line=row.get("line"),
        date=row["date"],
        employee=row.get("employee", ""),
        ticket=row.get("ticket") or "",
        task=row.get("task", ""),
        description=row.get("description", ""),
        minutes=row["minutes"],
        hours=row.get("hours", ""),
    )


def appendix_by_ticket(rows: list[dict]) -> tuple[AppendixGroup, ...]:
    """Billed entries grouped by ticket, in the rows' (ticket) order, entries without a
    ticket last; each group by date, with its hours as H:MM."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get("ticket") or "", []).append(row)
    if "" in groups:
        groups[""] = groups.pop("")
    return tuple(
        AppendixGroup(
            ticket=ticket or "No ticket",
            hours=format_minutes(sum(row["minutes"] for row in group)),
            entries=tuple(
                _appendix_entry(row)
                for row in sorted(group, key=lambda r: (r["date"], r.get("entry") or 0))
            ),
        )
        for ticket, group in groups.items()
    )


def _document_line(line: InvoiceLine) -> DocumentLine:
    return DocumentLine(
        description=line.description,
        quantity=line.quantity,
        uom_name=line.uom_name or line.uom.name,
        price_unit=line.price_unit,
        tax_rate=line.tax_rate,
        amount_untaxed=line.amount_untaxed,
        amount_tax=line.amount_tax,
        amount_total=line.amount_total,
    )


def invoice_document(*, invoice: Invoice) -> InvoiceDocument:
    """Everything the invoice prints (DOMAIN.md rule 26).

    A posted invoice prints its frozen copy only; a draft prints today's data.
    """
    lines = list(invoice.lines.select_related("uom"))
    posted = invoice.state == Invoice.POSTED
    if posted:
        seller = _frozen_party(invoice, SELLER_FIELDS)
        buyer = _frozen_party(invoice, BUYER_FIELDS)
        appendix = invoice.appendix
    else:
        seller = current_seller()
        buyer = current_buyer(invoice.customer)
        appendix = appendix_rows(invoice=invoice)
    posted_title = "Invoice" if posted else "Draft Invoice"
    title = "Credit Note" if invoice.is_credit_note else posted_title
    return InvoiceDocument(
        title=title,
        is_draft=not posted,
        move_type=invoice.move_type,
        number=invoice.number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        order_name=invoice.sale_order.name if invoice.sale_order_id else None,
        reversed_invoice_number=(
            invoice.reversed_invoice.number if invoice.reversed_invoice_id else None
        ),
        currency=invoice.currency,
        seller=seller,
        buyer=buyer,
        lines=tuple(_document_line(line) for line in lines),
        tax_groups=tax_groups(lines),
        totals=Totals(
            untaxed=invoice.amount_untaxed,
            tax=invoice.amount_tax,
            total=invoice.amount_total,
            due=invoice.amount_due,
        ),
        appendix=appendix_by_ticket(appendix),
        appendix_hours=format_minutes(sum(row["minutes"] for row in appendix)),
    )
