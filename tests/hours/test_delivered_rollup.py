"""Delivered follows every create, edit, move and delete of an entry (DOMAIN.md 11, 14)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import AppSettings
from helpdesk.services import ticket_create
from projects.services import task_create
from tests.builders import (
    DAY,
    build_hours_ticket,
    build_order_line,
    build_product,
    build_ticket,
    delivered,
    hours,
)
from tests.factories import CustomerFactory, ProjectFactory, StaffUserFactory, TeamFactory, uom
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_delete, timesheet_log, timesheet_update

pytestmark = pytest.mark.django_db


def test_it_sums_minutes_first_and_converts_once_three_hours_on_days_is_0_38(employee):
    line = build_order_line(product=build_product(unit="Days"), quantity=1)
    task = line.tasks.get()

    for offset in range(3):
        timesheet_log(
            employee=employee,
            date=DAY + datetime.timedelta(days=offset),
            minutes=60,
            task=task,
        )

    line.refresh_from_db()
    assert line.delivered_minutes == 180
    assert line.qty_delivered == Decimal("0.38")  # not 3 x 0.13 = 0.39


def test_one_hour_on_a_days_line_rounds_half_up_to_0_13(employee):
    line = build_order_line(product=build_product(unit="Days"), quantity=1)

    timesheet_log(employee=employee, date=DAY, minutes=60, task=line.tasks.get())

    assert delivered(line) == Decimal("0.13")  # 0.125, half-up (not half-even 0.12)


def test_editing_the_duration_updatesdelivered(employee):
    line = build_order_line(product=build_product(), quantity=10)
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), task=line.tasks.get())

    timesheet_update(entry=entry, minutes=hours(3.5))

    assert delivered(line) == Decimal("3.50")


def test_an_entry_moved_to_another_task_updates_both_lines(employee):
    customer = CustomerFactory()
    first = build_order_line(product=build_product(), quantity=10, customer=customer)
    second = build_order_line(product=build_product(unit="Days"), quantity=2, customer=customer)
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(4), task=first.tasks.get())
    timesheet_log(employee=employee, date=DAY, minutes=hours(1), task=first.tasks.get())
    assert delivered(first) == Decimal("5.00")

    moved = timesheet_update(entry=entry, task=second.tasks.get())

    assert moved.sale_line == second
    assert moved.project == second.tasks.get().project
    assert delivered(first) == Decimal("1.00")
    assert delivered(second) == Decimal("0.50")


def test_an_entry_moved_to_a_ticket_of_another_line_updates_both_lines(employee):
    customer = CustomerFactory()
    first = build_order_line(product=build_product(), quantity=10, customer=customer)
    second = build_order_line(product=build_product(), quantity=10, customer=customer)
    first_ticket, second_ticket = build_ticket(line=first), build_ticket(line=second)
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=first_ticket)

    moved = timesheet_update(entry=entry, ticket=second_ticket)

    assert (moved.ticket, moved.task, moved.sale_line) == (
        second_ticket,
        second.tasks.get(),
        second,
    )
    assert delivered(first) == Decimal("0.00")
    assert delivered(second) == Decimal("2.00")


def test_taking_an_entry_off_its_ticket_keeps_its_project_and_task(employee):
    line, ticket = build_hours_ticket()
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)

    moved = timesheet_update(entry=entry, ticket=None)

    assert (moved.ticket, moved.task, moved.project) == (None, ticket.task, ticket.team.project)
    assert delivered(line) == Decimal("2.00")


def test_deleting_an_entry_lowersdelivered(employee):
    line, ticket = build_hours_ticket()
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(3), ticket=ticket)
    timesheet_log(employee=employee, date=DAY, minutes=hours(1), ticket=ticket)

    timesheet_delete(entry=entry)

    assert not TimesheetEntry.objects.filter(pk=entry.pk).exists()
    assert delivered(line) == Decimal("1.00")


def test_an_entry_on_a_task_without_an_order_line_is_non_billable(employee):
    line = build_order_line(product=build_product(), quantity=10)
    internal = task_create(project=line.tasks.get().project, name="Internal upkeep")

    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), task=internal)

    assert entry.sale_line is None
    assert not entry.is_billable
    assert delivered(line) == Decimal("0.00")


def test_an_entry_on_a_project_without_a_task_is_non_billable(employee):
    line = build_order_line(product=build_product(), quantity=10)

    entry = timesheet_log(
        employee=employee, date=DAY, minutes=hours(2), project=line.tasks.get().project
    )

    assert (entry.task, entry.sale_line) == (None, None)
    assert delivered(line) == Decimal("0.00")


def test_a_ticket_without_a_task_logs_non_billable_time_in_the_team_project(employee):
    team = TeamFactory(project=ProjectFactory(), use_timesheets=True)
    ticket = ticket_create(team=team, customer=CustomerFactory(), subject="No order yet")

    entry = timesheet_log(employee=employee, date=DAY, minutes=30, ticket=ticket)

    assert (entry.project, entry.task, entry.sale_line) == (team.project, None, None)


def test_with_units_of_measure_off_lines_are_sold_and_delivered_in_hours(employee):
    settings_row = AppSettings.load()
    settings_row.uom_enabled = False
    settings_row.save()
    product = build_product(unit="Days", price="800.00")

    line = build_order_line(product=product, quantity=2)
    timesheet_log(employee=employee, date=DAY, minutes=hours(3), task=line.tasks.get())

    line.refresh_from_db()
    assert line.uom == uom("Hours")
    assert line.tasks.get().allocated_hours == Decimal("2.00")
    assert line.qty_delivered == Decimal("3.00")


def test_with_the_timesheets_feature_off_logging_is_refused(employee):
    line = build_order_line(product=build_product(), quantity=10)
    settings_row = AppSettings.load()
    settings_row.timesheets_enabled = False
    settings_row.save()

    with pytest.raises(ValidationError) as caught:
        timesheet_log(employee=employee, date=DAY, minutes=30, task=line.tasks.get())

    assert "Timesheets feature is off" in str(caught.value)
    assert TimesheetEntry.objects.count() == 0


def test_entries_of_several_employees_and_tickets_add_up_on_one_line():
    line = build_order_line(product=build_product(unit="Days"), quantity=5)
    tickets = [build_ticket(line=line, team=None, subject=f"Ticket {n}") for n in range(3)]
    for n, ticket in enumerate(tickets):
        timesheet_log(employee=StaffUserFactory(), date=DAY, minutes=hours(n + 1), ticket=ticket)

    assert delivered(line) == Decimal("0.75")  # 6 h in days
