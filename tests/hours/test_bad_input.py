"""Bad durations and wrong places are refused with a message naming the field, and
nothing is written (DOMAIN.md rules 2, 9, 12)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from helpdesk.services import ticket_create
from sales.models import SaleOrderLine
from tests.builders import DAY, build_hours_ticket, build_order_line, build_product, hours
from tests.factories import CustomerFactory, ProjectFactory, StaffUserFactory, TeamFactory
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log, timesheet_update

pytestmark = pytest.mark.django_db


def _refused(field: str, **kwargs) -> str:
    """Call timesheet_log; assert it names `field` and writes no entry. Returns the message."""
    before = TimesheetEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        timesheet_log(**kwargs)
    assert TimesheetEntry.objects.count() == before
    assert field in caught.value.message_dict, caught.value.message_dict
    return " ".join(caught.value.message_dict[field])


@pytest.fixture
def ticket():
    return build_hours_ticket()[1]


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "more than 0"),
        ("0", "more than 0"),
        (-30, "more than 0"),
        (24 * 60 + 1, "at most 24 hours"),
        (10_000, "at most 24 hours"),
        ("abc", "not a duration"),
        ("1:30", "not a duration"),
        ("", "not a duration"),
        (None, "not a duration"),
        ("NaN", "whole number"),
        ("Infinity", "whole number"),
        ("12.5", "whole number"),
        (True, "duration"),
    ],
)
def test_a_bad_duration_is_refused(ticket, employee, minutes, words):
    message = _refused("minutes", employee=employee, date=DAY, minutes=minutes, ticket=ticket)

    assert words in message


def test_a_full_day_is_accepted(ticket, employee):
    entry = timesheet_log(employee=employee, date=DAY, minutes=24 * 60, ticket=ticket)

    assert entry.duration_display == "24:00"


def test_a_bad_date_is_refused(ticket, employee):
    assert "not a date" in _refused(
        "date", employee=employee, date="31/02/2026", minutes=30, ticket=ticket
    )


def test_a_project_without_timesheets_is_refused(employee):
    project = ProjectFactory(allow_timesheets=False)

    message = _refused("project", employee=employee, date=DAY, minutes=30, project=project)

    assert "does not allow timesheets" in message


def test_a_ticket_whose_team_does_not_log_time_is_refused(employee):
    team = TeamFactory(use_timesheets=False)
    ticket = ticket_create(team=team, customer=CustomerFactory(), subject="No timesheets")

    _refused("ticket", employee=employee, date=DAY, minutes=30, ticket=ticket)


def test_no_project_task_or_ticket_is_refused(employee):
    _refused("project", employee=employee, date=DAY, minutes=30)


def test_a_task_of_another_customer_is_refused_on_a_ticket_entry(ticket, employee):
    foreign = build_order_line(product=build_product(project=ticket.team.project), quantity=1)

    _refused(
        "task", employee=employee, date=DAY, minutes=30, ticket=ticket, task=foreign.tasks.get()
    )
    assert SaleOrderLine.objects.get(pk=foreign.pk).delivered_minutes == 0


def test_a_bad_new_duration_leaves_the_entry_as_it_was(ticket, employee):
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)

    with pytest.raises(ValidationError) as caught:
        timesheet_update(entry=entry, minutes=-5)

    assert "minutes" in caught.value.message_dict
    assert TimesheetEntry.objects.get(pk=entry.pk).minutes == hours(2)


# --- rule 12: one employee's day holds at most 24 hours -------------------------------------


def test_one_employees_day_is_capped_at_24_hours(ticket, employee):
    timesheet_log(employee=employee, date=DAY, minutes=hours(20), ticket=ticket)

    message = _refused("minutes", employee=employee, date=DAY, minutes=hours(5), ticket=ticket)

    assert "20:00" in message
    timesheet_log(employee=employee, date=DAY, minutes=hours(4), ticket=ticket)  # exactly 24 h
    assert _refused("minutes", employee=employee, date=DAY, minutes=1, ticket=ticket)


def test_the_cap_is_per_employee_and_per_day(ticket, employee):
    timesheet_log(employee=employee, date=DAY, minutes=hours(20), ticket=ticket)

    timesheet_log(employee=StaffUserFactory(), date=DAY, minutes=hours(20), ticket=ticket)
    timesheet_log(
        employee=employee, date=DAY + datetime.timedelta(days=1), minutes=hours(20), ticket=ticket
    )

    assert TimesheetEntry.objects.count() == 3


def test_moving_an_entry_onto_a_full_day_is_refused(ticket, employee):
    timesheet_log(employee=employee, date=DAY, minutes=hours(20), ticket=ticket)
    other_day = DAY + datetime.timedelta(days=1)
    entry = timesheet_log(employee=employee, date=other_day, minutes=hours(5), ticket=ticket)

    with pytest.raises(ValidationError) as caught:
        timesheet_update(entry=entry, date=DAY)

    assert "minutes" in caught.value.message_dict
    assert TimesheetEntry.objects.get(pk=entry.pk).date == other_day


def test_growing_an_entry_counts_the_rest_of_the_day_only(ticket, employee):
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(20), ticket=ticket)

    timesheet_update(entry=entry, minutes=hours(24))  # its own 20 h are not counted twice

    assert TimesheetEntry.objects.get(pk=entry.pk).minutes == hours(24)
