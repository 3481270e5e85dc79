"""Forms of the Invoicing pages: they parse input; the services decide what is allowed."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.forms import PlainDecimalField
from invoicing import selectors
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
    """Which lines to credit, among those not reversed yet (all ticked by default), and
    per line how (DOMAIN.md rule 31): *Reverse* the whole line (its entries are freed
    and billed again) or *Write down* a quantity (the entries stay billed).

    Per line `mode_<pk>` (reversal by default) and `quantity_<pk>` (a write-down's);
    the service checks the quantity against what is left on the line.
    """

    lines = forms.ModelMultipleChoiceField(
        label="Lines to credit",
        queryset=InvoiceLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one line to credit."},
    )

    MODE_CHOICES = [
        (InvoiceLine.REVERSAL, "Reverse (the whole line; its entries are billed again)"),
        (InvoiceLine.WRITE_DOWN, "Write down (entries stay billed, never billed again)"),
    ]

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["lines"]
        field.queryset = selectors.creditable_lines(invoice=invoice)
        field.label_from_instance = _credit_line_label
        self.credit_lines = list(field.queryset)
        for line in self.credit_lines:
            line.written_down = line.written_down.quantize(Decimal("0.01"))
            self.fields[f"mode_{line.pk}"] = forms.ChoiceField(
                label="How",
                choices=self.MODE_CHOICES,
                initial=InvoiceLine.REVERSAL,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"quantity_{line.pk}"] = PlainDecimalField(
                label="Quantity to write down",
                required=False,
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0.01"),
                help_text=f"Up to {line.quantity - line.written_down} {line.uom_name}.",
            )
        if not self.is_bound:
            self.initial["lines"] = [line.pk for line in self.credit_lines]

    def line_rows(self) -> list[dict]:
        """Per line: the line, whether it is ticked, its mode and quantity fields."""
        if self.is_bound:
            ticked = set(self.data.getlist(self.add_prefix("lines")))
        else:
            ticked = {str(pk) for pk in self.initial.get("lines", [])}
        return [
            {
                "line": line,
                "label": _credit_line_label(line),
                "ticked": str(line.pk) in ticked,
                "left": line.quantity - line.written_down,
                "mode": self[f"mode_{line.pk}"],
                "quantity": self[f"quantity_{line.pk}"],
            }
            for line in self.credit_lines
        ]

    def clean(self):
        data = super().clean()
        for line in data.get("lines") or ():
            if data.get(f"mode_{line.pk}") == InvoiceLine.WRITE_DOWN and (
                data.get(f"quantity_{line.pk}") is None and f"quantity_{line.pk}" not in self.errors
            ):
                self.add_error(f"quantity_{line.pk}", "Give the quantity to write down.")
        return data

    def credit_requests(self) -> list[dict]:
        """The ticked lines as `invoice_credit` takes them."""
        requests = []
        for line in self.cleaned_data["lines"]:
            if self.cleaned_data.get(f"mode_{line.pk}") == InvoiceLine.WRITE_DOWN:
                requests.append(
                    {
                        "line": line.pk,
                        "mode": InvoiceLine.WRITE_DOWN,
                        "quantity": self.cleaned_data[f"quantity_{line.pk}"],
                    }
                )
            else:
                requests.append({"line": line.pk, "mode": InvoiceLine.REVERSAL})
        return requests


def _credit_line_label(line: InvoiceLine) -> str:
    first = line.description.splitlines()[0] if line.description else ""
    return f"{first} ({line.quantity} {line.uom_name} × {line.price_unit})"


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
