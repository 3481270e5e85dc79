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

from django_countries import countries

from core.models import Company
from core.numbers import format_minutes
from invoicing.models import Invoice, InvoiceLine
from sales.models import Customer, VatCategory, WorkType
from timesheets.models import TimesheetEntry

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Party:
    """The seller or the buyer as the invoice names them (EN 16931 BG-4 / BG-7).

    Invoices posted before structured snapshots (hash formula < 3) have only `name`,
    `address` (joined lines), `vat` and `email`: `structured` is False and they print
    as they were. Every newer document fills the structured fields.
    """

    name: str  # legal name (BT-27 / BT-44)
    address: str = ""  # the postal address as one line of text per line (old invoices)
    vat: str = ""  # VAT identifier with country prefix (BT-31 / BT-48)
    email: str = ""  # seller contact e-mail (BT-43) / buyer invoicing e-mail (where it is sent)
    street: str = ""  # BT-35 / BT-50
    street2: str = ""  # BT-36 / BT-51
    zip: str = ""  # BT-38 / BT-53
    city: str = ""  # BT-37 / BT-52
    country: str = ""  # ISO 3166-1 alpha-2 (BT-40 / BT-55)
    registration: str = ""  # company registration number (BT-30 / BT-47)
    peppol_scheme: str = ""  # EAS code of the electronic address, e.g. 0208 (BT-34/49 scheme)
    peppol_id: str = ""  # the electronic address (BT-34 / BT-49)
    phone: str = ""  # seller contact telephone (BT-42)
    structured: bool = False

    @property
    def address_lines(self) -> list[str]:
        if not self.structured:
            return self.address.splitlines()
        city = " ".join(part for part in (self.zip, self.city) if part)
        country = country_name(self.country)
        return [part for part in (self.street, self.street2, city, country) if part]

    def as_snapshot(self) -> dict[str, str]:
        """The JSON this party is frozen as (`Invoice.parties`)."""
        return {name: getattr(self, name) for name in SNAPSHOT_PARTY_FIELDS}


# The structured fields frozen per party in `Invoice.parties` (rule 42).
SNAPSHOT_PARTY_FIELDS = (
    "name",
    "street",
    "street2",
    "zip",
    "city",
    "country",
    "vat",
    "registration",
    "peppol_scheme",
    "peppol_id",
    "email",
    "phone",
)


@dataclass(frozen=True, slots=True)
class PaymentDetails:
    """How the buyer pays (BG-16, BT-20): the seller's account and the reference."""

    terms: str  # "Payment within 30 days" (BT-20)
    reference: str  # structured: +++123/4567/89012+++ (BE seller) or RF18... (BT-83)
    iban: str = ""  # BT-84
    bic: str = ""  # BT-86
    account_name: str = ""  # BT-85, the seller's name


@dataclass(frozen=True, slots=True)
class DocumentLine:
    description: str
    quantity: Decimal
    uom_name: str  # the unit's name (frozen at posting)
    uom_code: str  # UN/ECE Rec. 20 (HUR, DAY, MIN; C62 for units) (BT-130)
    price_unit: Decimal
    tax_rate: Decimal  # percent
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    vat_category: str = "S"  # UNCL5305: S, Z, E, AE (BT-151)
    vat_exemption_reason: str = ""  # E and AE (BT-120 in the breakdown)


@dataclass(frozen=True, slots=True)
class TaxGroup:
    """Base and tax of one VAT category and rate: the sums of the per-line figures
    (DOMAIN.md example 8; EN 16931 BG-23)."""

    rate: Decimal
    base: Decimal
    tax: Decimal
    category: str = "S"
    exemption_reason: str = ""


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
    minutes: int  # worked minutes (rule 28)
    hours: str  # H:MM, worked
    # Rule 28: billed minutes, H:MM, and whether its work type is No charge. Rows frozen
    # before billed minutes have none: they print as they did (worked = billed then).
    billed_minutes: int | None = None
    billed: str = ""
    no_charge: bool = False


@dataclass(frozen=True, slots=True)
class AppendixGroup:
    """The billed entries of one ticket ("No ticket" for the rest), by date."""

    ticket: str
    hours: str  # H:MM, the group's total worked
    entries: tuple[AppendixEntry, ...]
    billed: str = ""  # H:MM, the group's total billed; "" for rows frozen without it


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
    order_name: str | None  # the sale order invoiced, if any (BT-14)
    reversed_invoice_number: str | None  # a credit note's credited invoice (BT-25)
    reversed_invoice_date: date | None  # BT-26
    currency: str
    seller: Party
    buyer: Party
    buyer_reference: str  # the order's customer reference, the buyer's PO (BT-10 / BT-13)
    payment: PaymentDetails | None  # None on invoices posted before e-invoices
    lines: tuple[DocumentLine, ...]
    tax_groups: tuple[TaxGroup, ...]
    totals: Totals
    appendix: tuple[AppendixGroup, ...]
    appendix_hours: str  # H:MM, the worked time of every entry in the appendix
    # H:MM, their billed time; "" when the appendix was frozen before billed minutes.
    appendix_billed: str = ""

    @property
    def is_credit_note(self) -> bool:
        return self.move_type == Invoice.CREDIT_NOTE

    @property
    def reverse_charge(self) -> bool:
        """A line is reverse charged (AE): the PDF says "Reverse charge" (rule 43)."""
        return any(line.vat_category == VAT_REVERSE_CHARGE for line in self.lines)


# The Invoice fields that freeze each party at posting, by Party attribute: the
# joined-lines copy every invoice has (lists, search, invoices posted before e-invoices).
SELLER_FIELDS = {"name": "seller_name", "address": "seller_address", "vat": "seller_vat"}
BUYER_FIELDS = {
    "name": "customer_name",
    "address": "customer_address",
    "vat": "customer_vat",
    "email": "customer_email",
}

VAT_REVERSE_CHARGE = VatCategory.REVERSE_CHARGE.value


def country_name(code: str) -> str:
    return countries.name(code) if code else ""


def _frozen_fields(party: Party, fields: dict[str, str]) -> dict[str, str]:
    values = {field: getattr(party, attribute) for attribute, field in fields.items()}
    if "address" in fields:
        values[fields["address"]] = "\n".join(party.address_lines)
    return values


def _legacy_party(invoice: Invoice, fields: dict[str, str]) -> Party:
    return Party(**{attribute: getattr(invoice, field) for attribute, field in fields.items()})


def _frozen_party(invoice: Invoice, role: str, fields: dict[str, str]) -> Party:
    """A party as posting froze it: structured when the invoice has a snapshot."""
    frozen = (invoice.snapshot or {}).get(role)
    if not frozen:
        return _legacy_party(invoice, fields)
    party = Party(structured=True, **{name: frozen.get(name, "") for name in SNAPSHOT_PARTY_FIELDS})
    return party


def current_seller(company: Company | None = None) -> Party:
    """The seller today (Configuration > Company)."""
    company = company or Company.load()
    return Party(
        name=company.name,
        street=company.street,
        street2=company.street2,
        zip=company.zip,
        city=company.city,
        country=str(company.country or ""),
        vat=company.vat,
        registration=company.company_registration,
        peppol_scheme=company.peppol_scheme,
        peppol_id=company.peppol_id,
        email=company.email,
        phone=company.phone,
        structured=True,
    )


def current_buyer(customer: Customer) -> Party:
    """The buyer today (the customer record)."""
    return Party(
        name=customer.name,
        street=customer.street,
        street2=customer.street2,
        zip=customer.zip,
        city=customer.city,
        country=str(customer.country or ""),
        vat=customer.vat,
        registration=customer.company_registration,
        peppol_scheme=customer.peppol_scheme,
        peppol_id=customer.peppol_id,
        email=customer.billing_email,
        structured=True,
    )


def seller_snapshot() -> dict[str, str]:
    """The seller's joined-lines Invoice fields as posting freezes them now."""
    return _frozen_fields(current_seller(), SELLER_FIELDS)


def customer_snapshot(customer: Customer) -> dict[str, str]:
    """The buyer's joined-lines Invoice fields as posting freezes them now."""
    return _frozen_fields(current_buyer(customer), BUYER_FIELDS)


def payment_terms_text(days: int) -> str:
    return "Payment on receipt" if days == 0 else f"Payment within {days} days"


def current_payment(*, invoice: Invoice, company: Company, reference: str) -> PaymentDetails:
    return PaymentDetails(
        terms=payment_terms_text(invoice.customer.payment_terms_days),
        reference=reference,
        iban=company.iban,
        bic=company.bic,
        account_name=company.name,
    )


def structured_snapshot(*, invoice: Invoice, payment_reference: str) -> dict:
    """What posting freezes in `Invoice.snapshot` (rule 42): both parties, structured,
    and the payment details."""
    company = Company.load()
    payment = current_payment(invoice=invoice, company=company, reference=payment_reference)
    return {
        "seller": current_seller(company).as_snapshot(),
        "buyer": current_buyer(invoice.customer).as_snapshot(),
        "payment": {name: getattr(payment, name) for name in PaymentDetails.__slots__},
    }


def _employee_name(user) -> str:
    return user.get_full_name() or user.get_username()


def appendix_rows(*, invoice: Invoice) -> list[dict]:
    """The entries billed by this invoice now, ordered by ticket then date (rule 26): the
    JSON rows posting freezes in `Invoice.appendix`. Each has its worked time
    ("minutes", "hours") and, since rule 28, its billed time ("billed_minutes",
    "billed") and whether it is of a No charge work type ("no_charge")."""
    entries = (
        TimesheetEntry.objects.filter(invoice_line__invoice=invoice)
        .select_related("employee", "ticket", "task", "work_type")
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
            "billed_minutes": entry.billed_minutes,
            "billed": format_minutes(entry.billed_minutes),
            "no_charge": entry.work_type.billing == WorkType.NO_CHARGE,
        }
        for entry in entries
    ]


def tax_groups(lines: list[InvoiceLine]) -> tuple[TaxGroup, ...]:
    """Base and tax per VAT category and rate (BG-23), standard first, then by rate:
    sums of the per-line figures (rule 8's rounding).

    EN 16931 allows one breakdown per category and rate (BR-E-01, BR-AE-01), so lines of
    one exempt category with different exemption reasons share a group whose reason
    names each of them, in line order.
    """
    groups: dict[tuple[str, Decimal], list[InvoiceLine]] = {}
    for line in lines:
        groups.setdefault((line.vat_category or "S", line.tax_rate), []).append(line)
    order = {"S": 0, "Z": 1, "E": 2, "AE": 3}
    result = []
    for category, rate in sorted(groups, key=lambda key: (order.get(key[0], 9), key[1])):
        members = groups[(category, rate)]
        reasons = []
        if category in ("E", "AE"):
            for line in members:
                if line.vat_exemption_reason and line.vat_exemption_reason not in reasons:
                    reasons.append(line.vat_exemption_reason)
        result.append(
            TaxGroup(
                rate=rate,
                base=sum((line.amount_untaxed for line in members), ZERO),
                tax=sum((line.amount_tax for line in members), ZERO),
                category=category,
                exemption_reason="; ".join(reasons),
            )
        )
    return tuple(result)


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
        billed_minutes=row.get("billed_minutes"),
        billed=row.get("billed", ""),
        no_charge=bool(row.get("no_charge")),
    )


def _billed_total(rows: list[dict]) -> str:
    """H:MM billed over these rows; "" if a row was frozen before billed minutes."""
    if not rows or any(not isinstance(row.get("billed_minutes"), int) for row in rows):
        return ""
    return format_minutes(sum(row["billed_minutes"] for row in rows))


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
            billed=_billed_total(group),
        )
        for ticket, group in groups.items()
    )


def _document_line(line: InvoiceLine) -> DocumentLine:
    return DocumentLine(
        description=line.description,
        quantity=line.quantity,
        uom_name=line.uom_name or line.uom.name,
        uom_code=line.uom_code or line.uom.unece_code,
        price_unit=line.price_unit,
        tax_rate=line.tax_rate,
        amount_untaxed=line.amount_untaxed,
        amount_tax=line.amount_tax,
        amount_total=line.amount_total,
        vat_category=line.vat_category or "S",
        vat_exemption_reason=line.vat_exemption_reason,
    )


def _frozen_payment(invoice: Invoice) -> PaymentDetails | None:
    frozen = (invoice.snapshot or {}).get("payment")
    if not frozen:
        return None
    return PaymentDetails(**{name: frozen.get(name, "") for name in PaymentDetails.__slots__})


def invoice_document(*, invoice: Invoice) -> InvoiceDocument:
    """Everything the invoice prints (DOMAIN.md rule 26).

    A posted invoice prints its frozen copy only; a draft prints today's data.
    """
    lines = list(invoice.lines.select_related("uom"))
    posted = invoice.state == Invoice.POSTED
    if posted:
        seller = _frozen_party(invoice, "seller", SELLER_FIELDS)
        buyer = _frozen_party(invoice, "buyer", BUYER_FIELDS)
        appendix = invoice.appendix
        payment = _frozen_payment(invoice)
        buyer_reference = invoice.buyer_reference
    else:
        company = Company.load()
        seller = current_seller(company)
        buyer = current_buyer(invoice.customer)
        appendix = appendix_rows(invoice=invoice)
        # A draft has no number yet, hence no payment reference.
        payment = current_payment(invoice=invoice, company=company, reference="")
        buyer_reference = invoice.sale_order.customer_reference if invoice.sale_order_id else ""
    reversed_invoice = invoice.reversed_invoice if invoice.reversed_invoice_id else None
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
        reversed_invoice_number=reversed_invoice.number if reversed_invoice else None,
        reversed_invoice_date=reversed_invoice.invoice_date if reversed_invoice else None,
        currency=invoice.currency,
        seller=seller,
        buyer=buyer,
        buyer_reference=buyer_reference,
        payment=payment,
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
        appendix_billed=_billed_total(appendix),
    )
