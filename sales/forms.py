"""Forms of the Sales pages: they parse input; the services decide what is allowed."""

from decimal import Decimal

from django import forms

from core.forms import PlainDecimalField, PlainIntegerField, UserChoiceField
from sales.models import (
    LINE_QUANTITY_MAX,
    MINIMUM_MINUTES_MAX,
    PRICE_UNIT_MAX,
    ROUNDING_INCREMENT_MAX,
    TAX_RATE_MAX,
    Customer,
    InvoiceStatus,
    Product,
    RoundingMode,
    SaleOrder,
    SaleOrderLine,
    VatCategory,
)
from sales.selectors import products_for_sale, rate_employees, work_type_choices

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrderFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *SaleOrder.STATE_CHOICES]
    )
    invoice_status = forms.ChoiceField(
        label="Invoice status",
        required=False,
        choices=[("", "Any invoice status"), *InvoiceStatus.choices],
    )
    customer = forms.ModelChoiceField(
        label="Customer",
        required=False,
        queryset=Customer.objects.all(),
        empty_label="Any customer",
    )


REFERENCE_MAX = SaleOrder._meta.get_field("customer_reference").max_length
REASON_MAX = SaleOrderLine._meta.get_field("vat_exemption_reason").max_length
ZERO_RATED = {VatCategory.ZERO, VatCategory.EXEMPT, VatCategory.REVERSE_CHARGE}


class OrderForm(forms.Form):
    customer = forms.ModelChoiceField(label="Customer", queryset=Customer.objects.all())
    date_order = forms.DateField(label="Order date", widget=DATE_INPUT)
    customer_reference = forms.CharField(
        label="Customer reference",
        required=False,
        max_length=REFERENCE_MAX,
        help_text="The customer's PO number, printed on its invoices.",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LineBillingFields(forms.Form):
    """A line's rounding rule (rule 29) and rate fields (rule 30). An empty rounding
    field keeps the line's (a new line: takes the product's)."""

    rounding_increment = PlainIntegerField(
        label="Rounding increment (minutes)",
        required=False,
        min_value=1,
        max_value=ROUNDING_INCREMENT_MAX,
        help_text="1: no rounding.",
    )
    rounding_mode = forms.ChoiceField(
        label="Rounding", required=False, choices=RoundingMode.choices
    )
    minimum_minutes = PlainIntegerField(
        label="Minimum per entry (minutes)",
        required=False,
        min_value=0,
        max_value=MINIMUM_MINUTES_MAX,
        help_text="0: no minimum.",
    )
    rate_work_type = forms.ModelChoiceField(
        label="Rate line for work type",
        required=False,
        queryset=None,
        empty_label="Any work type",
    )
    rate_employee = UserChoiceField(
        label="Rate line for employee", required=False, queryset=None, empty_label="Anyone"
    )

    RATE_HELP = (
        "Entries of this work type and/or employee on the order's tasks are billed on "
        "this line once the order is confirmed."
    )

    def __init__(self, *args, line: SaleOrderLine | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current_type = line.rate_work_type_id if line else None
        current_employee = line.rate_employee_id if line else None
        self.fields["rate_work_type"].queryset = work_type_choices(current=current_type)
        self.fields["rate_employee"].queryset = rate_employees(current=current_employee)
        self.fields["rate_employee"].help_text = self.RATE_HELP

    def billing_values(self) -> dict:
        data = self.cleaned_data
        return {
            "rounding_increment": data.get("rounding_increment"),
            "rounding_mode": data.get("rounding_mode") or None,
            "minimum_minutes": data.get("minimum_minutes"),
            "rate_work_type": data.get("rate_work_type"),
            "rate_employee": data.get("rate_employee"),
        }


class OrderLineForm(LineBillingFields):
    """A new line: empty description, unit price and tax take the product's, and an
    empty rounding rule the product's (rule 29)."""

    product = forms.ModelChoiceField(label="Product", queryset=Product.objects.none())
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    quantity = PlainDecimalField(
        label="Quantity",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=LINE_QUANTITY_MAX,
    )
    price_unit = PlainDecimalField(
        label="Unit price",
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        max_value=PRICE_UNIT_MAX,
    )
    tax_rate = PlainDecimalField(
        label="Tax (%)",
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=TAX_RATE_MAX,
    )
    vat_category = forms.ChoiceField(
        label="VAT category",
        required=False,
        choices=[("", "Product's"), *VatCategory.choices],
    )
    vat_exemption_reason = forms.CharField(
        label="Exemption reason", required=False, max_length=REASON_MAX
    )

    field_order = [
        "product",
        "description",
        "quantity",
        "price_unit",
        "tax_rate",
        "vat_category",
        "vat_exemption_reason",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_for_sale()
        self.fields["rounding_mode"].choices = [("", "Product's"), *RoundingMode.choices]
        self.fields["rounding_increment"].help_text = "Empty: the product's (1: no rounding)."
        self.fields["minimum_minutes"].help_text = "Empty: the product's (0: no minimum)."

    def clean(self):
        cleaned_data = super().clean()
        # Z, E and AE are 0%: an empty tax then means 0, not the product's rate.
        if cleaned_data.get("vat_category") in ZERO_RATED and cleaned_data.get("tax_rate") is None:
            cleaned_data["tax_rate"] = Decimal("0")
        return cleaned_data


class OrderLineEditForm(LineBillingFields):
    field_order = [
        "description",
        "quantity",
        "price_unit",
        "tax_rate",
        "vat_category",
        "vat_exemption_reason",
    ]

    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 2}))
    quantity = PlainDecimalField(
        label="Quantity",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=LINE_QUANTITY_MAX,
    )
    price_unit = PlainDecimalField(
        label="Unit price", max_digits=12, decimal_places=2, min_value=0, max_value=PRICE_UNIT_MAX
    )
    tax_rate = PlainDecimalField(
        label="Tax (%)", max_digits=5, decimal_places=2, min_value=0, max_value=TAX_RATE_MAX
    )
    vat_category = forms.ChoiceField(
        label="VAT category", required=False, choices=VatCategory.choices
    )
    vat_exemption_reason = forms.CharField(
        label="Exemption reason", required=False, max_length=REASON_MAX
    )


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "name",
            "email",
            "street",
            "street2",
            "zip",
            "city",
            "country",
            "vat",
            "company_registration",
            "peppol_scheme",
            "peppol_id",
            "invoice_email",
            "payment_terms_days",
        ]
