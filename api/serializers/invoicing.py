"""Invoices, credit notes and payments. Shapes only: the invoicing services own every rule."""

from rest_framework import serializers

from api.serializers.base import ApiModelSerializer, IdRelatedField, PlainDateField, read_decimal
from invoicing.models import Invoice, InvoiceLine, Payment, PeppolHandover


class InvoiceLineSerializer(ApiModelSerializer):
    amount = read_decimal(help_text="Untaxed amount of the line.")
    timesheets = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the timesheet entries this line bills."
    )

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "sale_line",
            "description",
            "quantity",
            "uom",
            "price_unit",
            "tax_rate",
            "vat_category",
            "vat_exemption_reason",
            "amount",
            "timesheets",
        ]
        read_only_fields = fields


class PaymentSerializer(ApiModelSerializer):
    """A payment on an invoice, or a refund on a credit note; cancelled ones stay listed."""

    date = PlainDateField(required=False, help_text="Defaults to today.")
    # A plain string, not an enum: drf-spectacular would name it like the invoice's state.
    state = serializers.CharField(
        read_only=True, help_text='"posted", or "cancelled" (kept, no longer counted).'
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "amount",
            "date",
            "method",
            "reference",
            "state",
            "created_at",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
        ]
        read_only_fields = [
            "invoice",
            "state",
            "created_at",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
        ]


class RefundSerializer(PaymentSerializer):
    """Register Refund on a credit note: at most the refund it still owes."""


class PaymentCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=Payment._meta.get_field("cancel_reason").max_length,
        help_text="Why the payment is cancelled (kept in its history).",
    )


class PeppolHandoverSerializer(ApiModelSerializer):
    """Whether and when the invoice's UBL was handed to the Peppol access point."""

    # A plain string, not an enum: drf-spectacular would name it like the invoice's state.
    state = serializers.CharField(read_only=True, help_text='"pending", "handed_over" or "failed".')

    class Meta:
        model = PeppolHandover
        fields = ["state", "handed_over_at", "attempts", "last_error"]
        read_only_fields = fields


class InvoiceSerializer(ApiModelSerializer):
    type = serializers.ChoiceField(source="move_type", choices=Invoice.TYPE_CHOICES, read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    peppol = PeppolHandoverSerializer(
        read_only=True, allow_null=True, help_text="Null when the UBL was never handed over."
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "type",
            "state",
            "payment_state",
            "customer",
            "sale_order",
            "invoice_date",
            "due_date",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "amount_paid",
            "amount_due",
            "reversed_invoice",
            "buyer_reference",
            "payment_reference",
            "peppol",
            "lines",
            "payments",
        ]
        read_only_fields = fields


class InvoiceValidateSerializer(serializers.Serializer):
    invoice_date = PlainDateField(required=False, help_text="Defaults to today.")


class CreditNoteSerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=IdRelatedField(queryset=InvoiceLine.objects.all()),
        required=False,
        help_text="Ids of this invoice's lines to credit; none means all.",
    )


class BillingRunSerializer(serializers.Serializer):
    up_to = PlainDateField(help_text="Bill every order's entries up to this date.")
