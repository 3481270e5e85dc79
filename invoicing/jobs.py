"""The background jobs invoicing's services queue, named, so services never import tasks.

`invoicing.tasks` holds the Celery tasks: thin entry points, each wrapping a service it
imports. The services queue those tasks after commit through this module, which knows
them by their registered name only (`celery.current_app.signature(name)`) and imports no
service and no task: tasks -> services -> jobs, and nothing points back, so no import
hides inside a function. The tasks take these names (`@shared_task(name=...)`), and
`invoicing.apps` imports `invoicing.tasks` at startup, so every process knows them: with
no broker a queued name runs its task in-process, with one it is sent by name.
"""

from celery import chain, current_app
from celery.canvas import Signature

from core.tasks import enqueue_after_commit

RENDER_INVOICE_PDF = "invoicing.tasks.render_invoice_pdf"
SEND_INVOICE_EMAIL = "invoicing.tasks.send_invoice_email"
HAND_OVER_TO_PEPPOL = "invoicing.tasks.hand_over_to_peppol"


def _job(name: str, **kwargs) -> Signature:
    return current_app.signature(name, kwargs=kwargs, immutable=True)


def pdf_then_mail_after_commit(*, invoice_id: int, mail: bool) -> None:
    """Once the transaction commits: render and store the invoice's PDF, then (if `mail`)
    send its mail, which attaches the stored PDF."""
    jobs = [_job(RENDER_INVOICE_PDF, invoice_id=invoice_id)]
    if mail:
        jobs.append(_job(SEND_INVOICE_EMAIL, invoice_id=invoice_id))
    enqueue_after_commit(chain(*jobs))


def mail_after_commit(*, invoice_id: int) -> None:
    """Once the transaction commits: send the invoice's mail."""
    enqueue_after_commit(_job(SEND_INVOICE_EMAIL, invoice_id=invoice_id))


def peppol_after_commit(*, invoice_id: int) -> None:
    """Once the transaction commits: hand the invoice's UBL over to Peppol."""
    enqueue_after_commit(_job(HAND_OVER_TO_PEPPOL, invoice_id=invoice_id))
