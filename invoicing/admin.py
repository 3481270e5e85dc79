"""Invoices in the admin are read-only: drafts change through actions that call the
services, posted invoices never change (DOMAIN.md rule 23). Payments are added
through `payment_register` and never edited or deleted; a cancelled payment (the
invoice page's Cancel payment, `payment_cancel`) shows who, when and why, read-only."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin import ServiceAdmin
from invoicing import services
from invoicing.models import Invoice, InvoiceEmail, InvoiceLine, Payment, PeppolHandover


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fk_name = "invoice"
    fields = [
        "description",
        "quantity",
        "uom_name",
        "price_unit",
        "tax_rate",
        "amount_untaxed",
        "amount_tax",
        "sale_line",
    ]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["date", "amount", "method", "reference", "state", "cancel_reason"]


@admin.register(Invoice)
class InvoiceAdmin(ServiceAdmin):
    list_display = [
        "__str__",
        "move_type",
        "customer",
        "state",
        "payment_state",
        "invoice_date",
        "due_date",
        "amount_total",
        "amount_due",
    ]
    list_filter = ["move_type", "state", "payment_state", "invoice_date"]
    search_fields = ["number", "customer__name", "customer_name", "sale_order__name"]
    list_select_related = ["customer"]
    date_hierarchy = "invoice_date"
    inlines = [InvoiceLineInline, PaymentInline]
    actions = ["validate_drafts", "cancel_drafts", "credit_invoices"]

    def has_add_permission(self, request) -> bool:
        return False  # invoices are made from sale orders

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _run(self, request, queryset, action, done: str) -> None:
        count = 0
        for invoice in queryset.order_by("pk"):
            try:
                action(invoice=invoice, actor=request.user)
                count += 1
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, f"{invoice}: {message}", messages.ERROR)
        if count:
            self.message_user(request, f"{count} invoice(s) {done}.", messages.SUCCESS)

    @admin.action(description="Validate selected draft invoices")
    def validate_drafts(self, request, queryset):
        self._run(request, queryset, services.invoice_validate, "validated")

    @admin.action(description="Cancel selected draft invoices")
    def cancel_drafts(self, request, queryset):
        self._run(request, queryset, services.invoice_cancel, "cancelled")

    @admin.action(description="Credit selected posted invoices (all lines)")
    def credit_invoices(self, request, queryset):
        self._run(request, queryset, services.invoice_credit, "credited")


@admin.register(Payment)
class PaymentAdmin(ServiceAdmin):
    list_display = ["invoice", "date", "amount", "method", "reference", "state"]
    list_filter = ["state", "method", "date"]
    search_fields = ["invoice__number", "reference"]
    list_select_related = ["invoice"]
    fields = ["invoice", "amount", "date", "method", "reference"]
    recorded_fields = [
        *fields,
        "state",
        "created_by",
        "created_at",
        "cancelled_at",
        "cancelled_by",
        "cancel_reason",
    ]

    def get_fields(self, request, obj=None):
        return self.recorded_fields if obj is not None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.recorded_fields if obj is not None else []

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "invoice":
            kwargs["queryset"] = Invoice.objects.filter(
                move_type=Invoice.INVOICE, state=Invoice.POSTED
            ).exclude(amount_due=0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        payment = services.payment_register(
            invoice=obj.invoice,
            amount=obj.amount,
            date=obj.date,
            method=obj.method,
            reference=obj.reference,
            actor=request.user,
        )
        self.adopt(obj, payment)


@admin.register(InvoiceEmail)
class InvoiceEmailAdmin(admin.ModelAdmin):
    """The invoice mail outbox, read-only: mail is sent by the senders, and sent again
    from the "Unsent invoices" page (invoicing/services/mail.py)."""

    list_display = [
        "invoice",
        "recipient",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state"]
    search_fields = ["invoice__number", "recipient", "message_id"]
    list_select_related = ["invoice"]
    readonly_fields = [
        "invoice",
        "message_id",
        "recipient",
        "state",
        "attempts",
        "last_error",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("invoice__appendix")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PeppolHandover)
class PeppolHandoverAdmin(admin.ModelAdmin):
    """The Peppol hand-over outbox, read-only: hand-overs are made by the senders
    (invoicing/services/peppol.py)."""

    list_display = ["invoice", "state", "attempts", "handed_over_at", "location", "last_error"]
    list_filter = ["state"]
    search_fields = ["invoice__number", "location"]
    list_select_related = ["invoice"]
    readonly_fields = [
        "invoice",
        "state",
        "backend",
        "location",
        "attempts",
        "last_error",
        "handed_over_at",
        "created_at",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("invoice__appendix", "invoice__ubl_xml", "invoice__cii_xml")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
