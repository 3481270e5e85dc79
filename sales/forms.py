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


class OrderForm(forms.Form):
    customer = forms.ModelChoiceField(label="Customer", queryset=Customer.objects.all())
    date_order = forms.DateField(label="Order date", widget=DATE_INPUT)
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_for_sale()


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


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "email", "street", "zip", "city", "country", "vat", "payment_terms_days"]
