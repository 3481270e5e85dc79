"""Background work of invoicing (Celery): thin wrappers around the services.

Each task is idempotent, keyed on its record and its state, so a task delivered twice
(acks_late after a worker crash, a retry, a duplicate fan-out) produces nothing new.
The services queue them after commit by name (`invoicing.jobs`, which imports neither
the services nor this module); with no broker they run in-process.
"""

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from invoicing import jobs
from invoicing.models import Invoice
from invoicing.services import invoice_pdf_bytes, invoices_create_or_report
from invoicing.services.mail import invoice_mail_send_pending, invoice_send_email
from invoicing.services.peppol import peppol_handover_send, peppol_handover_send_pending
from sales.models import SaleOrder

logger = logging.getLogger(__name__)

# Worth retrying: the mail server, the network or the database being away a moment.
# A worker retries with backoff (30 s, 1 min, 2 min ... 1 h); in-process (no broker) a
# retry would come at once and block the request, so the error is logged instead
# (the PDF is rendered on first download).
TRANSIENT_ERRORS = (OSError, OperationalError)
RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 0 if settings.CELERY_TASK_ALWAYS_EAGER else 8,
}


@shared_task(name=jobs.RENDER_INVOICE_PDF, **RETRY)
def render_invoice_pdf(invoice_id: int) -> str:
    """Store the PDF of a posted invoice (once: later calls keep the stored file)."""
    invoice = Invoice.objects.get(pk=invoice_id)
    if invoice.state != Invoice.POSTED:
        return ""
    invoice_pdf_bytes(invoice=invoice)
    return Invoice.objects.values_list("pdf", flat=True).get(pk=invoice_id)


@shared_task(name=jobs.SEND_INVOICE_EMAIL)
def send_invoice_email(invoice_id: int) -> str:
    """Mail a posted invoice with its PDF (once); its Message-ID, or "" if it has no address.

    The kick after validation: one attempt, no retry of its own. A refusal is recorded
    on the invoice's outbox row, which `send_pending_invoice_mail` retries with backoff
    (one schedule and one attempt count, whoever sends).
    """
    invoice = Invoice.objects.get(pk=invoice_id)
    if not invoice.customer_email:
        logger.warning("%s is not mailed: its customer has no e-mail address.", invoice)
        return ""
    return invoice_send_email(invoice=invoice)


@shared_task
def send_pending_invoice_mail() -> dict[str, int]:
    """Send every pending invoice mail that is due (Celery beat, every minute).

    Safe to run on several workers at once: each mail is claimed under a skipped row
    lock. A task lost or run late only delays mail; the next run sends it.
    """
    run = invoice_mail_send_pending()
    return {"sent": run.sent, "failed": run.failed}


@shared_task(name=jobs.HAND_OVER_TO_PEPPOL)
def hand_over_to_peppol(invoice_id: int) -> str:
    """Hand a posted invoice's UBL over to Peppol (once); the hand-over's state, or ""
    if it has none. The kick after posting: one attempt, a failure is recorded on the
    hand-over row, which `send_pending_peppol` retries with backoff."""
    handover = peppol_handover_send(invoice=Invoice.objects.get(pk=invoice_id))
    return handover.state if handover else ""


@shared_task
def send_pending_peppol() -> dict[str, int]:
    """Retry every pending Peppol hand-over that is due (Celery beat, every minute)."""
    run = peppol_handover_send_pending()
    return {"handed_over": run.handed_over, "failed": run.failed}


@shared_task(**RETRY)
def billing_run_customer(customer_id: int, up_to: str) -> list[int]:
    """Invoice every confirmed order of one customer up to `up_to` (ISO date); new draft ids.

    One transaction, set-based (the billing run's batch service; retried order by order
    when an order's data fails, the failing ones logged); orders with nothing
    left to invoice are skipped, so running it twice creates nothing new.
    """
    end = date.fromisoformat(up_to)
    orders = SaleOrder.objects.filter(customer_id=customer_id, state=SaleOrder.SALE)
    invoices, failed = invoices_create_or_report(
        order_ids=orders.order_by("pk").values_list("pk", flat=True), start=None, end=end
    )
    for order_id, reason in failed.items():
        logger.warning("Billing run: order %s not invoiced: %s", order_id, reason)
    return [invoice.pk for invoice in invoices]


@shared_task(**RETRY)
def billing_run_fanout(up_to: str) -> list[int]:
    """The month-end billing run: one `billing_run_customer` task per customer with a
    confirmed order; the customer ids queued."""
    date.fromisoformat(up_to)  # refuse a bad date here, not in every customer's task
    customer_ids = list(
        SaleOrder.objects.filter(state=SaleOrder.SALE)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .distinct()
    )
    for customer_id in customer_ids:
        billing_run_customer.delay(customer_id=customer_id, up_to=up_to)
    return customer_ids
