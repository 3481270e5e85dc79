"""An entry on a live invoice is locked: only its description may change (rule 21)."""

import datetime
from decimal import Decimal

import pytest

from core.errors import ConflictError
from projects.services import task_create, task_update
from sales.models import Product, SaleOrderLine
from tests.builders import DAY, build_order_line, build_product, build_ticket, hours, invoice_entry
from tests.factories import CustomerFactory, StaffUserFactory
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_delete, timesheet_log, timesheet_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(employee):
    """A 5 h entry on a ticket, billed by a draft invoice line; plus a second ticket."""
    customer = CustomerFactory()
    line = build_order_line(product=build_product(), quantity=10, customer=customer)
    ticket = build_ticket(line=line)
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(5), ticket=ticket)
    invoice_entry(entry=entry)
    return TimesheetEntry.objects.get(pk=entry.pk)


def _other_task(entry):
    return task_create(project=entry.project, name="Another task")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("minutes", lambda _entry: hours(6)),
        ("date", lambda _entry: DAY + datetime.timedelta(days=1)),
        ("employee", lambda _entry: StaffUserFactory()),
        ("task", _other_task),
        ("ticket", lambda _entry: None),
    ],
)
def test_a_locked_entry_refuses_a_change_of(locked, field, value):
    before = TimesheetEntry.objects.values().get(pk=locked.pk)

    with pytest.raises(ConflictError) as caught:
        timesheet_update(entry=locked, **{field: value(locked)})

    assert field in str(caught.value)
    assert TimesheetEntry.objects.values().get(pk=locked.pk) == before
    assert SaleOrderLine.objects.get(pk=locked.sale_line_id).qty_delivered == Decimal("5.00")


def test_a_locked_entry_cannot_be_deleted(locked):
    with pytest.raises(ConflictError):
        timesheet_delete(entry=locked)

    assert TimesheetEntry.objects.filter(pk=locked.pk).exists()


def test_a_locked_entry_accepts_a_new_description(locked):
    updated = timesheet_update(entry=locked, description="Replaced the fuser unit")

    assert TimesheetEntry.objects.get(pk=locked.pk).description == "Replaced the fuser unit"
    assert updated.minutes == hours(5)


def test_a_locked_entry_accepts_an_unchanged_duration_with_its_new_description(locked):
    timesheet_update(entry=locked, minutes=hours(5), description="Same time, better words")

    assert TimesheetEntry.objects.get(pk=locked.pk).description == "Same time, better words"


def test_the_task_of_a_locked_entry_cannot_move_to_another_order_line(locked):
    untracked = build_product(service_tracking=Product.TRACKING_NO)
    other = build_order_line(product=untracked, quantity=1, customer=CustomerFactory())

    with pytest.raises(ConflictError):
        task_update(task=locked.task, sale_line=other)

    assert TimesheetEntry.objects.get(pk=locked.pk).sale_line_id == locked.sale_line_id


def test_an_unlocked_entry_accepts_the_same_changes(locked, employee):
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(1), task=locked.task)

    timesheet_update(entry=entry, minutes=hours(2), date=DAY + datetime.timedelta(days=1))
    timesheet_delete(entry=entry)

    assert not TimesheetEntry.objects.filter(pk=entry.pk).exists()
