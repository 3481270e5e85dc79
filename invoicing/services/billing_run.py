"""The month-end billing run: invoice every confirmed order up to a date."""

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q

from core.numbers import round_half_up
from invoicing.models import Invoice
from invoicing.services.common import ZERO, parse_date
from invoicing.services.drafts import invoices_create_from_orders, plan_lines
from sales.models import Product, SaleOrder, SaleOrderLine
from timesheets.models import TimesheetEntry

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


# Orders per transaction: large enough that the per-batch queries are few (a fixed
# number per batch), small enough that order lines stay locked for a short moment.
BATCH_ORDERS = 500


def billing_run_candidates(*, up_to: date) -> list[int]:
    """Confirmed orders that may have something to invoice up to `up_to` (a superset,
    read without locks; each batch plans again under its locks): a prepaid line not
    fully invoiced, or a delivered line with an unbilled entry up to the date or less
    invoiced than delivered (a draft's quantity lowered by hand)."""
    unbilled = TimesheetEntry.objects.filter(
        sale_line_id=OuterRef("pk"), invoice_line__isnull=True, date__lte=up_to
    )
    prepaid = Q(invoice_policy=Product.POLICY_ORDER, quantity__gt=F("qty_invoiced"))
    delivered = ~Q(invoice_policy=Product.POLICY_ORDER) & (
        Q(qty_delivered__gt=F("qty_invoiced")) | Exists(unbilled)
    )
    return list(
        SaleOrderLine.objects.filter(order__state=SaleOrder.SALE)
        .filter(prepaid | delivered)
        .order_by("order_id")
        .values_list("order_id", flat=True)
        .distinct()
    )


def billing_run(*, up_to: date, actor=None, batch_orders: int | None = None) -> list[Invoice]:
    """A draft per confirmed order with something to invoice up to `up_to`.

    Set-based: the orders are invoiced in batches, each batch in its own transaction
    (call this outside a request transaction) with a fixed number of queries, so a
    failing batch undoes only its own orders, each of them whole; running it again
    creates nothing new, since the drafts count as invoiced.
    """
    if not up_to:
        raise ValidationError({"up_to": "Give the date to invoice up to."})
    up_to = parse_date(up_to, field="up_to")
    order_ids = billing_run_candidates(up_to=up_to)
    batch_orders = batch_orders or BATCH_ORDERS
    invoices = []
    for offset in range(0, len(order_ids), batch_orders):
        batch = order_ids[offset : offset + batch_orders]
        invoices += invoices_create_from_orders(order_ids=batch, start=None, end=up_to, actor=actor)
    logger.info(
        "Billing run up to %s: %d draft(s) for %d order(s)", up_to, len(invoices), len(order_ids)
    )
    return invoices
