"""Small helpers shared by the invoicing services."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from core.errors import ConflictError
from core.numbers import LOOSE_NUMBER_MESSAGE, is_loose_number, money
from invoicing.models import Invoice, InvoiceLine
from sales.models import AMOUNT_MAX, SaleOrderLine

ZERO = Decimal("0")
CENT = Decimal("0.01")


def actor_user(actor):
    """The user to record as author, or None (anonymous or missing)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def parse_decimal(value, *, field: str, label: str) -> Decimal:
    """A finite Decimal with at most two decimals, or a field error (ASCII digits only:
    Decimal() reads "１２" as 12 and "1_000" as 1000)."""
    if isinstance(value, float):
        value = str(value)
    if isinstance(value, str) and is_loose_number(value.strip()):
        raise ValidationError({field: f"Enter a number for the {label}. {LOOSE_NUMBER_MESSAGE}"})
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: f"Enter a number for the {label}."}) from None
    if not number.is_finite():
        raise ValidationError({field: f"Enter a number for the {label}."})
    if number != number.quantize(CENT):
        raise ValidationError({field: f"The {label} has at most two decimals."})
    return number.quantize(CENT)


def parse_date(value, *, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: "Enter a date as YYYY-MM-DD."}) from None


def line_amounts(quantity: Decimal, price_unit: Decimal, tax_rate: Decimal) -> tuple:
    """Untaxed, tax and total of one line: tax is rounded per line (DOMAIN.md example 8)."""
    untaxed = money(quantity * price_unit)
    tax = money(untaxed * tax_rate / 100)
    return untaxed, tax, untaxed + tax


def line_set_amounts(line: InvoiceLine) -> None:
    line.amount_untaxed, line.amount_tax, line.amount_total = line_amounts(
        line.quantity, line.price_unit, line.tax_rate
    )


def invoice_set_totals(invoice: Invoice, lines) -> None:
    """Totals are the sums of the per-line figures, so screen, PDF and database agree."""
    lines = list(lines)
    invoice.amount_untaxed = sum((line.amount_untaxed for line in lines), ZERO)
    invoice.amount_tax = sum((line.amount_tax for line in lines), ZERO)
    invoice.amount_total = invoice.amount_untaxed + invoice.amount_tax
    invoice.amount_due = invoice.amount_total - invoice.amount_paid


@contextmanager
def payment_figures_write() -> Iterator[None]:
    """Lift the PostgreSQL guard on a posted invoice's payment figures for one write.

    The trigger of invoicing migration 0008 refuses any change of `amount_paid`,
    `amount_due` or `payment_state` on a posted invoice unless the transaction-local
    setting `billable.payment_state_write` is on: only the services that recompute
    those figures from payments and credit notes set it, around their own save. The
    savepoint makes the setting end with the block, even when the block raises.
    """
    with transaction.atomic():
        _set_payment_write("on")
        yield
        _set_payment_write("off")


def _set_payment_write(value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('billable.payment_state_write', %s, true)", [value])


def check_amounts_fit(invoice: Invoice, lines, *, what: str) -> None:
    """Every line's amount with tax and the invoice's total must fit the amount columns
    (sales.models.AMOUNT_MAX); else a clear error instead of a database overflow.
    `what` names the document in the message ("SO00012's invoice")."""
    largest = max((line.amount_total for line in lines), default=ZERO)
    if largest > AMOUNT_MAX:
        raise ValidationError(
            f"A line of {what} would amount to {largest:,.2f} with tax; a line can be at "
            f"most {AMOUNT_MAX:,.2f}. Lower its quantity or unit price."
        )
    if invoice.amount_total > AMOUNT_MAX:
        raise ValidationError(
            f"The total of {what} would be {invoice.amount_total:,.2f}; an invoice can be "
            f"at most {AMOUNT_MAX:,.2f}. Invoice a shorter period."
        )


def invoice_lock(*, invoice_id: int) -> Invoice:
    """Re-fetch the invoice under a row lock (callers are inside a transaction)."""
    try:
        return (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get(pk=invoice_id)
        )
    except Invoice.DoesNotExist:
        raise ValidationError("This invoice does not exist (any more).") from None


def require_draft(invoice: Invoice, *, action: str) -> None:
    if invoice.state == Invoice.POSTED:
        raise ConflictError(
            f"{invoice} is already validated: a posted invoice is never {action}; "
            "correct it with a credit note."
        )
    if invoice.state == Invoice.CANCEL:
        raise ConflictError(f"{invoice} is cancelled: it can no longer be {action}.")


def invoiced_by_sale_line(line_ids) -> dict[int, Decimal]:
    """DOMAIN.md rule 15 for these order lines: `invoiced_quantity()` read per line."""
    rows = SaleOrderLine.objects.filter(pk__in=list(line_ids)).annotate(
        invoiced=invoiced_quantity()
    )
    return dict(rows.values_list("pk", "invoiced"))


_QUANTITY = DecimalField(max_digits=14, decimal_places=2)
_CUSTOMER_INVOICE = Q(invoice__move_type=Invoice.INVOICE)
_POSTED_CREDIT = Q(invoice__move_type=Invoice.CREDIT_NOTE, invoice__state=Invoice.POSTED)
# A credit note line without a mode was made before rule 31: a reversal (migration 0012).
_POSTED_REVERSAL = _POSTED_CREDIT & ~Q(credit_mode=InvoiceLine.WRITE_DOWN)
_POSTED_WRITE_DOWN = _POSTED_CREDIT & Q(credit_mode=InvoiceLine.WRITE_DOWN)


def _per_sale_line(*cases: When) -> Coalesce:
    """Σ over an order line's invoice lines (`OuterRef("pk")`) of the first case that
    matches each, as one correlated subquery (0 where none does)."""
    per_line = (
        InvoiceLine.objects.filter(sale_line_id=OuterRef("pk"))
        .order_by()
        .values("sale_line_id")
        .annotate(total=Sum(Case(*cases, default=Value(ZERO), output_field=_QUANTITY)))
        .values("total")
    )
    return Coalesce(Subquery(per_line, output_field=_QUANTITY), Value(ZERO), output_field=_QUANTITY)


def invoiced_quantity() -> Coalesce:
    """DOMAIN.md rule 15 as rule 31 refines it, over an order line (`OuterRef("pk")`):
    what lines of customer invoices that are not cancelled (drafts count) made of it,
    billed or written down (quantity + qty_written_down), minus the same on lines of
    posted reversals. A write-down credit note leaves it as it is: the quantity it
    credits is never billed again."""
    made = F("quantity") + F("qty_written_down")
    return _per_sale_line(
        When(_CUSTOMER_INVOICE & ~Q(invoice__state=Invoice.CANCEL), then=made),
        When(_POSTED_REVERSAL, then=-made),
    )


def written_down_quantity() -> Coalesce:
    """DOMAIN.md rule 31 over an order line (`OuterRef("pk")`): what posted customer
    invoices wrote down (a draft line's quantity lowered), minus what posted reversals
    of those lines undid, plus the quantities of posted write-down credit notes."""
    return _per_sale_line(
        When(_CUSTOMER_INVOICE & Q(invoice__state=Invoice.POSTED), then=F("qty_written_down")),
        When(_POSTED_REVERSAL, then=-F("qty_written_down")),
        When(_POSTED_WRITE_DOWN, then=F("quantity")),
    )
