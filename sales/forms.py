"""Forms of the Sales pages: they parse input; the services decide what is allowed."""

from decimal import Decimal

from django import forms

from core.forms import PlainDecimalField
from sales.models import (
    LINE_QUANTITY_MAX,
    PRICE_UNIT_MAX,
    TAX_RATE_MAX,
    Customer,
    InvoiceStatus,
    Product,
    SaleOrder,
    SaleOrderLine,
    VatCategory,
)
from sales.selectors import products_for_sale

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


class OrderLineForm(forms.Form):
    """A new line: empty description, unit price and tax take the product's."""

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_for_sale()

    def clean(self):
        cleaned_data = super().clean()
        # Z, E and AE are 0%: an empty tax then means 0, not the product's rate.
        if cleaned_data.get("vat_category") in ZERO_RATED and cleaned_data.get("tax_rate") is None:
            cleaned_data["tax_rate"] = Decimal("0")
        return cleaned_data


class OrderLineEditForm(forms.Form):
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
