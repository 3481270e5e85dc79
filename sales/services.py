"""Writes on quotations and sale orders. Each function is one transaction."""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError
from core.history import attribute_to
from core.numbers import LOOSE_NUMBER_MESSAGE, is_loose_number
from core.sequences import sequence_next
from sales import events
from sales.models import (
    AMOUNT_MAX,
    LINE_QUANTITY_MAX,
    PRICE_UNIT_MAX,
    REVERSE_CHARGE_REASON,
    TAX_RATE_MAX,
    Customer,
    Product,
    SaleOrder,
    SaleOrderLine,
    VatCategory,
    WorkType,
    amount_too_large_message,
    amount_with_tax,
    vat_fields_check,
)
from sales.selectors import effective_uom
from sales.vat import line_vat

ZERO = Decimal("0")

# The bounds of a line's figures live beside the fields (sales.models).
MAXIMA = {
    "quantity": (LINE_QUANTITY_MAX, f"A line's quantity is at most {LINE_QUANTITY_MAX:,}."),
    "price_unit": (PRICE_UNIT_MAX, f"A unit price is at most {PRICE_UNIT_MAX:,}."),
    "tax_rate": (TAX_RATE_MAX, f"A tax rate is at most {TAX_RATE_MAX}%."),
}


def _decimal(value: Any, field: str, *, minimum: Decimal = Decimal("0")) -> Decimal:
    if isinstance(value, str) and is_loose_number(value.strip()):
        raise ValidationError({field: f"“{value}” is not a number. {LOOSE_NUMBER_MESSAGE}"})
    try:
        result = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: f"“{value}” is not a number."}) from None
    if not result.is_finite():
        raise ValidationError({field: f"“{value}” is not a number."})
    if result < minimum:
        raise ValidationError({field: f"Must be at least {minimum}."})
    maximum, too_large = MAXIMA[field]
    if result > maximum:
        raise ValidationError({field: too_large})
    if result != result.quantize(Decimal("0.01")):
        raise ValidationError({field: "Use at most 2 decimal places."})
    return result


class Unchanged:
    """The default of an optional argument that may also be set to None (a rate line's
    work type or employee: None clears it, leaving it out keeps it)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = Unchanged()

# The fields whose change re-bills a line's uninvoiced entries (rules 29-30).
BILLING_FIELDS = (*SaleOrderLine.ROUNDING_FIELDS, "rate_work_type_id", "rate_employee_id")
WORKING_TIME = "Working time"


def _whole_minutes(value: Any, field: str) -> int:
    """A count of minutes typed by a person or sent by a client: ASCII digits only."""
    if isinstance(value, bool):
        raise ValidationError({field: "Enter a whole number of minutes."})
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise ValidationError({field: f"“{value}” is not a whole number of minutes."})
        return int(text)
    if isinstance(value, int):
        return value
    raise ValidationError({field: "Enter a whole number of minutes."})


def _set_rounding(line: SaleOrderLine, *, increment: Any, mode: str | None, minimum: Any) -> None:
    """Rule 29's fields on a line; None leaves one as it is. The model's validators check
    the bounds (`full_clean`)."""
    if increment not in (None, ""):
        line.rounding_increment = _whole_minutes(increment, "rounding_increment")
    if mode not in (None, ""):
        line.rounding_mode = mode
    if minimum not in (None, ""):
        line.minimum_minutes = _whole_minutes(minimum, "minimum_minutes")


def _set_rate(line: SaleOrderLine, *, work_type: Any, employee: Any) -> None:
    """Rule 30's fields on a line (UNCHANGED keeps one, None clears it), checked: a rate
    line bills time, so its unit is a Working time one; its work type is active, its
    employee an active user. An archived work type or a departed employee a line already
    has may stay."""
    if work_type is not UNCHANGED:
        if work_type is not None:
            if not isinstance(work_type, WorkType):
                raise ValidationError({"rate_work_type": "Choose a work type."})
            if not work_type.active and work_type.pk != line.rate_work_type_id:
                raise ValidationError({"rate_work_type": f"{work_type} is archived."})
        line.rate_work_type = work_type
    if employee is not UNCHANGED:
        if employee is not None:
            if not isinstance(employee, get_user_model()):
                raise ValidationError({"rate_employee": "Choose an employee."})
            if not employee.is_active and employee.pk != line.rate_employee_id:
                raise ValidationError({"rate_employee": f"{employee} is not an active user."})
        line.rate_employee = employee
    if line.is_rate_line and line.uom.category.name != WORKING_TIME:
        field = "rate_work_type" if line.rate_work_type_id else "rate_employee"
        message = f"A rate line bills time: its unit must be of Working time, not {line.uom}."
        raise ValidationError({field: message})


def _billing_values(line: SaleOrderLine) -> tuple:
    return tuple(getattr(line, field) for field in BILLING_FIELDS)


def _billing_changed(line_ids: list[int]) -> None:
    """Tell timesheets (rules 29-30) inside the writing transaction, the lines locked."""
    events.line_billing_changed.send(sender=SaleOrderLine, line_ids=line_ids)


def _lock_order(order: SaleOrder) -> SaleOrder:
    """Lock the order row and read it again (step 1 of the lock order written down in
    invoicing.services.drafts: order, then its lines by pk, then entries)."""
    return SaleOrder.objects.select_for_update().get(pk=order.pk)


def _check_order_total(line: SaleOrderLine) -> None:
    """The order's total with tax, this line included, must fit an amount column: an
    invoice of the whole order carries it (the caller holds the order's lock)."""
    others = SaleOrderLine.objects.filter(order_id=line.order_id).exclude(pk=line.pk)
    total = amount_with_tax(line.quantity, line.price_unit, line.tax_rate)
    for quantity, price_unit, tax_rate in others.values_list("quantity", "price_unit", "tax_rate"):
        total += amount_with_tax(quantity, price_unit, tax_rate)
    if total > AMOUNT_MAX:
        raise ValidationError(amount_too_large_message(total, what=f"The total of {line.order}"))


def _vat_choice(*, current: str, vat_category: str | None, rate_given: bool, line) -> str:
    """The category a line edit asks for. A category given wins, and a category other
    than Standard given without a rate means 0%; a rate above 0 given alone means
    Standard (a Zero-rated line set to 21% is a Standard one)."""
    if vat_category:
        if vat_category != VatCategory.STANDARD and not rate_given:
            line.tax_rate = ZERO
        return vat_category
    if rate_given and line.tax_rate > 0:
        return VatCategory.STANDARD
    return current


def _set_vat(line: SaleOrderLine, *, category: str, reason: str) -> None:
    """A line's VAT category, rate and reason by rule 43 (`sales.vat.line_vat`)."""
    if category not in VatCategory.values:
        choices = ", ".join(VatCategory.values)
        raise ValidationError({"vat_category": f"{category} is not a VAT category ({choices})."})
    errors = vat_fields_check(category=category, rate=line.tax_rate, reason=reason or "")
    if errors:
        raise ValidationError(errors)
    vat = line_vat(
        product=line.product,
        customer=line.order.customer,
        category=category,
        rate=line.tax_rate,
        reason=(reason or "").strip(),
    )
    line.vat_category, line.tax_rate, line.vat_exemption_reason = vat.category, vat.rate, vat.reason


@transaction.atomic
def order_create(
    *,
    customer: Customer,
    lines: Iterable[dict] = (),
    date_order: datetime.date | None = None,
    note: str = "",
    customer_reference: str = "",
    actor=None,
) -> SaleOrder:
    """A new quotation, numbered SO00001… from a gapless sequence."""
    if customer is None:
        raise ValidationError({"customer": "Choose a customer."})
    number = sequence_next(code="SO")
    order = SaleOrder(
        name=f"SO{number:05d}",
        customer=customer,
        date_order=date_order or timezone.localdate(),
        note=note or "",
        customer_reference=(customer_reference or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    order.full_clean()
    order.save()
    for data in lines:
        order_line_add(order=order, **data)
    return order


def _lines_vat_for_customer(order: SaleOrder) -> None:
    """A quotation given another customer: rule 43 again on each line. A line reverse
    charged for the previous customer goes back to its product's VAT first."""
    for line in order.lines.select_for_update(of=("self",)).select_related("product"):
        line.order = order
        category, reason = line.vat_category, line.vat_exemption_reason
        if category == VatCategory.REVERSE_CHARGE and reason == REVERSE_CHARGE_REASON:
            product = line.product
            category, reason = product.vat_category, product.vat_exemption_reason
            line.tax_rate = product.tax_rate
        _set_vat(line, category=category, reason=reason)
        line.save(update_fields=["vat_category", "tax_rate", "vat_exemption_reason"])


@transaction.atomic
def order_update(
    *,
    order: SaleOrder,
    customer: Customer | None = None,
    date_order: datetime.date | None = None,
    note: str | None = None,
    customer_reference: str | None = None,
) -> SaleOrder:
    order = _lock_order(order)
    if customer is not None and customer.pk != order.customer_id:
        if order.state != SaleOrder.DRAFT:
            raise ConflictError("The customer of a confirmed order cannot change.")
        order.customer = customer
        _lines_vat_for_customer(order)
    if date_order is not None:
        order.date_order = date_order
    if note is not None:
        order.note = note
    if customer_reference is not None:
        # The buyer's PO may arrive after confirmation; invoices posted keep theirs.
        order.customer_reference = customer_reference.strip()
    order.full_clean()
    order.save()
    return order


@transaction.atomic
def order_line_add(
    *,
    order: SaleOrder,
    product: Product,
    quantity: Any,
    description: str | None = None,
    price_unit: Any = None,
    tax_rate: Any = None,
    vat_category: str | None = None,
    vat_exemption_reason: str | None = None,
    rounding_increment: int | None = None,
    rounding_mode: str | None = None,
    minimum_minutes: int | None = None,
    rate_work_type: WorkType | None = None,
    rate_employee=None,
) -> SaleOrderLine:
    """Add a line; on a confirmed order its task is created at once (DOMAIN.md rule 7).

    VAT category, rate and reason default to the product's, then rule 43 applies
    (`sales.vat.line_vat`: a service to an EU business abroad is reverse charged).
    The rounding rule is the product's, copied now (rule 29), unless given. A line may
    be the rate line of a work type and/or an employee (rule 30); on a quotation it
    applies once the order is confirmed.
    """
    order = _lock_order(order)
    if order.state == SaleOrder.CANCEL:
        raise ConflictError(f"{order.name} is cancelled; no line can be added.")
    if product is None:
        raise ValidationError({"product": "Choose a product."})
    if not product.active:
        raise ValidationError({"product": f"{product} is archived."})
    last = order.lines.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    line = SaleOrderLine(
        order=order,
        sequence=last + 10,
        product=product,
        description=(description or "").strip() or product.name,
        quantity=_decimal(quantity, "quantity"),
        uom=effective_uom(product),
        price_unit=_decimal(
            product.list_price if price_unit in (None, "") else price_unit, "price_unit"
        ),
        tax_rate=_decimal(product.tax_rate if tax_rate in (None, "") else tax_rate, "tax_rate"),
        invoice_policy=product.invoice_policy,
        rounding_increment=product.rounding_increment,
        rounding_mode=product.rounding_mode,
        minimum_minutes=product.minimum_minutes,
    )
    _set_rounding(line, increment=rounding_increment, mode=rounding_mode, minimum=minimum_minutes)
    _set_rate(line, work_type=rate_work_type, employee=rate_employee)
    category = _vat_choice(
        current=product.vat_category,
        vat_category=vat_category,
        rate_given=tax_rate not in (None, ""),
        line=line,
    )
    _set_vat(
        line,
        category=category,
        reason=product.vat_exemption_reason
        if vat_exemption_reason is None
        else vat_exemption_reason,
    )
    line.full_clean()
    _check_order_total(line)
    line.save()
    events.sale_line_saved.send(sender=SaleOrderLine, line=line, created=True)
    if line.is_rate_line:
        _billing_changed([line.pk])
    return line


@transaction.atomic
def order_line_update(
    *,
    line: SaleOrderLine,
    quantity: Any = None,
    description: str | None = None,
    price_unit: Any = None,
    tax_rate: Any = None,
    vat_category: str | None = None,
    vat_exemption_reason: str | None = None,
    rounding_increment: int | None = None,
    rounding_mode: str | None = None,
    minimum_minutes: int | None = None,
    rate_work_type: WorkType | None = UNCHANGED,
    rate_employee=UNCHANGED,
) -> SaleOrderLine:
    """Edit a line; a new ordered quantity updates the task's allocated hours.

    None (or, for the rate fields, leaving them out) keeps a field; `rate_work_type` or
    `rate_employee` None clears it. A new rounding rule or rate re-bills the uninvoiced
    entries of the order (`events.line_billing_changed`); invoiced ones keep theirs.
    """
    order = _lock_order(line.order)
    # `of`: lock the line only; a plain FOR UPDATE would also lock its shared unit row.
    line = (
        SaleOrderLine.objects.select_for_update(of=("self",))
        .select_related("uom__category")
        .get(pk=line.pk)
    )
    line.order = order
    if order.state == SaleOrder.CANCEL:
        raise ConflictError(f"{order.name} is cancelled; its lines cannot change.")
    billing_before = _billing_values(line)
    _set_rounding(line, increment=rounding_increment, mode=rounding_mode, minimum=minimum_minutes)
    _set_rate(line, work_type=rate_work_type, employee=rate_employee)
    if quantity not in (None, ""):
        line.quantity = _decimal(quantity, "quantity")
    if description is not None:
        if not description.strip():
            raise ValidationError({"description": "A line needs a description."})
        line.description = description.strip()
    if price_unit not in (None, ""):
        line.price_unit = _decimal(price_unit, "price_unit")
    if tax_rate not in (None, ""):
        line.tax_rate = _decimal(tax_rate, "tax_rate")
    if vat_category or vat_exemption_reason is not None or tax_rate not in (None, ""):
        category = _vat_choice(
            current=line.vat_category,
            vat_category=vat_category,
            rate_given=tax_rate not in (None, ""),
            line=line,
        )
        _set_vat(
            line,
            category=category,
            reason=line.vat_exemption_reason
            if vat_exemption_reason is None
            else vat_exemption_reason,
        )
    line.full_clean()
    _check_order_total(line)
    line.save()
    events.sale_line_saved.send(sender=SaleOrderLine, line=line, created=False)
    if _billing_values(line) != billing_before:
        _billing_changed([line.pk])
    return line


@transaction.atomic
def order_line_delete(*, line: SaleOrderLine) -> None:
    """Only a quotation's lines are deleted; a confirmed line keeps its history."""
    order = _lock_order(line.order)
    if order.state != SaleOrder.DRAFT:
        raise ConflictError(
            f"{order.name} is confirmed: set the line's quantity to 0 instead of deleting it."
        )
    SaleOrderLine.objects.filter(pk=line.pk).delete()


@transaction.atomic
def order_confirm(*, order: SaleOrder, actor=None) -> SaleOrder:
    """Quotation -> sale order. The row lock makes a second, concurrent Confirm fail cleanly."""
    order = _lock_order(order)
    if order.state != SaleOrder.DRAFT:
        raise ConflictError(f"{order.name} is already {order.get_state_display().lower()}.")
    if not order.lines.exists():
        raise ValidationError("Add at least one line before confirming.")
    order.state = SaleOrder.SALE
    order.confirmed_at = timezone.now()
    attribute_to(order, actor)
    order.save(update_fields=["state", "confirmed_at"])
    events.order_confirmed.send(sender=SaleOrder, order=order)
    return order


@transaction.atomic
def order_cancel(*, order: SaleOrder, actor=None) -> SaleOrder:
    """Cancel: tasks stay (rule 8), lines have nothing to invoice. Invoiced orders are refused."""
    order = _lock_order(order)
    if order.state == SaleOrder.CANCEL:
        raise ConflictError(f"{order.name} is already cancelled.")
    if order.lines.exclude(qty_invoiced=0).exists():
        raise ConflictError(
            f"{order.name} has invoices: cancel the drafts or credit the posted invoices first."
        )
    order.state = SaleOrder.CANCEL
    attribute_to(order, actor)
    order.save(update_fields=["state"])
    return order
