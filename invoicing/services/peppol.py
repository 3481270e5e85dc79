"""Handing posted invoices over to Peppol through an outbox (invoicing.peppol).

When Peppol is on (`PEPPOL_SENDER`) and the buyer has an electronic address, posting
writes a `PeppolHandover` row (pending) in its own transaction and kicks the
hand-over once it commits (invoicing.jobs -> invoicing.tasks.hand_over_to_peppol).
Whatever the kick misses (the process died, the broker was down, the sender failed)
the periodic sender (`peppol_handover_send_pending`: Celery beat every minute, or
`manage.py send_pending_peppol` from cron) retries once the row is due, with backoff,
until PEPPOL_MAX_ATTEMPTS attempts; then the row is failed with its last error, shown
on the invoice page. The mail outbox's pattern (invoicing/services/mail.py): each
attempt runs under the row's lock and re-reads its state there, so no two senders hand
the same invoice over at once, and the result is recorded in the same transaction.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from invoicing import jobs
from invoicing.models import Invoice, PeppolHandover
from invoicing.peppol import buyer_peppol_address, peppol_backend, peppol_sender
from invoicing.services.einvoices import invoice_ubl_bytes

logger = logging.getLogger(__name__)

# As the mail outbox: the kick has this long before the periodic sender takes a new
# row over; then 1 min, 2, 4 ... capped at 1 h between failed attempts.
KICK_GRACE = timedelta(minutes=2)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
ERROR_MAX_LENGTH = 2000


def max_attempts() -> int:
    """Attempts before a hand-over is failed (PEPPOL_MAX_ATTEMPTS, default 8)."""
    return max(int(getattr(settings, "PEPPOL_MAX_ATTEMPTS", 8)), 1)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


def next_attempt_at(handover: PeppolHandover) -> datetime:
    """When the periodic sender may try a pending row: its creation, the kick's grace
    and the backoff of each failed attempt so far (a schedule that needs no column)."""
    waits = sum((retry_delay(n) for n in range(1, handover.attempts + 1)), timedelta())
    return handover.created_at + KICK_GRACE + waits


def peppol_handover_queue(*, invoice: Invoice) -> PeppolHandover | None:
    """Write the Peppol hand-over of an invoice being posted (pending) and kick it after
    commit; None when Peppol is off, the invoice has no UBL or the buyer no electronic
    address. Runs inside the posting's transaction: a rollback leaves no row, no kick."""
    backend = peppol_backend()
    if not backend or not invoice.ubl_xml or not buyer_peppol_address(invoice)[1]:
        return None
    handover = PeppolHandover.objects.create(invoice=invoice, backend=backend)
    jobs.peppol_after_commit(invoice_id=invoice.pk)
    return handover


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()[:ERROR_MAX_LENGTH]


def _attempt(handover: PeppolHandover) -> Exception | None:
    """One attempt at a locked, pending row (the caller holds its lock and the
    transaction); the error if it failed, recorded on the row."""
    handover.attempts += 1
    try:
        sender = peppol_sender()
        if sender is None:
            raise ImproperlyConfigured("PEPPOL_SENDER is not set: Peppol is off.")
        invoice = Invoice.objects.get(pk=handover.invoice_id)
        location = sender.send(invoice=invoice, ubl=invoice_ubl_bytes(invoice=invoice))
    except Exception as error:  # noqa: BLE001 - every failure is recorded and shown
        handover.last_error = _describe(error)
        if handover.attempts >= max_attempts():
            handover.state = PeppolHandover.FAILED
            logger.error("Peppol hand-over of invoice %s failed: %s", handover.invoice_id, error)
        else:
            logger.warning(
                "Peppol hand-over of invoice %s failed, retried later: %s",
                handover.invoice_id,
                error,
            )
        handover.save(update_fields=["attempts", "last_error", "state"])
        return error
    handover.state = PeppolHandover.HANDED_OVER
    handover.handed_over_at = timezone.now()
    handover.backend = peppol_backend()
    handover.location = str(location)[:500]
    handover.last_error = ""
    handover.save(
        update_fields=["attempts", "last_error", "state", "handed_over_at", "backend", "location"]
    )
    logger.info("Invoice %s handed over to Peppol: %s", handover.invoice_id, location)
    return None


def peppol_handover_send(*, invoice: Invoice) -> PeppolHandover | None:
    """Hand a posted invoice over now (the kick after posting): once, under the row
    lock; a row handed over or failed already is returned as it is. A failure is
    recorded on the row (and logged), which the periodic sender retries."""
    with transaction.atomic():
        handover = PeppolHandover.objects.select_for_update().filter(invoice=invoice).first()
        if handover is not None and handover.state == PeppolHandover.PENDING:
            _attempt(handover)
    return handover


@dataclass(frozen=True)
class PendingPeppolRun:
    handed_over: int
    failed: int  # attempts that failed this run (retried later, or failed for good)


def peppol_handover_send_pending(
    *, limit: int = 1000, now: datetime | None = None
) -> PendingPeppolRun:
    """Try every pending hand-over that is due (at most `limit`), one transaction each.

    Each row is claimed with `FOR UPDATE SKIP LOCKED` and re-read under its lock, so
    senders running at once never hand the same invoice over twice.
    """
    due_by = now or timezone.now()
    pending = PeppolHandover.objects.filter(state=PeppolHandover.PENDING).order_by(
        "created_at", "pk"
    )
    due = [handover.pk for handover in pending if next_attempt_at(handover) <= due_by][:limit]
    handed_over = failed = 0
    for pk in due:
        with transaction.atomic():
            handover = (
                PeppolHandover.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=PeppolHandover.PENDING)
                .first()
            )
            if handover is None or next_attempt_at(handover) > due_by:
                continue  # another sender has it, or tried it meanwhile
            if _attempt(handover) is None:
                handed_over += 1
            else:
                failed += 1
    return PendingPeppolRun(handed_over=handed_over, failed=failed)
