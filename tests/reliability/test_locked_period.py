"""Rule 34's lock date on timesheet entries: nothing dated on or before it is created,
changed, moved or deleted (the invoice dates are in test_invoice_dates.py)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.errors import ConflictError
from core.models import AppSettings
from helpdesk import services as helpdesk
from tests.builders import build_hours_ticket, build_order_line, build_product, delivered
from tests.factories import StaffUserFactory
from timesheets import services as timesheets
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db

LOCKED = datetime.date(2026, 1, 31)
INSIDE = datetime.date(2026, 1, 20)
AFTER = datetime.date(2026, 2, 2)


def lock_up_to(day):
    row = AppSettings.load()
    row.timesheets_locked_up_to = day
    row.save()


@pytest.fixture
def world():
    line, ticket = build_hours_ticket()
    employee = StaffUserFactory()
    inside = timesheets.timesheet_log(employee=employee, date=INSIDE, minutes=60, ticket=ticket)
    after = timesheets.timesheet_log(employee=employee, date=AFTER, minutes=30, ticket=ticket)
    lock_up_to(LOCKED)
    return line, ticket, employee, inside, after


def test_no_entry_is_logged_on_or_before_the_lock_date(world):
    _, ticket, employee, _, _ = world
    for day in (LOCKED, INSIDE):
        with pytest.raises(ValidationError) as refused:
            timesheets.timesheet_log(employee=employee, date=day, minutes=15, ticket=ticket)
        assert "locked" in refused.value.message_dict["date"][0]
    timesheets.timesheet_log(
        employee=employee, date=LOCKED + datetime.timedelta(days=1), minutes=15, ticket=ticket
    )


def test_an_entry_of_a_locked_period_is_neither_changed_nor_deleted(world):
    _, _, _, inside, after = world
    for changes in ({"minutes": 90}, {"description": "rewritten"}, {"date": AFTER}):
        with pytest.raises(ConflictError):
            timesheets.timesheet_update(entry=inside, **changes)
    with pytest.raises(ConflictError):
        timesheets.timesheet_delete(entry=inside)
    with pytest.raises(ValidationError):  # nor is an open entry moved into the period
        timesheets.timesheet_update(entry=after, date=INSIDE)
    inside.refresh_from_db()
    assert (inside.minutes, inside.date, inside.description) == (60, INSIDE, "")
    timesheets.timesheet_update(entry=after, minutes=45)


def test_a_ticket_moved_to_another_task_leaves_its_locked_entries_where_they_were(world):
    line, ticket, _, inside, after = world
    other_line = build_order_line(product=build_product(), quantity=5, customer=line.order.customer)
    other_task = other_line.tasks.get()
    other_task.project = ticket.team.project
    other_task.save()

    helpdesk.ticket_set_task(ticket=ticket, task=other_task)

    rows = dict(TimesheetEntry.objects.values_list("pk", "sale_line_id"))
    assert rows == {inside.pk: line.pk, after.pk: other_line.pk}
    assert delivered(line) == 1 and delivered(other_line) == 0.5
