"""The month-end billing run: invoice every confirmed order up to a date."""

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from core.numbers import round_half_up
from invoicing.models import Invoice
from invoicing.services.common import ZERO, parse_date
from invoicing.services.drafts import invoice_create_from_order, plan_lines
from sales.models import SaleOrder, SaleOrderLine

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BillingRunRow:
    """One order the run would invoice."""

    order_id: int
    order_name: str
    customer_id: int
    customer_name: str
    lines: int
    hours: Decimal
    amount_untaxed: Decimal
    amount_total: Decimal


def billing_run_preview(*, up_to: date) -> list[BillingRunRow]:
    """What `billing_run(up_to=...)` would invoice, written nowhere (four queries)."""
    if not up_to:
        raise ValidationError({"up_to": "Give the date to invoice up to."})
    up_to = parse_date(up_to, field="up_to")
    lines = list(
        SaleOrderLine.objects.filter(order__state=SaleOrder.SALE)
        .select_related("order__customer", "uom__category")
        .order_by("order_id", "pk")
    )
    by_order: OrderedDict[int, list] = OrderedDict()
    for plan in plan_lines(lines, start=None, end=up_to, lock=False):
        by_order.setdefault(plan.sale_line.order_id, []).append(plan)
    rows = []
    for plans in by_order.values():
        order = plans[0].sale_line.order
        untaxed = sum((plan.amounts[0] for plan in plans), ZERO)
        total = sum((plan.amounts[2] for plan in plans), ZERO)
        hours = round_half_up(sum((plan.hours for plan in plans), ZERO))
        rows.append(
            BillingRunRow(
                order_id=order.pk,
                order_name=order.name,
                customer_id=order.customer_id,
                customer_name=order.customer.name,
                lines=len(plans),
                hours=hours,
                amount_untaxed=untaxed,
                amount_total=total,
            )
        )
    return rows


def billing_run(*, up_to: date, actor=None) -> list[Invoice]:
    """A draft per confirmed order with something to invoice up to `up_to`.

    Each order is invoiced in its own transaction (call this outside a request
    transaction), so one failing order does not undo the others; running it again
    creates nothing new, since the drafts count as invoiced.
    """
    invoices = []
    for row in billing_run_preview(up_to=up_to):
        order = SaleOrder.objects.get(pk=row.order_id)
        try:
            invoices.append(invoice_create_from_order(order=order, up_to=up_to, actor=actor))
        except ValidationError as error:
            # Invoiced or cancelled by someone else since the preview.
            logger.info("Billing run skipped %s: %s", order, "; ".join(error.messages))
    return invoices
