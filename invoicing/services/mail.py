"""Sending a posted invoice to the customer by mail, with its PDF (issue 9).

Runs after commit, in a Celery task (invoicing.tasks.send_invoice_email) or, with no
broker, in-process. Idempotent, keyed on the invoice: one `InvoiceEmail` row per
invoice, its Message-ID chosen and committed before sending, `sent_at` set in the
same transaction as the send, under a lock on that row.
"""

import logging
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError
from invoicing.models import Invoice, InvoiceEmail
from invoicing.services.documents import invoice_pdf_bytes

logger = logging.getLogger(__name__)


def _message_id() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or None
    return make_msgid(idstring="invoice", domain=domain)


def invoice_email_message(*, invoice: Invoice, message_id: str, pdf: bytes) -> EmailMessage:
    """The mail of a posted invoice or credit note, from its frozen copy."""
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
    return message


def invoice_send_email(*, invoice: Invoice) -> str:
    """Mail a posted invoice to its frozen customer address, PDF attached; its Message-ID.

    Sent once: a second call (a task delivered twice, a retry) returns the recorded
    Message-ID without sending. Concurrent calls wait on the record's row lock. If the
    mail server refuses, the error is raised (the task retries) and nothing is marked
    sent. A crash after the server accepted and before the commit sends it again on
    retry, with the same Message-ID, which mail clients show once.
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
    if record.sent_at is not None:
        return record.message_id
    pdf = invoice_pdf_bytes(invoice=invoice)
    with transaction.atomic():
        record = InvoiceEmail.objects.select_for_update().get(pk=record.pk)
        if record.sent_at is None:
            message = invoice_email_message(invoice=invoice, message_id=record.message_id, pdf=pdf)
            message.send()
            record.sent_at = timezone.now()
            record.save(update_fields=["sent_at"])
            logger.info("Sent %s to %s as %s.", invoice, record.recipient, record.message_id)
    return record.message_id
