"""Invoices, credit notes and payments. Shapes only: the invoicing services own every rule."""

from rest_framework import serializers

from api.serializers.base import ApiModelSerializer, IdRelatedField, PlainDateField, read_decimal
from invoicing.models import Invoice, InvoiceLine, Payment


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
            "amount",
            "timesheets",
        ]
        read_only_fields = fields


class PaymentSerializer(ApiModelSerializer):
    date = PlainDateField(required=False, help_text="Defaults to today.")

    class Meta:
        model = Payment
        fields = ["id", "amount", "date", "method", "reference"]


class InvoiceSerializer(ApiModelSerializer):
    type = serializers.ChoiceField(source="move_type", choices=Invoice.TYPE_CHOICES, read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)

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
