"""Posting: validation with gapless numbers, credit notes, payments (DOMAIN.md 23-25).

A posted invoice keeps a frozen copy of what it prints (seller, customer, units,
appendix of billed entries) and a hash chaining it to the previous number of its
series. The PDF is rendered after commit: a rendering failure never undoes a
validation (the PDF is rendered again on first download).
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError
from core.models import Company, check_not_locked
from core.sequences import sequence_next
from invoicing import jobs
from invoicing.documents import (
    appendix_rows,
    customer_snapshot,
    seller_snapshot,
    structured_snapshot,
)
from invoicing.models import Invoice, InvoiceLine
from invoicing.references import payment_reference
from invoicing.selectors import creditable_lines
from invoicing.services.common import (
    CENT,
    actor_user,
    invoice_lock,
    invoice_set_totals,
    line_amounts,
    parse_date,
    parse_decimal,
    require_draft,
)
from invoicing.services.drafts import sale_lines_recompute_invoiced
from invoicing.services.einvoices import einvoices_freeze
from invoicing.services.mail import invoice_mail_queue
from invoicing.services.payments import invoice_refresh_payment_state
from invoicing.services.peppol import peppol_handover_queue
from sales.models import SaleOrder
from timesheets.models import EARLIEST_ENTRY_DATE, TimesheetEntry

logger = logging.getLogger(__name__)

SEQUENCE_CODES = {Invoice.INVOICE: "INV", Invoice.CREDIT_NOTE: "RINV"}


# The formula new postings use; `Invoice.hash_version` records the one each invoice used.
HASH_VERSION = 3


def invoice_content_hash(invoice: Invoice, lines: list[InvoiceLine]) -> str:
    """SHA-256 of a posted document's frozen content and the previous hash of its series.

    Formula 1 (invoices posted before migration invoicing 0008) left out the customer
    record, the e-mail, the links to order and credited invoice, the period and the
    appendix of billed entries; formula 2 covers them. Each invoice is verified with
    the formula it was posted with (`hash_version`). Formula 3 (e-invoices, invoicing
    0010) adds the structured snapshot of both parties and the payment details, the
    buyer and payment references, each line's unit code and VAT category, and the
    hashes of the UBL and CII documents made at posting.
    """
    content = _hash_content_v1(invoice, lines)
    if invoice.hash_version >= 2:
        content.update(
            {
                "version": 2,
                "customer_id": invoice.customer_id,
                "customer_email": invoice.customer_email,
                "currency": invoice.currency,
                "sale_order_id": invoice.sale_order_id,
                "reversed_invoice_id": invoice.reversed_invoice_id,
                "period": [
                    invoice.period_start.isoformat() if invoice.period_start else None,
                    invoice.period_end.isoformat() if invoice.period_end else None,
                ],
                "line_links": [
                    [line.pk, line.sale_line_id, line.reversed_line_id, str(line.amount_total)]
                    for line in lines
                ],
                "appendix": invoice.appendix,
            }
        )
    if invoice.hash_version >= 3:
        content.update(
            {
                "version": 3,
                "snapshot": invoice.snapshot,
                "buyer_reference": invoice.buyer_reference,
                "payment_reference": invoice.payment_reference,
                "line_vat": [
                    [line.uom_code, line.vat_category, line.vat_exemption_reason] for line in lines
                ],
                "ubl_sha256": invoice.ubl_sha256,
                "cii_sha256": invoice.cii_sha256,
            }
        )
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _hash_content_v1(invoice: Invoice, lines: list[InvoiceLine]) -> dict:
    return {
        "number": invoice.number,
        "type": invoice.move_type,
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "seller": [invoice.seller_name, invoice.seller_address, invoice.seller_vat],
        "customer": [invoice.customer_name, invoice.customer_address, invoice.customer_vat],
        "lines": [
            [
                line.description,
                str(line.quantity),
                line.uom_name,
                str(line.price_unit),
                str(line.tax_rate),
                str(line.amount_untaxed),
                str(line.amount_tax),
            ]
            for line in lines
        ],
        "totals": [str(invoice.amount_untaxed), str(invoice.amount_tax), str(invoice.amount_total)],
        "previous_hash": invoice.previous_hash,
    }


def invoice_date_check(*, move_type: str, invoice_date: date, locked: bool = True) -> None:
    """DOMAIN.md rule 34 for the date of an invoice or credit note about to be posted.

    Never after today; never on or before the lock date (Configuration, "Timesheets
    locked up to"); never before the last posted date of its series (INV for invoices,
    RINV for credit notes, across years: numbers follow dates). Nor before the
    earliest date time can be logged for (2000-01-01, as entries): on an empty database
    nothing else would stop `0001-01-01`. `locked=False` runs only the checks that read
    no invoice (before the sequence lock is taken).
    """
    label = "A credit note" if move_type == Invoice.CREDIT_NOTE else "An invoice"
    kind = "credit note" if move_type == Invoice.CREDIT_NOTE else "invoice"
    today = timezone.localdate()
    if invoice_date > today:
        raise ValidationError(
            {
                "invoice_date": f"{label} cannot be dated after today ({today.isoformat()}): "
                f"{invoice_date.isoformat()} is in the future."
            }
        )
    check_not_locked(invoice_date, field="invoice_date", label=label)
    if not locked:
        return
    last = (
        Invoice.objects.filter(move_type=move_type, state=Invoice.POSTED)
        .order_by("-invoice_date", "-pk")
        .values("invoice_date", "number")
        .first()
    )
    if last and last["invoice_date"] > invoice_date:
        raise ValidationError(
            {
                "invoice_date": f"{last['number']} is dated {last['invoice_date'].isoformat()}; "
                f"numbers follow the dates, so this {kind} cannot be dated earlier "
                f"({invoice_date.isoformat()})."
            }
        )
    if invoice_date < EARLIEST_ENTRY_DATE:
        raise ValidationError(
            {"invoice_date": f"{label} is dated {EARLIEST_ENTRY_DATE.isoformat()} or later."}
        )


def _post(
    invoice: Invoice,
    *,
    invoice_date: date,
    actor,
    appendix: list[dict] | None = None,
) -> Invoice:
    """Number, date and freeze a locked draft (the caller holds the transaction)."""
    lines = list(invoice.lines.select_related("uom"))
    if not lines:
        raise ValidationError("An invoice without lines cannot be validated.")
    code = SEQUENCE_CODES[invoice.move_type]
    year = invoice_date.year
    invoice_date_check(move_type=invoice.move_type, invoice_date=invoice_date, locked=False)
    # The sequence row lock serialises the whole series from here to commit.
    number = sequence_next(code=code, year=year)
    invoice_date_check(move_type=invoice.move_type, invoice_date=invoice_date, locked=True)
    latest = (
        Invoice.objects.filter(
            move_type=invoice.move_type, state=Invoice.POSTED, sequence_year=year
        )
        .order_by("-sequence_number")
        .values("content_hash")
        .first()
    )
    invoice.number = f"{code}/{year}/{number:05d}"
    invoice.sequence_year = year
    invoice.sequence_number = number
    invoice.state = Invoice.POSTED
    invoice.invoice_date = invoice_date
    invoice.due_date = invoice_date + timedelta(days=invoice.customer.payment_terms_days)
    for name, value in {**seller_snapshot(), **customer_snapshot(invoice.customer)}.items():
        setattr(invoice, name, value)
    invoice.payment_reference = payment_reference(
        move_type=invoice.move_type,
        year=year,
        number=number,
        seller_country=str(Company.load().country),
    )
    invoice.snapshot = structured_snapshot(
        invoice=invoice, payment_reference=invoice.payment_reference
    )
    # The buyer's reference: its order's (a credit note keeps the credited invoice's).
    if invoice.reversed_invoice_id:
        invoice.buyer_reference = invoice.reversed_invoice.buyer_reference
    elif invoice.sale_order_id:
        invoice.buyer_reference = invoice.sale_order.customer_reference
    for line in lines:
        frozen = {"uom_name": line.uom.name, "uom_code": line.uom.unece_code}
        changed = [name for name, value in frozen.items() if getattr(line, name) != value]
        if changed:
            for name in changed:
                setattr(line, name, frozen[name])
            line.save(update_fields=changed)
    invoice.appendix = appendix if appendix is not None else appendix_rows(invoice=invoice)
    invoice_set_totals(invoice, lines)
    # The e-invoices, made once from the frozen document (rule 41): a document that
    # cannot be made refuses the validation rather than posting without them.
    einvoices_freeze(invoice=invoice)
    invoice.previous_hash = latest["content_hash"] if latest else ""
    invoice.hash_version = HASH_VERSION
    invoice.content_hash = invoice_content_hash(invoice, lines)
    invoice.validated_by = actor_user(actor)
    invoice.save()
    queue_pdf_and_mail(invoice=invoice)
    return invoice


def queue_pdf_and_mail(*, invoice: Invoice) -> None:
    """Write the invoice's mail to the outbox in the posting's transaction, and once the
    posting commits kick its PDF, then its mail (invoicing.jobs, invoicing.tasks).

    Nothing is written or queued if the posting rolls back. The kick only sends
    sooner: lost (the process dies, the broker is down) or failed, the outbox row stays
    pending and the periodic sender sends it (invoicing/services/mail.py). A failure
    there is logged, never raised into the validation (the PDF is also rendered on
    first download); with no broker the tasks run in-process after commit. The mail
    follows the rendering, so it attaches the stored PDF.
    """
    # The Peppol hand-over (outbox row now, kick after commit; invoicing/services/peppol.py).
    peppol_handover_queue(invoice=invoice)
    if not getattr(settings, "INVOICE_PDF_ON_VALIDATE", True):
        return
    mail = invoice_mail_queue(invoice=invoice) is not None
    jobs.pdf_then_mail_after_commit(invoice_id=invoice.pk, mail=mail)


def invoice_validate(*, invoice: Invoice, actor=None, invoice_date: date | None = None) -> Invoice:
    """Post a draft: the next number of its year, no gap, no duplicate (rule 23).

    The invoice row is locked first: of concurrent validations of one draft, one
    wins and the others get "already validated". Then its order (the lock order of
    `invoicing.services.drafts`): a draft of an order cancelled meanwhile is refused.
    """
    if invoice_date is not None:
        invoice_date = parse_date(invoice_date, field="invoice_date")
    with transaction.atomic():
        invoice = invoice_lock(invoice_id=invoice.pk)
        require_draft(invoice, action="validated again")
        if invoice.move_type != Invoice.INVOICE:
            raise ConflictError("Credit notes are posted when they are created.")
        if invoice.amount_total < 0:
            raise ValidationError("An invoice total cannot be negative; make a credit note.")
        _require_order_confirmed(invoice)
        _post(invoice, invoice_date=invoice_date or timezone.localdate(), actor=actor)
        # What the draft wrote down (a line's quantity lowered) counts once posted (rule 31).
        sale_lines_recompute_invoiced(
            line_ids=invoice.lines.filter(qty_written_down__gt=0).values_list(
                "sale_line_id", flat=True
            )
        )
    return invoice


def _require_order_confirmed(invoice: Invoice) -> None:
    """Lock the draft's order (after the invoice: the lock order) and read its state:
    only a confirmed order's invoice is posted (DOMAIN.md rules 6 and 8)."""
    if invoice.sale_order_id is None:
        return
    state = (
        SaleOrder.objects.select_for_update()
        .filter(pk=invoice.sale_order_id)
        .values_list("state", flat=True)
        .first()
    )
    if state != SaleOrder.SALE:
        raise ConflictError(
            f"{invoice.sale_order} is not a confirmed sale order any more: cancel this "
            "draft; an invoice of a cancelled order is never validated."
        )


@dataclass(frozen=True)
class CreditRequest:
    """One line of a credit note to make: reverse the line, or write `quantity` down."""

    line_id: int
    mode: str
    quantity: Decimal | None = None


_LINES_SHAPE = (
    'Give the lines to credit as ids, or as {"line": id, "mode": "reversal"} or '
    '{"line": id, "mode": "write_down", "quantity": "1.50"}.'
)


def _line_id(value) -> int:
    value = getattr(value, "pk", value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({"lines": _LINES_SHAPE})
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise ValidationError({"lines": _LINES_SHAPE})
    return int(text)


def credit_requests(lines) -> list[CreditRequest]:
    """`invoice_credit`'s `lines` read: ids or InvoiceLines (reversals), or dicts with
    "line", "mode" ("reversal", the default, or "write_down") and, for a write-down,
    "quantity" (more than 0, two decimals at most). A line given twice is refused,
    unless both times as a reversal."""
    if isinstance(lines, str | bytes | dict) or not hasattr(lines, "__iter__"):
        raise ValidationError({"lines": _LINES_SHAPE})
    requests: dict[int, CreditRequest] = {}
    for item in lines:
        if isinstance(item, dict):
            if "line" not in item:
                raise ValidationError({"lines": _LINES_SHAPE})
            line_id = _line_id(item["line"])
            mode = item.get("mode") or InvoiceLine.REVERSAL
            if mode not in (InvoiceLine.REVERSAL, InvoiceLine.WRITE_DOWN):
                raise ValidationError(
                    {"lines": f"“{mode}” is not a credit mode: use “reversal” or “write_down”."}
                )
            quantity = None
            if mode == InvoiceLine.WRITE_DOWN:
                if item.get("quantity") in (None, ""):
                    raise ValidationError(
                        {"lines": f"Give the quantity to write down on line {line_id}."}
                    )
                quantity = parse_decimal(item["quantity"], field="lines", label="quantity")
                if quantity <= 0:
                    raise ValidationError({"lines": f"Write down more than 0 on line {line_id}."})
            request = CreditRequest(line_id=line_id, mode=mode, quantity=quantity)
        else:
            request = CreditRequest(line_id=_line_id(item), mode=InvoiceLine.REVERSAL)
        earlier = requests.get(request.line_id)
        if earlier is not None and not (earlier.mode == request.mode == InvoiceLine.REVERSAL):
            raise ValidationError(
                {"lines": f"Line {request.line_id} is given twice: credit a line once per note."}
            )
        requests[request.line_id] = request
    return [requests[pk] for pk in sorted(requests)]


def invoice_credit(*, invoice: Invoice, lines=None, actor=None) -> Invoice:
    """A posted credit note (RINV/...) for all or some lines of a posted invoice (rules
    24 and 31).

    `lines`: None reverses every line not reversed yet; else ids or InvoiceLines of this
    invoice (each reversed), or dicts `{"line": id, "mode": "reversal"}` /
    `{"line": id, "mode": "write_down", "quantity": "1.50"}` (`credit_requests`).

    A reversal credits the whole line, even after write-downs (the settlement of rule
    32 makes the excess a refund owed), and frees its entries so they are billed again;
    it copies the line's written-down quantity, which it undoes. A write-down credits a
    quantity of at most the line's minus what posted write-downs took from it already:
    the entries stay billed and the quantity is never billed again. A reversed line is
    never credited again. An invoice whose every line is reversed becomes Reversed.
    """
    requests = None if lines is None else credit_requests(lines)
    if requests == []:
        raise ValidationError({"lines": "Choose at least one line to credit."})
    with transaction.atomic():
        original = invoice_lock(invoice_id=invoice.pk)
        if original.move_type != Invoice.INVOICE or original.state != Invoice.POSTED:
            raise ConflictError("Only a validated customer invoice can be credited.")
        original_lines = {line.pk: line for line in original.lines.select_related("uom")}
        open_lines = {
            line.pk: line.written_down.quantize(CENT) for line in creditable_lines(invoice=original)
        }
        if requests is None:
            requests = [
                CreditRequest(line_id=pk, mode=InvoiceLine.REVERSAL) for pk in sorted(open_lines)
            ]
            if not requests:
                raise ConflictError(f"{original} is fully credited already.")
        foreign = [r.line_id for r in requests if r.line_id not in original_lines]
        if foreign:
            raise ValidationError({"lines": f"Lines {foreign} are not lines of {original}."})
        again = [r.line_id for r in requests if r.line_id not in open_lines]
        if again:
            raise ConflictError(
                f"Lines {again} of {original} are credited already: a reversed line is "
                "never credited again."
            )
        for request in requests:
            if request.mode != InvoiceLine.WRITE_DOWN:
                continue
            line = original_lines[request.line_id]
            left = line.quantity - open_lines[request.line_id]
            if request.quantity > left:
                raise ValidationError(
                    {
                        "lines": f"Line {line.pk} of {original} can be written down by at most "
                        f"{left} {line.uom_name or line.uom.name} (its quantity "
                        f"{line.quantity}, written down already {open_lines[line.pk]}): "
                        f"{request.quantity} is too much."
                    }
                )

        note = Invoice.objects.create(
            move_type=Invoice.CREDIT_NOTE,
            customer=original.customer,
            sale_order=original.sale_order,
            reversed_invoice=original,
            currency=original.currency,
            created_by=actor_user(actor),
        )
        for request in requests:
            InvoiceLine.objects.create(
                invoice=note, **_credit_line_fields(original_lines[request.line_id], request)
            )
        reversed_ids = {r.line_id for r in requests if r.mode == InvoiceLine.REVERSAL}
        # A write-down moves no entry: only the reversed lines' entries leave the appendix.
        appendix = [row for row in original.appendix if row.get("line") in reversed_ids]
        _post(note, invoice_date=timezone.localdate(), actor=actor, appendix=appendix)
        # Only now, the credit note posted: the database frees a billed entry only once
        # a posted credit note reverses its line (invoicing migrations 0008 and 0012).
        if reversed_ids:
            TimesheetEntry.objects.filter(invoice_line_id__in=sorted(reversed_ids)).update(
                invoice_line=None
            )
        # The note settles what is still due; the rest is a refund owed (rule 32).
        invoice_refresh_payment_state(invoice=original)
        sale_lines_recompute_invoiced(
            line_ids=[original_lines[r.line_id].sale_line_id for r in requests]
        )
    return note


def _credit_line_fields(line: InvoiceLine, request: CreditRequest) -> dict:
    """A credit note line for `line`: the whole line (a reversal, with the quantity it
    wrote down) or the quantity written down, at the line's price and tax."""
    fields = {
        "sequence": line.sequence,
        "sale_line_id": line.sale_line_id,
        "description": line.description,
        "uom": line.uom,
        "uom_name": line.uom_name,
        "uom_code": line.uom_code,
        "price_unit": line.price_unit,
        "tax_rate": line.tax_rate,
        "vat_category": line.vat_category,
        "vat_exemption_reason": line.vat_exemption_reason,
        "reversed_line": line,
        "credit_mode": request.mode,
    }
    if request.mode == InvoiceLine.WRITE_DOWN:
        untaxed, tax, total = line_amounts(request.quantity, line.price_unit, line.tax_rate)
        return {
            **fields,
            "quantity": request.quantity,
            "amount_untaxed": untaxed,
            "amount_tax": tax,
            "amount_total": total,
        }
    return {
        **fields,
        "quantity": line.quantity,
        "qty_written_down": line.qty_written_down,
        "amount_untaxed": line.amount_untaxed,
        "amount_tax": line.amount_tax,
        "amount_total": line.amount_total,
    }
