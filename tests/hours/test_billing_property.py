"""The issue's property (DOMAIN.md rules 28-31): for any sequence of entries, rounding
rules, adjustments, reversals and write-downs, once everything is billed, what was
charged (invoices - credit notes) + written down = invoiced = delivered to the 0.01,
and no entry is billed twice."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoicing import services as invoicing
from invoicing.models import Invoice, InvoiceLine
from sales.models import SaleOrderLine, WorkType
from tests.builders import build_order, build_product, build_team, build_ticket
from tests.factories import CustomerFactory, ManagerFactory, StaffUserFactory
from timesheets import services as timesheets
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db

DAY0 = datetime.date(2026, 3, 2)

rounding = st.tuples(
    st.sampled_from([1, 6, 15, 30]),
    st.sampled_from(["up", "nearest"]),
    st.sampled_from([0, 15, 30]),
)
entry = st.tuples(
    st.integers(1, 480),  # worked minutes
    st.integers(0, 2),  # work type: billable, no charge, non-billable
    st.none() | st.integers(0, 300),  # a manager's billed minutes
    st.integers(0, 6),  # day
)
credit = st.tuples(
    st.sampled_from(["reversal", "write_down"]), st.sampled_from(["0.1", "0.5", "1"])
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    rule=rounding,
    entries=st.lists(entry, min_size=1, max_size=8),
    credits=st.lists(credit, max_size=3),
    lower=st.none() | st.sampled_from(["0.5", "0.9"]),
)
def test_charged_plus_written_down_equals_delivered_once_everything_is_billed(
    rule, entries, credits, lower
):
    with transaction.atomic():
        _check(rule, entries, credits, lower)
        transaction.set_rollback(True)


def _check(rule, entries, credits, lower):
    increment, mode, minimum = rule
    employee, manager = StaffUserFactory(), ManagerFactory()
    team = build_team(members=[employee])
    product = build_product(
        project=team.project,
        rounding_increment=increment,
        rounding_mode=mode,
        minimum_minutes=minimum,
    )
    order = build_order(customer=CustomerFactory(), product=product, quantity="10")
    line = order.lines.get()
    ticket = build_ticket(task=line.tasks.get(), team=team, customer=order.customer)
    work_types = [
        WorkType.default(),
        WorkType.objects.get_or_create(name="Goodwill", billing=WorkType.NO_CHARGE)[0],
        WorkType.objects.get_or_create(name="Internal", billing=WorkType.NON_BILLABLE)[0],
    ]
    for worked, kind, override, day in entries:
        logged = timesheets.timesheet_log(
            employee=employee,
            date=DAY0 + datetime.timedelta(days=day),
            minutes=worked,
            ticket=ticket,
            work_type=work_types[kind],
        )
        if override is not None:
            timesheets.timesheet_adjust_billed(
                entry=logged, minutes=override, reason="agreed", actor=manager
            )

    # Bill in two periods, lowering the first draft if asked, then correct the first.
    first = _invoice(order, up_to=DAY0 + datetime.timedelta(days=2))
    if first is not None and lower is not None:
        draft_line = first.lines.get()
        quantity = (draft_line.quantity * Decimal(lower)).quantize(Decimal("0.01"))
        if quantity > 0:
            invoicing.invoice_line_update(line=draft_line, quantity=quantity)
    if first is not None:
        invoicing.invoice_validate(invoice=first)
        for mode_, share in credits:
            posted_line = first.lines.get()
            if mode_ == "reversal":
                if (
                    not InvoiceLine.objects.filter(
                        reversed_line=posted_line, invoice__state="posted"
                    )
                    .exclude(credit_mode="write_down")
                    .exists()
                ):
                    invoicing.invoice_credit(invoice=first, lines=[posted_line.pk])
            else:
                quantity = (posted_line.quantity * Decimal(share)).quantize(Decimal("0.01"))
                try:
                    invoicing.invoice_credit(
                        invoice=first,
                        lines=[
                            {"line": posted_line.pk, "mode": "write_down", "quantity": quantity}
                        ],
                    )
                except Exception as error:  # noqa: BLE001 - beyond the line, or reversed
                    assert any(
                        word in str(error).lower() for word in ("written", "write", "credited")
                    )
    last = _invoice(order, up_to=None)
    if last is not None:
        invoicing.invoice_validate(invoice=last)

    line = SaleOrderLine.objects.select_related("uom").get(pk=line.pk)
    charged = Decimal("0")
    for move_type, qty in InvoiceLine.objects.filter(
        sale_line=line, invoice__state=Invoice.POSTED
    ).values_list("invoice__move_type", "quantity"):
        charged += qty if move_type == Invoice.INVOICE else -qty
    assert line.qty_invoiced == line.qty_delivered
    assert charged + line.qty_written_down == line.qty_delivered
    # No entry billed twice: each sits on at most one live line, none of them reversed.
    billable = TimesheetEntry.objects.filter(
        sale_line=line, non_billable=False, work_type__billing__in=["billable", "no_charge"]
    )
    # Every entry that bills something is billed (one billing 0:00 waits for a line that
    # bills more: an invoice line of quantity 0 is never made).
    assert not billable.filter(invoice_line__isnull=True).exclude(billed_minutes=0).exists()
    doubles = TimesheetEntry.objects.values("pk").annotate(n=Count("invoice_line")).filter(n__gt=1)
    assert not doubles.exists()
    assert not TimesheetEntry.objects.filter(
        invoice_line__credit_lines__invoice__state="posted",
        invoice_line__credit_lines__credit_mode__in=["", "reversal"],
    ).exists()


def _invoice(order, *, up_to):
    try:
        return invoicing.invoice_create_from_order(order=order, up_to=up_to)
    except Exception as error:  # noqa: BLE001 - nothing (billable) in that period
        assert "Nothing to invoice" in str(error), error
        return None
