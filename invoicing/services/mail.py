"""Sending a posted invoice to the customer by mail, with its PDF, through an outbox.

The mail attaches the stored PDF (Factur-X: the CII inside) and the stored UBL
(`<number>.xml`, Peppol BIS 3), so a buyer's software can book either; an invoice
posted before e-invoices attaches its PDF alone.

The mail is written as an `InvoiceEmail` row (pending) in the validation's own
transaction (`invoice_mail_queue`), so it cannot be lost between the commit and the
queueing: the after-commit kick (invoicing.tasks.send_invoice_email, in a worker or,
with no broker, in-process) only sends it sooner. Whatever the kick misses (the
process died, the broker was down, the mail server refused) the periodic sender
(`invoice_mail_send_pending`: Celery beat every minute, or `manage.py
send_pending_mail` from cron) sends once the row is due.

Exactly once, as far as a mail server allows: every send happens under the row lock
of its `InvoiceEmail` and re-reads its state there, and `sent_at` is written in the
same transaction as the send; the Message-ID is chosen with the row, so a mail sent
again after a crash between the server's "accepted" and our commit carries the same
Message-ID, which mail clients show once. The periodic sender skips rows another
sender holds (`skip_locked`), so two of them never wait on, nor send, the same mail.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError
from invoicing import jobs
from invoicing.models import Invoice, InvoiceEmail
from invoicing.services.einvoices import invoice_ubl_bytes, ubl_filename
from invoicing.services.pdf_store import invoice_pdf_bytes

logger = logging.getLogger(__name__)

# The kick after commit has this long to send a new mail before the periodic sender
# takes it over (so the two rarely contend for a fresh row).
KICK_GRACE = timedelta(minutes=2)
# Backoff between failed attempts: 1 min, 2, 4 ... capped at 1 h.
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
ERROR_MAX_LENGTH = 2000


def max_attempts() -> int:
    """Attempts before a mail is failed (INVOICE_MAIL_MAX_ATTEMPTS, default 8: ~2 h)."""
    return max(int(getattr(settings, "INVOICE_MAIL_MAX_ATTEMPTS", 8)), 1)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


def _message_id() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or None
    return make_msgid(idstring="invoice", domain=domain)


def invoice_email_message(*, invoice: Invoice, message_id: str, pdf: bytes) -> EmailMessage:
    """The mail of a posted invoice or credit note, from its frozen copy: its PDF and
    its UBL attached."""
    kind = "Credit note" if invoice.is_credit_note else "Invoice"
    total = f"{invoice.amount_total} {invoice.currency}"
    if invoice.is_credit_note:
        summary = f"Please find attached our credit note {invoice.number} of {total}."
    else:
        summary = (
            f"Please find attached our invoice {invoice.number} of {total}, "
            f"due on {invoice.due_date:%Y-%m-%d}."
        )
    body = f"Dear {invoice.customer_name},\n\n{summary}\n\nKind regards,\n{invoice.seller_name}\n"
    message = EmailMessage(
        subject=f"{kind} {invoice.number} from {invoice.seller_name}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invoice.customer_email],
        headers={"Message-ID": message_id},
    )
    message.attach(f"{invoice.number.replace('/', '-')}.pdf", pdf, "application/pdf")
    if ubl := invoice_ubl_bytes(invoice=invoice):
        message.attach(ubl_filename(invoice), ubl, "application/xml")
    return message


def invoice_mail_queue(*, invoice: Invoice) -> InvoiceEmail | None:
    """Write the mail of an invoice being posted to the outbox (pending); None when the
    frozen customer copy has no e-mail address (such an invoice is not mailed).

    Runs inside the posting's transaction (the caller holds it): if the posting rolls
    back, so does the mail. Its first attempt is due after KICK_GRACE, the time the
    after-commit kick has to send it first.
    """
    if not invoice.customer_email:
        logger.warning("%s is not mailed: its customer has no e-mail address.", invoice)
        return None
    return InvoiceEmail.objects.create(
        invoice=invoice,
        message_id=_message_id(),
        recipient=invoice.customer_email,
        next_attempt_at=timezone.now() + KICK_GRACE,
    )


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return text[:ERROR_MAX_LENGTH]


def _attempt(record: InvoiceEmail) -> Exception | None:
    """One attempt at sending a locked, unsent row (the caller holds its lock and the
    transaction); the error if it failed, recorded on the row with the next attempt's
    time, or the failed state after the last allowed attempt."""
    now = timezone.now()
    record.attempts += 1
    record.last_attempt_at = now
    try:
        # A savepoint: a database error while rendering leaves the row writable. Only
        # the rendering: a PDF stored before the mail server refused stays stored.
        with transaction.atomic():
            invoice = Invoice.objects.get(pk=record.invoice_id)
            pdf = invoice_pdf_bytes(invoice=invoice)
        message = invoice_email_message(invoice=invoice, message_id=record.message_id, pdf=pdf)
        message.send()
    except Exception as error:  # noqa: BLE001 - every failure is recorded and shown
        record.last_error = _describe(error)
        if record.attempts >= max_attempts():
            record.state = InvoiceEmail.FAILED
            logger.error("Mail of invoice %s failed for good: %s", record.invoice_id, error)
        else:
            record.next_attempt_at = now + retry_delay(record.attempts)
            logger.warning("Mail of invoice %s failed, retried later: %s", record.invoice_id, error)
        record.save(
            update_fields=["attempts", "last_attempt_at", "last_error", "state", "next_attempt_at"]
        )
        return error
    record.state = InvoiceEmail.SENT
    record.sent_at = now
    record.last_error = ""
    record.save(update_fields=["attempts", "last_attempt_at", "last_error", "state", "sent_at"])
    logger.info("Sent invoice %s as %s.", record.invoice_id, record.message_id)
    return None


def invoice_send_email(*, invoice: Invoice) -> str:
    """Mail a posted invoice to its frozen customer address now, PDF attached; its Message-ID.

    The after-commit kick. Sent once: a second call (a task delivered twice, the
    periodic sender got there first) returns the recorded Message-ID without sending.
    Concurrent calls wait on the row lock. If the mail server refuses, the attempt is
    recorded on the row (committed) and the error raised; the periodic sender retries.
    An invoice posted without an outbox row (INVOICE_PDF_ON_VALIDATE off) gets one here.
    """
    invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.state != Invoice.POSTED:
        raise ConflictError(f"{invoice} is not validated; only posted invoices are sent.")
    if not invoice.customer_email:
        raise ValidationError({"customer_email": f"{invoice} has no customer e-mail address."})
    record, _ = InvoiceEmail.objects.get_or_create(
        invoice=invoice,
        defaults={"message_id": _message_id(), "recipient": invoice.customer_email},
    )
    if record.state == InvoiceEmail.SENT:
        return record.message_id
    with transaction.atomic():
        record = InvoiceEmail.objects.select_for_update().get(pk=record.pk)
        error = None if record.state == InvoiceEmail.SENT else _attempt(record)
    if error is not None:
        raise error
    return record.message_id


@dataclass(frozen=True)
class PendingMailRun:
    sent: int
    failed: int  # attempts that failed this run (retried later, or failed for good)


def invoice_mail_send_pending(*, limit: int = 1000, now: datetime | None = None) -> PendingMailRun:
    """Send every pending invoice mail that is due (at most `limit` attempts).

    One transaction per mail, so a refused mail never undoes another's "sent". Each
    row is claimed with `FOR UPDATE SKIP LOCKED`: senders running at once (two beat
    schedulers, cron and a worker, the kick) each take different rows, and a row is
    re-read under its lock, so none is sent twice.
    """
    due_by = now or timezone.now()
    tried: list[int] = []
    sent = failed = 0
    while len(tried) < limit:
        with transaction.atomic():
            record = (
                InvoiceEmail.objects.select_for_update(skip_locked=True)
                .filter(state=InvoiceEmail.PENDING, next_attempt_at__lte=due_by)
                .exclude(pk__in=tried)
                .order_by("next_attempt_at", "pk")
                .first()
            )
            if record is None:
                break
            tried.append(record.pk)
            if _attempt(record) is None:
                sent += 1
            else:
                failed += 1
    return PendingMailRun(sent=sent, failed=failed)


def invoice_mail_send_again(*, invoice: Invoice, actor=None) -> InvoiceEmail:
    """ "Send again" on a pending or failed invoice mail: a fresh round of attempts, the
    first one right after commit (the kick); the periodic sender retries after that.

    A mail already sent is refused (ConflictError): a second copy is a reminder, not
    this. An invoice posted without an outbox row gets one.
    """
    with transaction.atomic():
        invoice = Invoice.objects.get(pk=invoice.pk)
        if invoice.state != Invoice.POSTED:
            raise ConflictError(f"{invoice} is not validated; only posted invoices are sent.")
        record = InvoiceEmail.objects.select_for_update().filter(invoice=invoice).first()
        if record is None:
            if not invoice.customer_email:
                raise ValidationError(
                    {"customer_email": f"{invoice} has no customer e-mail address."}
                )
            record = InvoiceEmail.objects.create(
                invoice=invoice, message_id=_message_id(), recipient=invoice.customer_email
            )
        if record.state == InvoiceEmail.SENT:
            raise ConflictError(f"{invoice} was mailed to {record.recipient} already.")
        record.state = InvoiceEmail.PENDING
        record.attempts = 0
        record.next_attempt_at = timezone.now() + KICK_GRACE
        record.save(update_fields=["state", "attempts", "next_attempt_at"])
        # The outbox row keeps no history of its own: the log names who asked.
        logger.info("%s: mail to %s queued again by %s", invoice, record.recipient, actor)
        jobs.mail_after_commit(invoice_id=invoice.pk)
    return record
