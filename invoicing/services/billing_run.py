"""The month-end billing run: invoice every confirmed order up to a date."""

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DataError
from django.db.models import Exists, F, OuterRef, Q

from core.numbers import round_half_up
from invoicing.models import Invoice
from invoicing.services.common import ZERO, parse_date
from invoicing.services.drafts import billable_entries, invoices_create_from_orders, plan_lines
from sales.models import Product, SaleOrder, SaleOrderLine

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
    fully invoiced, or a delivered line with an unbilled billable entry up to the date or
    less invoiced than delivered."""
    unbilled = billable_entries().filter(
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


@dataclass(frozen=True)
class BillingRunFailure:
    """An order the run could not invoice, and why (the service's message)."""

    order_id: int
    order_name: str
    reason: str


class BillingRunResult(list):
    """The drafts a run created (a list of invoices, as it always was) and `failed`:
    the orders it skipped because they cannot be invoiced, each with the reason."""

    def __init__(self, invoices=(), failed=()):
        super().__init__(invoices)
        self.failed: list[BillingRunFailure] = list(failed)


# What makes one order fail rather than the run: its data cannot be invoiced (a
# service refusal, or a figure the database cannot store). Anything else (a lost
# connection, a deadlock) still stops the run: retrying it order by order would not help.
ORDER_FAILURES = (ValidationError, DataError)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return "A figure of this order is too large to be stored."


def invoices_create_or_report(
    *, order_ids, start: date | None, end: date | None, actor=None
) -> tuple[list[Invoice], dict[int, str]]:
    """`invoices_create_from_orders` for a batch; when the batch fails on an order's
    data, it is tried again order by order, each in its own transaction, so the good
    orders are invoiced and each failing one is reported: (invoices, {order id: reason})."""
    order_ids = list(order_ids)
    try:
        return invoices_create_from_orders(
            order_ids=order_ids, start=start, end=end, actor=actor
        ), {}
    except ORDER_FAILURES as error:
        if len(order_ids) == 1:
            return [], {order_ids[0]: _reason(error)}
    invoices, failed = [], {}
    for order_id in order_ids:
        try:
            invoices += invoices_create_from_orders(
                order_ids=[order_id], start=start, end=end, actor=actor
            )
        except ORDER_FAILURES as error:
            failed[order_id] = _reason(error)
    return invoices, failed


def billing_run(*, up_to: date, actor=None, batch_orders: int | None = None) -> BillingRunResult:
    """A draft per confirmed order with something to invoice up to `up_to`.

    Set-based: the orders are invoiced in batches, each batch in its own transaction
    (call this outside a request transaction) with a fixed number of queries, so a
    failing batch undoes only its own orders, each of them whole; running it again
    creates nothing new, since the drafts count as invoiced. A batch that fails on an
    order's data (`ORDER_FAILURES`) is tried again order by order: the others are
    invoiced and the failing orders are listed in `result.failed` with the reason.
    """
    if not up_to:
        raise ValidationError({"up_to": "Give the date to invoice up to."})
    up_to = parse_date(up_to, field="up_to")
    order_ids = billing_run_candidates(up_to=up_to)
    batch_orders = batch_orders or BATCH_ORDERS
    invoices, failed = [], {}
    for offset in range(0, len(order_ids), batch_orders):
        batch = order_ids[offset : offset + batch_orders]
        created, batch_failed = invoices_create_or_report(
            order_ids=batch, start=None, end=up_to, actor=actor
        )
        invoices += created
        failed.update(batch_failed)
    names = dict(SaleOrder.objects.filter(pk__in=failed).values_list("pk", "name"))
    failures = [
        BillingRunFailure(order_id=pk, order_name=names.get(pk, f"#{pk}"), reason=reason)
        for pk, reason in sorted(failed.items())
    ]
    for failure in failures:
        logger.warning("Billing run: %s not invoiced: %s", failure.order_name, failure.reason)
    logger.info(
        "Billing run up to %s: %d draft(s) for %d order(s), %d failed",
        up_to,
        len(invoices),
        len(order_ids),
        len(failures),
    )
    return BillingRunResult(invoices, failures)
