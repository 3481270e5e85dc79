"""DOMAIN.md rules 27, 28 and 33 on the invoice: lines bill billed minutes; no-charge and
written-off entries are linked (the appendix shows them), non-billable entries and time
still to approve never are. The appendix shows worked and billed time per entry."""

from decimal import Decimal as D

import pytest

from helpdesk.models import HelpdeskTeam
from invoicing.documents import invoice_document
from invoicing.pdf import InvoicePdfRenderer
from invoicing.services import (
    billing_run_preview,
    invoice_create_from_order,
    invoice_credit,
    invoice_pdf_bytes,
    invoice_validate,
)
from sales.models import SaleOrderLine, WorkType
from tests.builders import build_ticket_world, build_work_type, day, log_time, refreshed
from tests.factories import ManagerFactory, StaffUserFactory
from tests.invoicing.test_pdf import pdf_text
from timesheets import services as timesheets

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A ticket on a 10-hour line at 100 (Delivered) and a team member to log on it."""
    employee = StaffUserFactory(first_name="Ann", last_name="Smith")
    built = build_ticket_world()
    built.team.members.add(employee)
    built.employee = employee
    return built


def log(world, minutes, **kwargs):
    return log_time(employee=world.employee, minutes=minutes, ticket=world.ticket, **kwargs)


def billed_ids(invoice) -> set[int]:
    return set(invoice.lines.values_list("timesheets", flat=True)) - {None}


def test_a_line_bills_billed_minutes_and_the_appendix_shows_both(world):
    SaleOrderLine.objects.filter(pk=world.line.pk).update(
        rounding_increment=15, rounding_mode="up", minimum_minutes=30
    )
    short = log(world, 7)  # billed 30
    long = log(world, 50)  # billed 60

    [row] = billing_run_preview(up_to=day(31))
    assert row.hours == D("1.50")
    invoice = invoice_create_from_order(order=world.order)

    line = invoice.lines.get()
    assert line.quantity == D("1.50") and line.amount_untaxed == D("150.00")
    assert billed_ids(invoice) == {short.pk, long.pk}
    posted = invoice_validate(invoice=invoice)
    rows = {row["entry"]: row for row in posted.appendix}
    assert (rows[short.pk]["minutes"], rows[short.pk]["billed_minutes"]) == (7, 30)
    assert (rows[short.pk]["hours"], rows[short.pk]["billed"]) == ("0:07", "0:30")
    assert rows[long.pk]["no_charge"] is False
    document = invoice_document(invoice=posted)
    assert (document.appendix_hours, document.appendix_billed) == ("0:57", "1:30")
    assert document.appendix[0].billed == "1:30"


def test_no_charge_and_written_off_entries_are_linked_and_shown(world):
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)
    paid = log(world, 60, description="Diagnosis")
    free = log(world, 30, work_type=goodwill, description="Courtesy call")
    written_off = log(world, 45, description="Our own mistake")
    timesheets.timesheet_adjust_billed(
        entry=written_off, minutes=0, reason="Our mistake", actor=ManagerFactory()
    )

    invoice = invoice_create_from_order(order=world.order)

    assert invoice.lines.get().quantity == D("1.00")
    assert billed_ids(invoice) == {paid.pk, free.pk, written_off.pk}
    posted = invoice_validate(invoice=invoice)
    rows = {row["entry"]: row for row in posted.appendix}
    assert (rows[free.pk]["billed_minutes"], rows[free.pk]["no_charge"]) == (0, True)
    assert (rows[written_off.pk]["billed"], rows[written_off.pk]["no_charge"]) == ("0:00", False)

    text = pdf_text(invoice_pdf_bytes(invoice=posted))
    assert "Total 2:15 hours worked, 1:00 billed" in text
    assert "Courtesy call" in text and "No charge" in text
    assert "Our own mistake" in text


def test_non_billable_entries_are_never_linked(world):
    internal = build_work_type(name="Internal", billing=WorkType.NON_BILLABLE)
    billed = log(world, 60)
    marked = log(world, 30, billing="non_billable")
    inside = log(world, 45, work_type=internal)

    invoice = invoice_create_from_order(order=world.order)

    assert billed_ids(invoice) == {billed.pk}
    assert invoice.lines.get().quantity == D("1.00")
    posted = invoice_validate(invoice=invoice)
    assert {row["entry"] for row in posted.appendix} == {billed.pk}
    for entry in (marked, inside):
        entry.refresh_from_db()
        assert entry.invoice_line_id is None
    # Reversed and invoiced again: still only the billable one.
    invoice_credit(invoice=posted)
    assert billed_ids(invoice_create_from_order(order=world.order)) == {billed.pk}


def test_time_to_approve_is_linked_only_once_approved(world):
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(approve_time=True)
    first = log(world, 60)
    second = log(world, 30)
    manager = ManagerFactory()
    timesheets.timesheets_approve(entries=[first], actor=manager)

    invoice = invoice_create_from_order(order=world.order)

    assert billed_ids(invoice) == {first.pk}
    assert invoice.lines.get().quantity == D("1.00")
    assert refreshed(world.line).qty_to_invoice == 0  # unapproved time delivers nothing
    timesheets.timesheets_approve(entries=[second], actor=manager)
    assert refreshed(world.line).qty_to_invoice == D("0.50")
    again = invoice_create_from_order(order=world.order)
    assert billed_ids(again) == {second.pk}
    assert again.lines.get().quantity == D("0.50")


def test_an_appendix_frozen_before_billed_minutes_prints_as_it_did(world):
    log(world, 90, description="Old work")
    posted = invoice_validate(invoice=invoice_create_from_order(order=world.order))
    # As posted before rule 28: no billed keys (read here, never written back).
    new_keys = ("billed_minutes", "billed", "no_charge")
    posted.appendix = [
        {key: value for key, value in row.items() if key not in new_keys} for row in posted.appendix
    ]

    document = invoice_document(invoice=posted)

    assert document.appendix_billed == "" and document.appendix[0].billed == ""
    entry = document.appendix[0].entries[0]
    assert (entry.hours, entry.billed_minutes, entry.no_charge) == ("1:30", None, False)
    text = pdf_text(InvoicePdfRenderer().render(posted))
    assert "Total 1:30 hours." in text
    assert "worked" not in text and "Billed" not in text  # the columns as they were
