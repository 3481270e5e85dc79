"""The benchmark's loader: the configured counts, data the services agree with, and
the same data on every load."""

from collections import defaultdict

import pytest
from django.db import models, transaction
from django.db.models import Count, Sum

from bench import loader
from bench.loader import SCALES, LoadError, data_totals, find_fixtures, load
from core.models import Sequence
from invoicing.models import Invoice, InvoiceLine
from invoicing.services.common import invoiced_by_sale_line
from projects.models import Task
from sales.models import Product, RoundingMode, SaleOrderLine, WorkType, rounded_minutes
from timesheets.models import MAX_MINUTES_PER_DAY, TimesheetEntry
from timesheets.services import expected_billed_minutes, recompute_all_delivered

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


def test_half_of_the_lines_round_up_to_15_minutes_with_a_minimum_of_30(small):
    rules = {
        (p.invoice_policy, p.rounding_increment, p.rounding_mode, p.minimum_minutes)
        for p in Product.objects.all()
    }
    assert rules == {
        (Product.POLICY_ORDER, 1, RoundingMode.UP, 0),
        (Product.POLICY_DELIVERY, 15, RoundingMode.UP, 30),
    }
    lines = list(SaleOrderLine.objects.select_related("product"))
    rounded = [line for line in lines if line.rounding_increment > 1]
    assert len(rounded) == len(lines) // 2
    assert {line.invoice_policy for line in rounded} == {Product.POLICY_DELIVERY}
    nearest = [line for line in rounded if line.rounding_mode == RoundingMode.NEAREST]
    assert 0 < len(nearest) < len(rounded) // 4
    for line in lines:
        if line not in nearest:  # the rest keep the rule their product gave them
            assert line.rounding_display == line.product.rounding_display, line.pk
    assert {line.minimum_minutes for line in rounded} == {30}
    hot = find_fixtures().hot_ticket.task.sale_line
    assert (hot.rounding_increment, hot.rounding_mode) == (15, RoundingMode.UP)


def test_every_entry_has_a_work_type_and_the_billed_minutes_of_its_line(small):
    support = WorkType.default()
    no_charge = WorkType.objects.get(name=loader.NO_CHARGE_WORK_TYPE)
    assert no_charge.billing == WorkType.NO_CHARGE
    counts = defaultdict(int)
    for entry in TimesheetEntry.objects.select_related("sale_line", "work_type"):
        counts[entry.work_type_id] += 1
        assert entry.non_billable is False
        assert entry.approval_state is None
        assert entry.billed_minutes_override is None
        if entry.sale_line is None or entry.work_type_id == no_charge.pk:
            assert entry.billed_minutes == 0, entry.pk
        else:
            line = entry.sale_line
            assert entry.billed_minutes == rounded_minutes(
                entry.minutes,
                increment=line.rounding_increment,
                mode=line.rounding_mode,
                minimum=line.minimum_minutes,
            ), entry.pk
    assert set(counts) == {support.pk, no_charge.pk}
    assert 0 < counts[no_charge.pk] < SMALL.entries * 0.05
    # The services' own set-based check (invoiced entries included) agrees with each one.
    assert not TimesheetEntry.objects.annotate(expected=expected_billed_minutes()).exclude(
        billed_minutes=models.F("expected")
    )
    rounded = TimesheetEntry.objects.filter(sale_line__rounding_increment=15)
    assert rounded.exclude(billed_minutes=models.F("minutes")).exists()


def test_delivered_sums_billed_minutes_and_tasks_log_worked_minutes(small):
    billed = dict(
        TimesheetEntry.objects.filter(sale_line__isnull=False)
        .values("sale_line")
        .annotate(total=Sum("billed_minutes"))
        .values_list("sale_line", "total")
    )
    worked = dict(
        TimesheetEntry.objects.filter(task__isnull=False)
        .values("task")
        .annotate(total=Sum("minutes"))
        .values_list("task", "total")
    )
    for line in SaleOrderLine.objects.select_related("uom"):
        assert line.delivered_minutes == billed.get(line.pk, 0), line.pk
        assert line.qty_delivered == line.uom.minutes_to_qty(line.delivered_minutes)
    for task in Task.objects.all():
        assert task.logged_minutes == worked.get(task.pk, 0), task.pk
    assert sum(billed.values()) > sum(worked.values())  # a minimum of 30 on most entries


def test_invoice_lines_bill_their_entries_summed_and_converted_once(small):
    billed = dict(
        TimesheetEntry.objects.filter(invoice_line__isnull=False)
        .values("invoice_line")
        .annotate(total=Sum("billed_minutes"))
        .values_list("invoice_line", "total")
    )
    assert billed, "the small load bills some entries"
    for line in InvoiceLine.objects.select_related("uom", "sale_line"):
        if line.sale_line.invoice_policy == Product.POLICY_DELIVERY:
            assert line.quantity == line.uom.minutes_to_qty(billed[line.pk])
        else:
            assert line.pk not in billed
            assert line.quantity == line.sale_line.quantity
    # The frozen appendix shows each entry's worked and billed minutes.
    invoice = InvoiceLine.objects.get(pk=next(iter(billed))).invoice
    entries = {e.pk: e for e in TimesheetEntry.objects.filter(invoice_line__invoice=invoice)}
    assert sorted(row["entry"] for row in invoice.appendix) == sorted(entries)
    for row in invoice.appendix:
        entry = entries[row["entry"]]
        assert (row["minutes"], row["billed_minutes"]) == (entry.minutes, entry.billed_minutes)
        assert row["no_charge"] == (entry.work_type.billing == WorkType.NO_CHARGE)


def test_entries_that_bill_nothing_in_all_stay_unbilled(monkeypatch):
    """Every entry No charge: no delivered line has anything to bill, so none gets an
    invoice line and their entries wait, as the billing run leaves them."""
    monkeypatch.setattr(loader, "NO_CHARGE_SHARE", 1.0)
    report = load(scale=SMALL)
    assert report.delivered_differences == 0
    assert report.invoice_integrity_problems == 0
    assert not TimesheetEntry.objects.exclude(billed_minutes=0).exists()
    assert not TimesheetEntry.objects.filter(invoice_line__isnull=False).exists()
    assert not InvoiceLine.objects.filter(sale_line__invoice_policy=Product.POLICY_DELIVERY)
    assert all(invoice.appendix == [] for invoice in Invoice.objects.all())


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
    assert totals[0]["lines_with_rounding"] == SMALL.lines // 2
    assert totals[0]["billed_minutes"] > totals[0]["worked_minutes"]
    assert totals[0]["invoiced_billed_minutes"] < totals[0]["billed_minutes"]
    assert totals[0]["delivered_minutes"] == totals[0]["billed_minutes"]
    assert totals[0]["no_charge_entries"] > 0


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
