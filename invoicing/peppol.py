"""Handing an invoice's UBL to a Peppol access point (issue 15: "Sending over Peppol").

Sending over Peppol needs an access point, a network service Billable does not run.
So the UBL goes to a *sender*: any class with a `send(*, invoice, ubl) -> str` method
that takes the file and says where it went, named by the `PEPPOL_SENDER` setting
(a dotted path; unset, Peppol is off). One backend comes with Billable:
`FolderDropSender` writes `<number>.xml` into `PEPPOL_DROP_DIR`, the folder many
access points import from. Another access point's API is plugged in with a class of
its own (README, "Deploying: Peppol").

The hand-over itself is an outbox row (`PeppolHandover`, invoicing/services/peppol.py)
written when the invoice is posted, sent after commit and retried by a periodic task.
A sender may be called twice for one invoice (a crash between its `send` and our
commit): it should accept the same file again (the folder drop overwrites it; an API
can dedupe on the invoice number).
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from invoicing.models import Invoice, PeppolHandover


class PeppolSender(Protocol):
    """What a Peppol backend implements."""

    def send(self, *, invoice: Invoice, ubl: bytes) -> str:
        """Hand the invoice's UBL over; where it went (a path, a message id, a URL).

        Raise on any failure: the hand-over is recorded failed with the error and
        retried later.
        """
        ...


class FolderDropSender:
    """Writes `<number>.xml` into `PEPPOL_DROP_DIR`, atomically: the access point that
    watches the folder sees the whole file or none (written beside it under a hidden
    temporary name, then renamed)."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        directory = directory or getattr(settings, "PEPPOL_DROP_DIR", "")
        if not directory:
            raise ImproperlyConfigured("FolderDropSender needs PEPPOL_DROP_DIR (a folder).")
        self.directory = Path(directory)

    def send(self, *, invoice: Invoice, ubl: bytes) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        # The name the mail gives the UBL too (services.einvoices.ubl_filename; this
        # module sits below the services, as invoicing.pdf does).
        target = self.directory / f"{invoice.number.replace('/', '-')}.xml"
        # Not "*.xml" while being written: a watcher must not pick up half a file.
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as part:
                part.write(ubl)
                part.flush()
                os.fsync(part.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return str(target)


def peppol_backend() -> str:
    """The configured sender's dotted path ("" when Peppol is off)."""
    return getattr(settings, "PEPPOL_SENDER", None) or ""


def peppol_sender() -> PeppolSender | None:
    """The configured sender, or None when Peppol is off."""
    backend = peppol_backend()
    return import_string(backend)() if backend else None


def buyer_peppol_address(invoice: Invoice) -> tuple[str, str]:
    """The buyer's electronic address (EAS scheme, id) as the invoice froze it."""
    buyer = (invoice.snapshot or {}).get("buyer") or {}
    return buyer.get("peppol_scheme", ""), buyer.get("peppol_id", "")


@dataclass(frozen=True, slots=True)
class PeppolStatus:
    """What the invoice page says about Peppol."""

    state: str  # a PeppolHandover state, or NO_ADDRESS / NOT_SENT / NONE
    handover: PeppolHandover | None = None
    address: str = ""  # "0208:0123456749"
    enabled: bool = False  # a PEPPOL_SENDER is configured


NO_ADDRESS = "no_address"  # the buyer has no electronic address: nothing to send
NOT_SENT = "not_sent"  # posted while Peppol was off (no PEPPOL_SENDER)
NONE = "none"  # not an e-invoice (a draft, an invoice posted before e-invoices)


def peppol_status(invoice: Invoice) -> PeppolStatus:
    """Whether and when the invoice's UBL was handed over to Peppol."""
    handover = getattr(invoice, "peppol", None)  # the reverse one-to-one, if any
    scheme, peppol_id = buyer_peppol_address(invoice)
    address = f"{scheme}:{peppol_id}" if peppol_id else ""
    enabled = bool(peppol_backend())
    if handover is not None:
        return PeppolStatus(handover.state, handover=handover, address=address, enabled=enabled)
    if invoice.state != Invoice.POSTED or not invoice.ubl_xml:
        return PeppolStatus(NONE, enabled=enabled)
    if not peppol_id:
        return PeppolStatus(NO_ADDRESS, enabled=enabled)
    return PeppolStatus(NOT_SENT, address=address, enabled=enabled)
