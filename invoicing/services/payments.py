"""Payments and refunds (DOMAIN.md rules 25 and 32).

Every figure is recomputed from the live (not cancelled) payments under the lock of
the customer invoice, never incremented. Lock order: the customer invoice first, then
its posted credit notes by pk; a write on a credit note (a refund) locks the invoice
it corrects first too.

Settlement of an invoice and its posted credit notes (rule 32):
- the invoice: paid = its live payments; due = total - paid - credited, never below 0.
- each credit note, in number order, first settles what is still due on the invoice
  (total - paid - what the earlier credit notes settled); the rest, the invoice having
  been paid, is a refund owed. Its `amount_paid` is the live refunds registered on it,
  its `amount_due` the refund still owed.
Payment status: the invoice is Reversed when every line is reversed (write-downs do
not count), else Paid when
nothing is due, Partially paid when something was paid or credited, else Not paid. A
credit note is Paid when nothing is left to refund, Partially paid when it settled or
refunded part of itself, else Not paid.

The same payment submitted twice (same invoice, amount, date and reference, the first
recorded less than a minute earlier) is recorded once: the second submission gets the
first payment back, with `recorded_before = True` on it. The check runs under the
invoice's row lock, so two concurrent submissions record one payment.
"""

from datetime import date as Date
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core import roles
from core.errors import ConflictError
from invoicing.models import Invoice, InvoiceLine, Payment
from invoicing.services.common import (
    ZERO,
    actor_user,
    invoice_lock,
    parse_date,
    parse_decimal,
    payment_figures_write,
)

DUPLICATE_WINDOW = timedelta(minutes=1)


def credited_line_ids(invoice: Invoice) -> set[int]:
    """Lines of this invoice reversed by a posted credit note (rule 31: a write-down
    credits part of a line and leaves it billed; a line without a mode is a reversal)."""
    return set(
        InvoiceLine.objects.filter(reversed_line__invoice=invoice, invoice__state=Invoice.POSTED)
        .exclude(credit_mode=InvoiceLine.WRITE_DOWN)
        .values_list("reversed_line_id", flat=True)
    )


def _live_total(invoice: Invoice) -> Decimal:
    return invoice.payments.live().aggregate(total=Sum("amount"))["total"] or ZERO


def paid_by_invoice(invoice_ids) -> dict[int, Decimal]:
    """The live (not cancelled) payments of these invoices, or refunds of these credit
    notes, summed: the figure `invoice_refresh_payment_state` and `verify_invoices` share."""
    rows = (
        Payment.objects.live()
        .filter(invoice_id__in=list(invoice_ids))
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values_list("invoice_id", "total")
    )
    return dict(rows)


def credited_by_invoice(invoice_ids) -> dict[int, Decimal]:
    """The totals of the posted credit notes of these invoices."""
    rows = (
        Invoice.objects.filter(
            reversed_invoice_id__in=list(invoice_ids),
            move_type=Invoice.CREDIT_NOTE,
            state=Invoice.POSTED,
        )
        .order_by()
        .values("reversed_invoice_id")
        .annotate(total=Sum("amount_total"))
        .values_list("reversed_invoice_id", "total")
    )
    return dict(rows)


def invoice_figures(*, total, paid, credited, fully_credited: bool) -> tuple[Decimal, str]:
    """(amount due, payment status) of a posted customer invoice (this module's docstring)."""
    amount_due = max(total - paid - credited, ZERO)
    if fully_credited:
        state = Invoice.REVERSED
    elif amount_due == 0:
        state = Invoice.PAID
    elif paid > 0 or credited > 0:
        state = Invoice.PARTIAL
    else:
        state = Invoice.NOT_PAID
    return amount_due, state


def credit_note_figures(*, total, settled, refunded) -> tuple[Decimal, str]:
    """(amount due, payment status) of a posted credit note that settled `settled` on its
    invoice and has `refunded` paid back: due is the refund still owed."""
    amount_due = total - settled - refunded
    if amount_due == 0:
        state = Invoice.PAID
    elif settled > 0 or refunded > 0:
        state = Invoice.PARTIAL
    else:
        state = Invoice.NOT_PAID
    return amount_due, state


def _lock_credit_notes(invoice: Invoice) -> list[Invoice]:
    return list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(reversed_invoice=invoice, move_type=Invoice.CREDIT_NOTE, state=Invoice.POSTED)
        .order_by("pk")
    )


def _save_payment_figures(invoice: Invoice) -> None:
    # The PostgreSQL guard (invoicing migration 0008) lets posted payment figures change
    # only inside this block.
    with payment_figures_write():
        invoice.save(update_fields=["amount_paid", "amount_due", "payment_state", "updated_at"])


def invoice_refresh_payment_state(*, invoice: Invoice) -> Invoice:
    """Amounts and payment status of a locked, posted customer invoice and of its posted
    credit notes (the settlement in this module's docstring). The caller holds the
    invoice's row lock; the credit notes are locked here, by pk.

    Refused (ConflictError) when the refunds registered on a credit note would exceed
    what it still owes (a payment cancelled after its refund); the caller's transaction
    then rolls back.
    """
    paid = _live_total(invoice)
    notes = _lock_credit_notes(invoice)
    still_due = invoice.amount_total - paid
    for note in notes:
        settled = min(note.amount_total, max(still_due, ZERO))
        still_due -= settled
        refunded = _live_total(note)
        note.amount_paid = refunded
        note.amount_due, note.payment_state = credit_note_figures(
            total=note.amount_total, settled=settled, refunded=refunded
        )
        if note.amount_due < 0:
            raise ConflictError(
                f"{note} has {refunded} {note.currency} refunded but would owe only "
                f"{note.amount_total - settled} {note.currency}: cancel the refund first."
            )
        _save_payment_figures(note)

    credited = sum((note.amount_total for note in notes), ZERO)
    line_ids = set(invoice.lines.values_list("pk", flat=True))
    invoice.amount_paid = paid
    invoice.amount_due, invoice.payment_state = invoice_figures(
        total=invoice.amount_total,
        paid=paid,
        credited=credited,
        fully_credited=bool(line_ids) and line_ids <= credited_line_ids(invoice),
    )
    _save_payment_figures(invoice)
    return invoice


def _lock_for_settlement(*, invoice_id: int) -> tuple[Invoice, Invoice]:
    """Lock the customer invoice whose settlement `invoice_id` belongs to, then return
    (that invoice, the record of `invoice_id` re-read under its lock)."""
    move = Invoice.objects.filter(pk=invoice_id).values("move_type", "reversed_invoice_id").first()
    if move is None:
        raise ValidationError("This invoice does not exist (any more).")
    if move["move_type"] == Invoice.CREDIT_NOTE and move["reversed_invoice_id"]:
        original = invoice_lock(invoice_id=move["reversed_invoice_id"])
        _lock_credit_notes(original)
        return original, invoice_lock(invoice_id=invoice_id)
    invoice = invoice_lock(invoice_id=invoice_id)
    return invoice, invoice


def _parse_payment(*, amount, date, method: str, reference) -> tuple[Decimal, Date, str, str]:
    amount = parse_decimal(amount, field="amount", label="amount")
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be more than 0."})
    if date in (None, ""):
        raise ValidationError({"date": "Enter the payment date."})
    date = parse_date(date, field="date")
    if method not in dict(Payment.METHOD_CHOICES):
        raise ValidationError({"method": f"“{method}” is not a payment method."})
    return amount, date, method, (reference or "").strip()


def _recorded_before(*, invoice: Invoice, amount: Decimal, date: Date, reference: str):
    """The same live payment recorded on this (locked) invoice less than a minute ago."""
    payment = (
        invoice.payments.live()
        .filter(
            amount=amount,
            date=date,
            reference=reference,
            created_at__gte=timezone.now() - DUPLICATE_WINDOW,
        )
        .order_by("pk")
        .first()
    )
    if payment is not None:
        payment.recorded_before = True
    return payment


def _record(*, invoice: Invoice, amount, date, method, reference, actor) -> Payment:
    payment = Payment(
        invoice=invoice,
        amount=amount,
        date=date,
        method=method,
        reference=reference,
        created_by=actor_user(actor),
    )
    payment.full_clean()
    payment.save()
    payment.recorded_before = False
    return payment


def payment_register(
    *,
    invoice: Invoice,
    amount,
    date,
    method: str = Payment.BANK,
    reference: str = "",
    actor=None,
) -> Payment:
    """Record a payment on a posted customer invoice (rules 25 and 32).

    Overpayment is refused. The same payment submitted again within a minute returns the
    payment first recorded (`recorded_before` is True on it), nothing is recorded twice.
    """
    amount, date, method, reference = _parse_payment(
        amount=amount, date=date, method=method, reference=reference
    )
    with transaction.atomic():
        # Lock first, then look for the duplicate: a concurrent twin waits here and then
        # sees the payment the first one committed.
        invoice = invoice_lock(invoice_id=invoice.pk)
        if invoice.move_type != Invoice.INVOICE or invoice.state != Invoice.POSTED:
            raise ConflictError("Payments are registered on validated customer invoices only.")
        overpaid = (
            f"Overpayment refused: {invoice} has {invoice.amount_due} {invoice.currency} "
            "left to pay."
        )
        return _record_once(
            settled=invoice,
            on=invoice,
            amount=amount,
            date=date,
            method=method,
            reference=reference,
            actor=actor,
            too_much=overpaid,
        )


def _record_once(
    *, settled: Invoice, on: Invoice, amount, date, method, reference, actor, too_much: str
) -> Payment:
    """Record money on `on` (locked) once: the twin submitted within a minute is returned
    instead; more than `on` has due is refused with `too_much`; then the settlement of
    `settled`, the customer invoice, is recomputed."""
    twin = _recorded_before(invoice=on, amount=amount, date=date, reference=reference)
    if twin is not None:
        return twin
    if amount > on.amount_due:
        raise ValidationError({"amount": too_much})
    payment = _record(
        invoice=on, amount=amount, date=date, method=method, reference=reference, actor=actor
    )
    invoice_refresh_payment_state(invoice=settled)
    return payment


def refund_register(
    *,
    credit_note: Invoice,
    amount,
    date,
    method: str = Payment.BANK,
    reference: str = "",
    actor=None,
) -> Payment:
    """Record money paid back to the customer on a posted credit note (rule 32).

    Bounded by the refund the credit note still owes (what it did not settle on the
    invoice it corrects, that invoice having been paid). Submitted twice within a
    minute, it is recorded once, as payments are.
    """
    amount, date, method, reference = _parse_payment(
        amount=amount, date=date, method=method, reference=reference
    )
    with transaction.atomic():
        original, note = _lock_for_settlement(invoice_id=credit_note.pk)
        if note.move_type != Invoice.CREDIT_NOTE or note.state != Invoice.POSTED:
            raise ConflictError("Refunds are registered on posted credit notes only.")
        return _record_once(
            settled=original,
            on=note,
            amount=amount,
            date=date,
            method=method,
            reference=reference,
            actor=actor,
            too_much=f"Refund refused: {note} owes the customer {note.amount_due} {note.currency}.",
        )


def payment_cancel(*, payment: Payment, reason: str, actor=None) -> Payment:
    """Cancel a payment (or a refund) entered by mistake: managers only, with a reason.

    The payment stays, cancelled, with who, when and why (and in its history); the
    payment status is recomputed from the live payments. A payment whose invoice has a
    refund registered that it would no longer owe is refused: cancel the refund first.
    """
    if (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and not roles.is_manager(actor)
    ):
        raise PermissionDenied("Only a Manager cancels a payment.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the payment is cancelled."})
    max_length = Payment._meta.get_field("cancel_reason").max_length
    if len(reason) > max_length:
        raise ValidationError({"reason": f"Keep the reason under {max_length} characters."})
    with transaction.atomic():
        invoice_id = Payment.objects.filter(pk=payment.pk).values_list("invoice_id", flat=True)
        if not invoice_id:
            raise ValidationError("This payment does not exist.")
        original, _ = _lock_for_settlement(invoice_id=invoice_id[0])
        payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if payment.state == Payment.CANCELLED:
            cancelled_on = timezone.localtime(payment.cancelled_at).date()
            raise ConflictError(f"This payment was cancelled on {cancelled_on.isoformat()}.")
        payment.state = Payment.CANCELLED
        payment.cancelled_at = timezone.now()
        payment.cancelled_by = actor_user(actor)
        payment.cancel_reason = reason
        payment.save(update_fields=["state", "cancelled_at", "cancelled_by", "cancel_reason"])
        invoice_refresh_payment_state(invoice=original)
    return payment
