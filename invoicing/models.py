"""Invoices are legal documents: once posted they never change (DOMAIN.md rule 23).

A posted invoice keeps a frozen copy of everything it prints. Only its payment
figures, its stored PDF and its integrity hash are written after posting; `save()`
and `delete()` refuse anything else, and on PostgreSQL a trigger does too. The
PostgreSQL triggers (invoicing migrations 0003 and 0007) also refuse payment figures
written outside `services.common.payment_figures_write()`, lines moved into a posted
invoice, billed entries unlinked other than by a posted credit note, and TRUNCATE;
`manage.py verify_invoices` finds what was done with the triggers switched off.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core import naming
from core.errors import ConflictError
from core.numbers import SHORT_TEXT_MAX

ZERO = Decimal("0")

# Fields that may still be written on a posted invoice.
POSTED_WRITABLE_FIELDS = frozenset(
    {
        "amount_paid",
        "amount_due",
        "payment_state",
        "pdf",
        "pdf_rendered_at",
        "pdf_sha256",
        "updated_at",
    }
)


class InvoiceQuerySet(models.QuerySet):
    """Bulk paths get the same guard as `Invoice.save()` / `delete()`."""

    def delete(self):
        if self.exclude(state=Invoice.DRAFT).exists():
            raise ConflictError("Posted or cancelled invoices are never deleted.")
        return super().delete()

    def update(self, **kwargs):
        if not set(kwargs) <= POSTED_WRITABLE_FIELDS and self.exclude(state=Invoice.DRAFT).exists():
            raise ConflictError("A posted or cancelled invoice is never edited.")
        return super().update(**kwargs)


class InvoiceLineQuerySet(models.QuerySet):
    def delete(self):
        if self.exclude(invoice__state=Invoice.DRAFT).exists():
            raise ConflictError("Lines of posted or cancelled invoices are never deleted.")
        return super().delete()

    def update(self, **kwargs):
        if self.exclude(invoice__state=Invoice.DRAFT).exists():
            raise ConflictError("Lines of posted or cancelled invoices are never edited.")
        return super().update(**kwargs)


class Invoice(models.Model):
    INVOICE = naming.INVOICE
    CREDIT_NOTE = naming.CREDIT_NOTE
    TYPE_CHOICES = list(naming.INVOICE_TYPE_LABELS.items())

    DRAFT = "draft"
    POSTED = "posted"
    CANCEL = "cancel"
    STATE_CHOICES = [(DRAFT, "Draft"), (POSTED, "Posted"), (CANCEL, "Cancelled")]

    NOT_PAID = "not_paid"
    PARTIAL = "partial"
    PAID = "paid"
    REVERSED = "reversed"
    PAYMENT_STATE_CHOICES = [
        (NOT_PAID, "Not paid"),
        (PARTIAL, "Partially paid"),
        (PAID, "Paid"),
        (REVERSED, "Reversed"),
    ]

    move_type = models.CharField("type", max_length=16, choices=TYPE_CHOICES, default=INVOICE)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=DRAFT)
    payment_state = models.CharField(max_length=16, choices=PAYMENT_STATE_CHOICES, default=NOT_PAID)
    number = models.CharField(max_length=32, null=True, blank=True, unique=True)
    sequence_year = models.PositiveIntegerField(null=True, blank=True, editable=False)
    sequence_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    customer = models.ForeignKey(
        "sales.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    sale_order = models.ForeignKey(
        "sales.SaleOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    reversed_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        help_text="The invoice this credit note corrects.",
    )
    invoice_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    # Frozen at validation: what the invoice prints, whatever changes later.
    seller_name = models.CharField(max_length=200, blank=True)
    seller_address = models.TextField(blank=True)
    seller_vat = models.CharField(max_length=32, blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_address = models.TextField(blank=True)
    customer_vat = models.CharField(max_length=32, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    # Structured (DOMAIN.md rule 42, EN 16931): {"seller": {...}, "buyer": {...},
    # "payment": {...}} as `invoicing.documents` writes it. Empty on invoices posted
    # before e-invoices, which keep the joined-lines fields above and print as they were.
    snapshot = models.JSONField(default=dict, blank=True, editable=False)
    buyer_reference = models.CharField(
        "customer reference",
        max_length=100,
        blank=True,
        help_text="The buyer's reference (the order's customer reference), frozen at validation.",
    )
    payment_reference = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="Structured payment reference: +++123/4567/89012+++ (Belgium) or RF...",
    )
    appendix = models.JSONField(
        default=list, blank=True, help_text="Billed timesheet entries, frozen at validation."
    )

    amount_untaxed = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    amount_tax = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    amount_total = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Which formula `invoice_content_hash` used (posting.HASH_VERSION when posted): an
    # invoice posted under an older formula still verifies with that formula.
    hash_version = models.PositiveSmallIntegerField(default=2, editable=False)
    previous_hash = models.CharField(max_length=64, blank=True, editable=False)
    pdf = models.FileField(upload_to="invoices/%Y/", blank=True)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    # The e-invoices (rule 41), made once at validation from the frozen document, in
    # the posting's transaction: UBL (Peppol BIS 3) and the CII embedded in the PDF.
    ubl_xml = models.TextField("UBL", blank=True, editable=False)
    ubl_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    cii_xml = models.TextField("CII (Factur-X)", blank=True, editable=False)
    cii_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    # The e-invoices are immutable copies of the frozen fields: history keeps their hashes.
    history = HistoricalRecords(excluded_fields=["ubl_xml", "cii_xml"])

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "invoice_date"]),
            models.Index(fields=["customer", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["move_type", "sequence_year", "sequence_number"],
                condition=models.Q(sequence_number__isnull=False),
                name="invoicing_invoice_number_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft")
                | models.Q(state="cancel", number__isnull=True)
                | models.Q(state="posted", number__isnull=False),
                name="invoicing_invoice_posted_has_number",
            ),
        ]

    def __str__(self) -> str:
        return naming.invoice_name(pk=self.pk, number=self.number, move_type=self.move_type)

    def save(self, *args, **kwargs):
        # Read the stored state: the in-memory one may have been changed back to draft.
        stored_state = self._stored_state()
        if stored_state in (self.POSTED, self.CANCEL):
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= POSTED_WRITABLE_FIELDS:
                raise ConflictError(
                    f"{self} is {stored_state}; a posted or cancelled invoice is never edited."
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored_state = self._stored_state()
        if self.number or stored_state not in (None, self.DRAFT):
            raise ConflictError(f"{self} is {stored_state}; it cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def is_posted(self) -> bool:
        return self.state == self.POSTED

    @property
    def is_draft(self) -> bool:
        return self.state == self.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.move_type == self.CREDIT_NOTE

    def _stored_state(self) -> str | None:
        if not self.pk:
            return None
        return Invoice.objects.filter(pk=self.pk).values_list("state", flat=True).first()


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=10)
    sale_line = models.ForeignKey(
        "sales.SaleOrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )
    description = models.TextField(validators=[MaxLengthValidator(SHORT_TEXT_MAX)])
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    uom = models.ForeignKey("sales.Uom", on_delete=models.PROTECT, related_name="+")
    uom_name = models.CharField("unit", max_length=64, blank=True)
    uom_code = models.CharField("UN/ECE unit code", max_length=3, blank=True)
    price_unit = models.DecimalField("unit price", max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField("tax rate (%)", max_digits=5, decimal_places=2, default=ZERO)
    vat_category = models.CharField("VAT category", max_length=2, default="S")
    vat_exemption_reason = models.CharField("VAT exemption reason", max_length=200, blank=True)
    amount_untaxed = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    amount_tax = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    amount_total = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    # Credit note lines point at the invoice line they reverse or write down.
    reversed_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_lines"
    )
    # DOMAIN.md rule 31, on credit note lines: a reversal credits the whole line and frees
    # its entries; a write-down credits a quantity, the entries stay billed.
    REVERSAL = "reversal"
    WRITE_DOWN = "write_down"
    CREDIT_MODE_CHOICES = [(REVERSAL, "Reverse"), (WRITE_DOWN, "Write down")]
    credit_mode = models.CharField(max_length=16, choices=CREDIT_MODE_CHOICES, blank=True)
    # On an invoice line: the quantity its entries made that the line does not bill (its
    # quantity was lowered on the draft; a write-down once posted). On a reversal: the
    # reversed line's, undone with it.
    qty_written_down = models.DecimalField(
        "written down", max_digits=14, decimal_places=2, default=ZERO
    )

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        ordering = ["invoice_id", "sequence", "id"]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.description[:40]}"

    def save(self, *args, **kwargs):
        self._check_invoice_is_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_invoice_is_draft()
        return super().delete(*args, **kwargs)

    def _check_invoice_is_draft(self) -> None:
        state = Invoice.objects.filter(pk=self.invoice_id).values_list("state", flat=True).first()
        if state not in (None, Invoice.DRAFT):
            raise ConflictError(
                f"{self.invoice} is {state}; its lines are never edited or deleted."
            )

    @property
    def amount(self) -> Decimal:
        return self.amount_untaxed


# The only fields written on a recorded payment: its cancellation.
PAYMENT_CANCEL_FIELDS = frozenset({"state", "cancelled_at", "cancelled_by", "cancel_reason"})


class PaymentQuerySet(models.QuerySet):
    def live(self) -> "PaymentQuerySet":
        """Payments (and refunds) that count: not cancelled."""
        return self.filter(state=Payment.POSTED)

    def delete(self):
        raise ConflictError("A payment is never deleted; cancel it with a reason.")

    def update(self, **kwargs):
        if not set(kwargs) <= PAYMENT_CANCEL_FIELDS:
            raise ConflictError("A payment is never edited; cancel it with a reason.")
        return super().update(**kwargs)


class Payment(models.Model):
    """Money received on a customer invoice, or refunded on a credit note (DOMAIN.md 25, 32).

    A payment entered by mistake is cancelled (state, who, when, why), never deleted
    or edited: only the live ones count in the payment status.
    """

    BANK = "bank"
    CASH = "cash"
    CARD = "card"
    CHECK = "check"
    METHOD_CHOICES = [
        (BANK, "Bank transfer"),
        (CASH, "Cash"),
        (CARD, "Card"),
        (CHECK, "Check"),
    ]

    POSTED = "posted"
    CANCELLED = "cancelled"
    STATE_CHOICES = [(POSTED, "Posted"), (CANCELLED, "Cancelled")]

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    date = models.DateField()
    method = models.CharField(max_length=16, choices=METHOD_CHOICES, default=BANK)
    reference = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=POSTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField("reason for cancelling", max_length=500, blank=True)

    objects = PaymentQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["invoice", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="invoicing_payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(state="posted", cancelled_at__isnull=True)
                | (
                    models.Q(state="cancelled", cancelled_at__isnull=False)
                    & ~models.Q(cancel_reason="")
                ),
                name="invoicing_payment_cancelled_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.invoice}"

    def save(self, *args, **kwargs):
        # A recorded payment only ever changes by being cancelled (payment_cancel).
        update_fields = kwargs.get("update_fields")
        edits = self.pk and not (update_fields and set(update_fields) <= PAYMENT_CANCEL_FIELDS)
        if edits and Payment.objects.filter(pk=self.pk).exists():
            raise ConflictError(f"{self} is never edited; cancel it with a reason.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ConflictError(f"{self} is never deleted; cancel it with a reason.")

    @property
    def is_live(self) -> bool:
        return self.state == self.POSTED

    @property
    def is_refund(self) -> bool:
        """Money paid back to the customer: a payment recorded on a credit note."""
        return self.invoice.move_type == Invoice.CREDIT_NOTE


class PeppolHandover(models.Model):
    """The UBL of a posted invoice handed to the Peppol access point (invoicing.peppol).

    One row per invoice: pending until the sender backend took the file (then
    handed over, with where it went), failed with the error otherwise.
    """

    PENDING = "pending"
    HANDED_OVER = "handed_over"
    FAILED = "failed"
    STATE_CHOICES = [(PENDING, "Pending"), (HANDED_OVER, "Handed over"), (FAILED, "Failed")]

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="peppol")
    state = models.CharField(max_length=12, choices=STATE_CHOICES, default=PENDING)
    backend = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True, help_text="Where the file went.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Peppol handover"

    def __str__(self) -> str:
        return f"{self.invoice} ({self.get_state_display()})"


class InvoiceEmail(models.Model):
    """The outbox row of the one mail sending a posted invoice to its customer
    (invoicing/services/mail.py).

    Written in the validation's transaction (pending), so a process that dies after
    the commit, or a broker that is down, loses nothing: a periodic sender sends every
    pending row that is due. Each attempt counts; a failed one records its error and
    the next attempt's time (backoff); after the last allowed attempt the row is
    failed, listed on the "Unsent invoices" page until someone sends it again.

    The Message-ID is chosen when the row is written and kept, so a mail sent again
    after a crash between sending and recording carries the same Message-ID;
    `sent_at` is set once the mail server accepted it.
    """

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    STATE_CHOICES = [(PENDING, "Pending"), (SENT, "Sent"), (FAILED, "Failed")]

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="mail")
    message_id = models.CharField(max_length=255, unique=True)
    recipient = models.CharField(max_length=254)
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "invoice mail"
        indexes = [
            # The periodic sender's query: pending rows that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="invoicing_mail_pending_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="sent", sent_at__isnull=False)
                | (~models.Q(state="sent") & models.Q(sent_at__isnull=True)),
                name="invoicing_mail_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} to {self.recipient}"
