"""Sale orders and their lines. Shapes only: the sales services own every rule."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.serializers.base import (
    ApiModelSerializer,
    IdRelatedField,
    PlainDateField,
    PlainDecimalField,
    read_decimal,
)
from sales.models import (
    PRICE_UNIT_MAX,
    TAX_RATE_MAX,
    InvoiceStatus,
    Product,
    SaleOrder,
    SaleOrderLine,
    VatCategory,
    WorkType,
)

LINE_INPUT_FIELDS = (
    "product",
    "description",
    "quantity",
    "price_unit",
    "tax_rate",
    "vat_category",
    "vat_exemption_reason",
    "rounding_increment",
    "rounding_mode",
    "minimum_minutes",
    "rate_work_type",
    "rate_employee",
)


class OrderLineSerializer(ApiModelSerializer):
    """A line; on input `product` and `quantity` are needed, the rest defaults from the product."""

    product = IdRelatedField(queryset=Product.objects.all())
    description = serializers.CharField(required=False, allow_blank=True)
    price_unit = PlainDecimalField(
        max_digits=12,
        decimal_places=2,
        max_value=PRICE_UNIT_MAX,
        required=False,
        help_text="Defaults to the sales price.",
    )
    tax_rate = PlainDecimalField(
        max_digits=5,
        decimal_places=2,
        max_value=TAX_RATE_MAX,
        required=False,
        help_text="Percent; defaults to the product's.",
    )
    vat_category = serializers.ChoiceField(
        choices=VatCategory.choices,
        required=False,
        help_text="Defaults to the product's; a service sold to a business with a VAT number "
        "of another EU country is AE (reverse charge) at 0%. Z, E and AE are 0%.",
    )
    vat_exemption_reason = serializers.CharField(
        max_length=SaleOrderLine._meta.get_field("vat_exemption_reason").max_length,
        required=False,
        allow_blank=True,
        help_text="Needed for E (exempt); defaults to the product's.",
    )
    qty_delivered = read_decimal()
    qty_invoiced = read_decimal()
    qty_written_down = read_decimal(help_text="Quantities written down (rule 31).")
    qty_to_invoice = read_decimal()
    invoice_status = serializers.ChoiceField(choices=InvoiceStatus.choices, read_only=True)
    remaining_hours = read_decimal(
        allow_null=True, help_text="Prepaid lines: ordered minus delivered, in hours."
    )
    qty_written_down = read_decimal(
        help_text="Written down on posted credit notes: never billed again (rule 31)."
    )
    rate_work_type = IdRelatedField(
        queryset=WorkType.objects.all(),
        required=False,
        allow_null=True,
        help_text="Rate line for this work type (rule 30): the order's entries of this work "
        "type are billed on this line once the order is confirmed. null: none.",
    )
    rate_employee = IdRelatedField(
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text="Rate line for this employee (user id); with `rate_work_type` too, for "
        "that employee's entries of that work type. null: none.",
    )
    task = serializers.SerializerMethodField()

    class Meta:
        model = SaleOrderLine
        fields = [
            "id",
            "order",
            "product",
            "description",
            "quantity",
            "uom",
            "price_unit",
            "tax_rate",
            "vat_category",
            "vat_exemption_reason",
            "qty_delivered",
            "qty_invoiced",
            "qty_written_down",
            "qty_to_invoice",
            "invoice_status",
            "remaining_hours",
            "qty_written_down",
            "rounding_increment",
            "rounding_mode",
            "minimum_minutes",
            "rate_work_type",
            "rate_employee",
            "task",
        ]
        read_only_fields = ["order", "uom"]
        extra_kwargs = {
            "rounding_increment": {
                "required": False,
                "help_text": "Minutes (1: no rounding); defaults to the product's.",
            },
            "rounding_mode": {
                "required": False,
                "help_text": "`up`, or `nearest` (half up); defaults to the product's.",
            },
            "minimum_minutes": {
                "required": False,
                "help_text": "Billed at least this long per entry (0: none); defaults to the "
                "product's.",
            },
        }

    def get_task(self, line: SaleOrderLine) -> int | None:
        tasks = line.tasks.all()  # prefetched; at most one (unique constraint)
        return tasks[0].pk if tasks else None


class OrderLineUpdateSerializer(OrderLineSerializer):
    """PATCH of a line: the product of a line does not change."""

    class Meta(OrderLineSerializer.Meta):
        read_only_fields = ["order", "uom", "product"]


class OrderSerializer(ApiModelSerializer):
    invoice_status = serializers.ChoiceField(choices=InvoiceStatus.choices, read_only=True)
    amount_untaxed = read_decimal()
    amount_tax = read_decimal()
    amount_total = read_decimal()
    lines = OrderLineSerializer(
        many=True,
        required=False,
        help_text="Given on creation only; later use /orders/{id}/lines/ and /order-lines/{id}/.",
    )

    class Meta:
        model = SaleOrder
        fields = [
            "id",
            "name",
            "customer",
            "date_order",
            "customer_reference",
            "note",
            "state",
            "invoice_status",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "lines",
        ]
        read_only_fields = ["name", "state"]
        extra_kwargs = {
            "date_order": {"required": False},
            "customer_reference": {
                "help_text": "The buyer's reference or PO number, printed on its invoices."
            },
        }

    def validate(self, attrs):
        if self.instance is not None and "lines" in attrs:
            raise serializers.ValidationError(
                {"lines": ["Add lines with POST /orders/{id}/lines/, edit them at /order-lines/."]}
            )
        return attrs


class InvoicePeriodSerializer(serializers.Serializer):
    """Bill entries up to a date, or within a period; nothing given bills everything."""

    up_to = PlainDateField(required=False)
    period_start = PlainDateField(required=False)
    period_end = PlainDateField(required=False)
