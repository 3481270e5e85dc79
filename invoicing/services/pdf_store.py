"""The stored invoice PDF: rendered once for a posted invoice, served as stored after.

A posted invoice's PDF is its Factur-X (PDF/A-3b with the CII made at posting,
`invoicing.pdf`); its SHA-256 is stored beside it (`Invoice.pdf_sha256`) in the same
compare-and-set update, so the stored file can be checked against it later.
"""

import gc
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.utils import timezone

from invoicing.models import Invoice
from invoicing.pdf import InvoicePdfRenderer

logger = logging.getLogger(__name__)

# WeasyPrint allocates millions of short-lived objects: with the default threshold the
# cyclic garbage collector runs thousands of times per invoice and takes about a quarter
# of the render's CPU (B6). While any thread renders, collect every 100,000 allocations
# instead of every 700; the previous thresholds come back when the last render ends.
_RENDER_GC_THRESHOLD = 100_000
_gc_lock = threading.Lock()
_gc_renders = 0
_gc_saved: tuple[int, ...] = ()


@contextmanager
def _rare_garbage_collection() -> Iterator[None]:
    global _gc_renders, _gc_saved
    with _gc_lock:
        if _gc_renders == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(_gc_saved[0], _RENDER_GC_THRESHOLD), *_gc_saved[1:])
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0:
                gc.set_threshold(*_gc_saved)


def _stored_pdf(invoice: Invoice) -> bytes | None:
    if not invoice.pdf:
        return None
    try:
        with invoice.pdf.open("rb") as stored:
            return stored.read()
    except OSError:
        logger.warning("The stored PDF of %s is missing; rendering it again.", invoice)
        return None


def invoice_pdf_bytes(*, invoice: Invoice) -> bytes:
    """The PDF of an invoice. A posted invoice's PDF (Factur-X) is rendered once, stored
    in `Invoice.pdf` with its SHA-256 and served as-is afterwards; drafts render fresh,
    marked DRAFT, with no e-invoice embedded."""
    invoice = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    stored = _stored_pdf(invoice)
    if stored is not None:
        return stored
    with _rare_garbage_collection():
        content = InvoicePdfRenderer().render(invoice)
    if invoice.state != Invoice.POSTED:
        return content
    field = invoice.pdf.field
    name = field.generate_filename(invoice, f"{invoice.number.replace('/', '-')}.pdf")
    name = field.storage.save(name, ContentFile(content))
    # Whoever stores first wins; a concurrent renderer keeps the winner's file.
    won = Invoice.objects.filter(pk=invoice.pk, pdf=invoice.pdf.name or "").update(
        pdf=name, pdf_rendered_at=timezone.now(), pdf_sha256=hashlib.sha256(content).hexdigest()
    )
    if not won:
        field.storage.delete(name)
        invoice.refresh_from_db(fields=["pdf"])
        return _stored_pdf(invoice) or content
    return content
