"""Invoices, credit notes and payments. Shapes only: the invoicing services own every rule."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import (
    ApiModelSerializer,
    IdRelatedField,
    PlainDateField,
    PlainDecimalField,
    read_decimal,
)
from invoicing.models import Invoice, InvoiceLine, Payment, PeppolHandover


class InvoiceLineSerializer(ApiModelSerializer):
    amount = read_decimal(help_text="Untaxed amount of the line.")
    timesheets = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the timesheet entries this line bills."
    )
    # A plain string, not an enum: drf-spectacular would name it like other enums.
    credit_mode = serializers.CharField(
        read_only=True,
        help_text='Credit note lines: "reversal" (the whole line, its entries billed again) '
        'or "write_down" (a quantity, the entries stay billed); "" elsewhere (and on credit '
        "notes made before write-downs, which are reversals).",
    )
    qty_written_down = read_decimal(
        help_text="Invoice lines: the quantity its entries made that the line does not bill "
        "(its quantity lowered on the draft; counted as written down once posted). "
        "Reversals: the written-down quantity they undo."
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
            "credit_mode",
            "qty_written_down",
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


class CreditLineSerializer(serializers.Serializer):
    """One line of a credit note: reverse it, or write a quantity of it down (rule 31)."""

    line = IdRelatedField(queryset=InvoiceLine.objects.all())
    mode = serializers.ChoiceField(
        choices=[InvoiceLine.REVERSAL, InvoiceLine.WRITE_DOWN], default=InvoiceLine.REVERSAL
    )
    quantity = PlainDecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False
    )

    def validate(self, attrs):
        if attrs["mode"] == InvoiceLine.WRITE_DOWN and attrs.get("quantity") is None:
            raise serializers.ValidationError({"quantity": "Give the quantity to write down."})
        if attrs["mode"] == InvoiceLine.REVERSAL and attrs.get("quantity") is not None:
            raise serializers.ValidationError(
                {"quantity": "A reversal credits the whole line: give no quantity."}
            )
        return attrs


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "The id of a line to reverse."},
            {
                "type": "object",
                "properties": {
                    "line": {"type": "integer"},
                    "mode": {"type": "string", "enum": ["reversal", "write_down"]},
                    "quantity": {
                        "type": "string",
                        "format": "decimal",
                        "description": "For a write-down: more than 0, at most what is "
                        "left of the line's quantity.",
                    },
                },
                "required": ["line"],
            },
        ]
    }
)
class CreditLineField(serializers.Field):
    """A line id (a reversal) or `{"line": id, "mode": ..., "quantity": ...}`."""

    default_error_messages = {
        # (str.format: the braces are doubled)
        "shape": 'Give a line id, or {{"line": id, "mode": "reversal"}} or '
        '{{"line": id, "mode": "write_down", "quantity": "1.50"}}.'
    }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            item = CreditLineSerializer(data=data)
        elif isinstance(data, int | str) and not isinstance(data, bool):
            item = CreditLineSerializer(data={"line": data})
        else:
            self.fail("shape")
        item.is_valid(raise_exception=True)
        return dict(item.validated_data)

    def to_representation(self, value):
        return value


class CreditNoteSerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=CreditLineField(),
        required=False,
        help_text='This invoice\'s lines to credit, each an id (reversed) or {"line": id, '
        '"mode": "reversal"} or {"line": id, "mode": "write_down", "quantity": "1.50"}; '
        "none reverses every line not reversed yet.",
    )


class BillingRunSerializer(serializers.Serializer):
    up_to = PlainDateField(help_text="Bill every order's entries up to this date.")
