"""The benchmark's loader: the configured counts, data the services agree with, and
the same data on every load."""

from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Count, Sum

from bench import loader
from bench.loader import SCALES, LoadError, data_totals, find_fixtures, load
from core.models import Sequence
from invoicing.models import Invoice, InvoiceLine
from invoicing.services.common import invoiced_by_sale_line
from sales.models import Product, SaleOrderLine
from timesheets.models import MAX_MINUTES_PER_DAY, TimesheetEntry
from timesheets.services import recompute_all_delivered

SMALL = SCALES["small"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def small():
    return load(scale=SMALL)


def test_small_load_has_the_configured_counts(small):
    assert small.counts == {
        "customers": SMALL.customers,
        "staff": SMALL.staff,
        "teams": SMALL.teams,
        "products": SMALL.teams * 4,
        "orders": SMALL.orders,
        "lines": SMALL.lines,
        "tasks": SMALL.lines,
        "tickets": SMALL.tickets,
        "entries": SMALL.entries,
        "posted_invoices": SMALL.invoices,
        "invoice_lines": InvoiceLine.objects.count(),
    }
    assert small.delivered_differences == 0
    assert small.invoice_integrity_problems == 0


def test_half_of_the_products_are_prepaid_and_some_are_sold_in_days(small):
    policies = Product.objects.values("invoice_policy").annotate(n=Count("pk"))
    assert {row["invoice_policy"]: row["n"] for row in policies} == {
        Product.POLICY_ORDER: SMALL.teams * 2,
        Product.POLICY_DELIVERY: SMALL.teams * 2,
    }
    assert SaleOrderLine.objects.filter(uom__name="Days").exists()


def test_delivered_and_invoiced_agree_with_the_services(small):
    assert recompute_all_delivered(fix=False) == []
    lines = list(SaleOrderLine.objects.select_related("uom"))
    invoiced = invoiced_by_sale_line([line.pk for line in lines])
    for line in lines:
        assert line.qty_invoiced == invoiced.get(line.pk, 0), line.pk


def test_entries_follow_the_domain_rules(small):
    per_day = defaultdict(int)
    for entry in TimesheetEntry.objects.select_related(
        "task", "ticket__team", "invoice_line__invoice", "sale_line"
    ):
        per_day[(entry.employee_id, entry.date)] += entry.minutes
        assert entry.project_id == entry.ticket.team.project_id
        assert entry.task_id == entry.ticket.task_id
        assert entry.sale_line_id == (entry.task.sale_line_id if entry.task else None)
        if entry.invoice_line_id:
            # Only delivered-policy lines link entries, and only up to the invoiced period.
            assert entry.sale_line.invoice_policy == Product.POLICY_DELIVERY
            assert entry.invoice_line.sale_line_id == entry.sale_line_id
            assert entry.date <= entry.invoice_line.invoice.period_end
    assert max(per_day.values()) <= MAX_MINUTES_PER_DAY


def test_invoice_lines_bill_their_entries_summed_and_converted_once(small):
    billed = dict(
        TimesheetEntry.objects.filter(invoice_line__isnull=False)
        .values("invoice_line")
        .annotate(total=Sum("minutes"))
        .values_list("invoice_line", "total")
    )
    assert billed, "the small load bills some entries"
    for line in InvoiceLine.objects.select_related("uom", "sale_line"):
        if line.sale_line.invoice_policy == Product.POLICY_DELIVERY:
            assert line.quantity == line.uom.minutes_to_qty(billed[line.pk])
        else:
            assert line.pk not in billed
            assert line.quantity == line.sale_line.quantity


def test_invoice_numbers_are_gapless_per_year_and_follow_the_dates(small):
    by_year = defaultdict(list)
    for invoice in Invoice.objects.order_by("sequence_number"):
        assert invoice.state == Invoice.POSTED
        assert invoice.number == f"INV/{invoice.sequence_year}/{invoice.sequence_number:05d}"
        by_year[invoice.sequence_year].append(invoice)
    for year, invoices in by_year.items():
        assert [i.sequence_number for i in invoices] == list(range(1, len(invoices) + 1))
        dates = [i.invoice_date for i in invoices]
        assert dates == sorted(dates)
        assert Sequence.objects.get(code="INV", year=year).last_number == len(invoices)
        for previous, invoice in zip(invoices, invoices[1:], strict=False):
            assert invoice.previous_hash == previous.content_hash


def test_two_loads_into_fresh_databases_give_the_same_totals():
    totals = []
    for _ in range(2):
        with transaction.atomic():
            load(scale=SMALL)
            totals.append(data_totals())
            transaction.set_rollback(True)
    assert totals[0] == totals[1]
    assert totals[0]["entries"] == SMALL.entries


def test_the_figures_find_their_fixtures(small):
    fx = find_fixtures()
    hot_line = fx.hot_ticket.task.sale_line_id
    assert TimesheetEntry.objects.filter(sale_line_id=hot_line).count() == SMALL.hot_entries
    cold_line = fx.cold_ticket.task.sale_line_id
    assert TimesheetEntry.objects.filter(sale_line_id=cold_line).count() == loader.COLD_ENTRIES
    assert fx.form_ticket.timesheet_entries.count() == loader.FORM_ENTRIES
    assert fx.showcase_order.lines.count() == loader.SHOWCASE_LINES
    # B2's teams overview shows the data's current week: time is logged on tickets in it.
    assert TimesheetEntry.objects.filter(date__range=fx.week, ticket__isnull=False).exists()
    pdf_line = fx.pdf_ticket.task.sale_line_id
    unbilled = TimesheetEntry.objects.filter(sale_line_id=pdf_line, invoice_line__isnull=True)
    assert unbilled.count() == SMALL.pdf_entries
    assert fx.manager.timesheet_entries.filter(date__range=fx.week).exists()


def test_it_refuses_to_load_over_existing_data_unless_reset(small):
    with pytest.raises(LoadError, match="--reset"):
        load(scale=SMALL)
    report = load(scale=SMALL, reset=True)
    assert report.counts["orders"] == SMALL.orders


def test_a_scale_that_cannot_hold_its_fixtures_is_refused():
    with pytest.raises(ValueError, match="invoices must equal orders"):
        loader.Scale(
            name="odd",
            customers=2,
            staff=2,
            teams=1,
            orders=10,
            lines=40,
            tickets=10,
            entries=1000,
            invoices=9,
            hot_entries=10,
            pdf_entries=10,
        )
