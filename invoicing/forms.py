"""Forms of the Invoicing pages: they parse input; the services decide what is allowed."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.forms import PlainDecimalField
from invoicing.models import Invoice, InvoiceLine, Payment
from sales.forms import DATE_INPUT
from sales.models import Customer


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    move_type = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[("", "Invoices and credit notes"), *Invoice.TYPE_CHOICES],
    )
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *Invoice.STATE_CHOICES]
    )
    payment_state = forms.ChoiceField(
        label="Payment status",
        required=False,
        choices=[("", "Any payment status"), *Invoice.PAYMENT_STATE_CHOICES],
    )
    customer = forms.ModelChoiceField(
        label="Customer",
        required=False,
        queryset=Customer.objects.all(),
        empty_label="Any customer",
    )


class InvoiceLineEditForm(forms.Form):
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 2}))
    quantity = PlainDecimalField(label="Quantity", max_digits=14, decimal_places=2)
    price_unit = PlainDecimalField(
        label="Unit price", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )


class CreditNoteForm(forms.Form):
    """Which lines to credit, among those not credited yet; all are ticked by default."""

    lines = forms.ModelMultipleChoiceField(
        label="Lines to credit",
        queryset=InvoiceLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one line to credit."},
    )

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["lines"]
        field.queryset = invoice.lines.exclude(
            credit_lines__invoice__state=Invoice.POSTED
        ).order_by("sequence", "pk")
        field.label_from_instance = lambda line: (
            f"{line.description.splitlines()[0] if line.description else ''} "
            f"({line.quantity} {line.uom_name} × {line.price_unit})"
        )
        if not self.is_bound:
            self.initial["lines"] = list(field.queryset.values_list("pk", flat=True))


class PaymentForm(forms.Form):
    amount = PlainDecimalField(
        label="Amount", max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    date = forms.DateField(label="Payment date", widget=DATE_INPUT)
    method = forms.ChoiceField(label="Method", choices=Payment.METHOD_CHOICES)
    reference = forms.CharField(label="Reference", required=False, max_length=200)


class InvoiceValidateForm(forms.Form):
    """Validate: the invoice date, today when left empty (the service checks rule 34)."""

    invoice_date = forms.DateField(label="Invoice date", required=False, widget=DATE_INPUT)


class PaymentCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=Payment._meta.get_field("cancel_reason").max_length,
        error_messages={"required": "Say why the payment is cancelled."},
    )


class InvoicePeriodForm(forms.Form):
    """Create Invoice: everything, everything up to a date, or one period."""

    up_to = forms.DateField(label="Up to", required=False, widget=DATE_INPUT)
    period_start = forms.DateField(label="Period from", required=False, widget=DATE_INPUT)
    period_end = forms.DateField(label="Period to", required=False, widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        start, end, up_to = data.get("period_start"), data.get("period_end"), data.get("up_to")
        if up_to and (start or end):
            raise ValidationError("Give either an “up to” date or a period, not both.")
        if bool(start) != bool(end):
            raise ValidationError("A period needs both its first and its last day.")
        if start and end and start > end:
            raise ValidationError("The period ends before it starts.")
        return data


class BillingRunForm(forms.Form):
    up_to = forms.DateField(label="Invoice all orders up to", widget=DATE_INPUT)
