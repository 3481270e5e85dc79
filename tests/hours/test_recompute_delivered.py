"""`manage.py recompute_delivered [--check]` proves the stored Delivered figures right."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from helpdesk.services import ticket_create, ticket_set_task
from projects.services import task_create
from sales.models import Product, SaleOrderLine
from tests.builders import DAY, build_order_line, build_product, day, hours, invoice_entry
from tests.factories import CustomerFactory, ProjectFactory, StaffUserFactory, TeamFactory
from timesheets.services import timesheet_delete, timesheet_log, timesheet_update

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("recompute_delivered", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def busy_lines():
    """Days, Hours and prepaid lines after logs, edits, moves, deletes and a ticket move."""
    customer = CustomerFactory()
    project = ProjectFactory()
    team = TeamFactory(project=project, use_timesheets=True)
    days = build_order_line(
        product=build_product(unit="Days", project=project), quantity=2, customer=customer
    )
    hours_line = build_order_line(
        product=build_product(project=project), quantity=10, customer=customer
    )
    prepaid = build_product(project=project, invoice_policy=Product.POLICY_ORDER)
    prepaid_line = build_order_line(product=prepaid, quantity=10, customer=customer)
    ticket = ticket_create(team=team, customer=customer, subject="Busy", task=days.tasks.get())
    people = [StaffUserFactory() for _ in range(3)]
    for n, person in enumerate(people):
        for offset in range(3):
            timesheet_log(
                employee=person,
                date=DAY + datetime.timedelta(days=offset),
                minutes=20 + 7 * n + offset,
                ticket=ticket,
            )
    entry = timesheet_log(employee=people[0], date=day(1), minutes=hours(1), ticket=ticket)
    invoice_entry(entry=entry)
    moved = timesheet_log(employee=people[1], date=DAY, minutes=45, task=hours_line.tasks.get())
    timesheet_update(entry=moved, task=prepaid_line.tasks.get())
    internal = task_create(project=project, name="Internal upkeep")
    gone = timesheet_log(employee=people[2], date=DAY, minutes=50, task=hours_line.tasks.get())
    timesheet_delete(entry=gone)
    timesheet_log(employee=people[2], date=DAY, minutes=15, task=internal)
    ticket_set_task(ticket=ticket, task=hours_line.tasks.get())
    return days, hours_line, prepaid_line


def test_check_reports_no_difference_after_all_kinds_of_changes(busy_lines):
    days, hours_line, prepaid_line = busy_lines

    output = _run("--check")

    assert "no difference" in output
    days.refresh_from_db()
    assert days.delivered_minutes == 60  # the invoiced entry stayed; the rest moved
    assert days.qty_delivered == Decimal("0.13")
    prepaid_line.refresh_from_db()
    assert prepaid_line.qty_delivered == Decimal("0.75")


def test_check_reports_a_corrupted_line_exits_1_and_changes_nothing(busy_lines):
    _, hours_line, _ = busy_lines
    right = SaleOrderLine.objects.get(pk=hours_line.pk).qty_delivered
    SaleOrderLine.objects.filter(pk=hours_line.pk).update(qty_delivered=Decimal("99.00"))

    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("recompute_delivered", "--check", stdout=out)

    assert caught.value.returncode == 1
    assert "1 line(s) differ" in str(caught.value)
    report = out.getvalue()
    assert f"line {hours_line.pk}" in report
    assert "stored 99.00" in report
    assert f"entries say {right}" in report
    assert SaleOrderLine.objects.get(pk=hours_line.pk).qty_delivered == Decimal("99.00")

    SaleOrderLine.objects.filter(pk=hours_line.pk).update(qty_delivered=right)  # tidy up


def test_without_check_it_reports_and_fixes_the_corrupted_line(busy_lines):
    days, _, _ = busy_lines
    SaleOrderLine.objects.filter(pk=days.pk).update(delivered_minutes=1, qty_delivered=0)

    output = _run()

    assert f"line {days.pk}" in output
    assert "Fixed 1 line(s)" in output
    days.refresh_from_db()
    assert (days.delivered_minutes, days.qty_delivered) == (60, Decimal("0.13"))
    assert "no difference" in _run("--check")


def test_a_line_with_no_entries_but_a_stored_figure_is_reset_to_zero():
    line = build_order_line(product=build_product(), quantity=3)
    SaleOrderLine.objects.filter(pk=line.pk).update(delivered_minutes=90, qty_delivered=1.5)

    _run()

    line.refresh_from_db()
    assert (line.delivered_minutes, line.qty_delivered) == (0, Decimal("0.00"))
