"""DOMAIN.md rule 21 and worked example 5: an invoiced entry is locked until freed."""

from decimal import Decimal

import pytest

from core.errors import ConflictError
from invoicing.services import (
    invoice_cancel,
    invoice_create_from_order,
    invoice_credit,
    invoice_line_delete,
    invoice_validate,
)
from projects.models import Task
from tests.builders import day, refreshed
from tests.factories import StaffUserFactory
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_delete, timesheet_update

pytestmark = pytest.mark.django_db


def test_example_5_a_drafted_entry_refuses_a_new_duration_until_the_draft_is_cancelled(
    make_line, log
):
    line = make_line(unit="Hours", quantity="10")
    entry = log(line, hours=5)
    invoice = invoice_create_from_order(order=line.order)

    with pytest.raises(ConflictError, match="on an invoice"):
        timesheet_update(entry=entry, minutes=360)
    updated = timesheet_update(entry=entry, description="Replaced the fuser")
    assert updated.description == "Replaced the fuser"
    assert TimesheetEntry.objects.get(pk=entry.pk).minutes == 300

    invoice_cancel(invoice=invoice)

    entry.refresh_from_db()
    assert entry.invoice_line_id is None
    assert refreshed(line).qty_to_invoice == Decimal("5.00")
    timesheet_update(entry=entry, minutes=360)
    assert refreshed(line).qty_to_invoice == Decimal("6.00")


@pytest.mark.parametrize(
    "change",
    [
        {"date": day(2)},
        {"minutes": 61},
        {"employee": "other"},
        {"task": "other"},
        {"project": "other"},
    ],
    ids=["date", "minutes", "employee", "task", "project"],
)
def test_an_invoiced_entry_refuses_every_locked_field(make_line, log, change):
    line = make_line()
    entry = log(line, hours=1)
    invoice_create_from_order(order=line.order)
    other_line = make_line()
    other_task = Task.objects.get(sale_line=other_line)
    replacements = {
        "employee": StaffUserFactory(),
        "task": other_task,
        "project": other_task.project,
    }
    change = {k: replacements.get(k, v) if v == "other" else v for k, v in change.items()}

    with pytest.raises(ConflictError):
        timesheet_update(entry=entry, **change)


def test_an_invoiced_entry_cannot_be_deleted(make_line, log):
    line = make_line()
    entry = log(line, hours=1)
    invoice_create_from_order(order=line.order)

    with pytest.raises(ConflictError, match="cannot be deleted"):
        timesheet_delete(entry=entry)
    assert TimesheetEntry.objects.filter(pk=entry.pk).exists()


def test_a_posted_invoice_keeps_its_entries_locked(make_line, log):
    line = make_line()
    entry = log(line, hours=2)
    invoice_validate(invoice=invoice_create_from_order(order=line.order))

    with pytest.raises(ConflictError):
        timesheet_update(entry=entry, minutes=30)


def test_deleting_a_draft_line_frees_its_entries_for_the_next_invoice(make_line, log):
    line = make_line()
    entry = log(line, hours=2)
    invoice = invoice_create_from_order(order=line.order)

    invoice_line_delete(line=invoice.lines.get())

    entry.refresh_from_db()
    assert entry.invoice_line_id is None
    assert refreshed(line).qty_invoiced == 0
    timesheet_update(entry=entry, minutes=90)
    nxt = invoice_create_from_order(order=line.order)
    assert list(nxt.lines.get().timesheets.all()) == [entry]
    assert nxt.lines.get().quantity == Decimal("1.50")


def test_crediting_a_line_unlocks_its_entries(make_line, log):
    line = make_line()
    entry = log(line, hours=2)
    invoice = invoice_validate(invoice=invoice_create_from_order(order=line.order))

    invoice_credit(invoice=invoice)

    timesheet_update(entry=entry, minutes=150)
    assert refreshed(line).qty_to_invoice == Decimal("2.50")


def test_entries_logged_after_the_draft_stay_free_and_editable(make_line, log):
    line = make_line()
    log(line, hours=1)
    invoice_create_from_order(order=line.order)
    later = log(line, hours=1, date=day(2))

    timesheet_update(entry=later, minutes=30)
    assert refreshed(line).qty_to_invoice == Decimal("0.50")
