"""DOMAIN.md part G, the timesheet side: work types (27), worked and billed minutes (28),
rounding rules (29), rate lines (30), approval (33), and the rebilling that follows a
change of rule. Every figure is read back from the database the services wrote."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import ConflictError
from helpdesk import services as helpdesk
from helpdesk.models import HelpdeskTeam
from sales import services as sales
from sales.models import RoundingMode, SaleOrderLine, WorkType, rounded_minutes
from tests.builders import (
    build_invoice,
    build_order,
    build_product,
    build_ticket_world,
    build_work_type,
    log_time,
    refreshed,
)
from tests.factories import ManagerFactory, StaffUserFactory
from timesheets import services as timesheets
from timesheets.models import TimesheetEntry
from timesheets.services import BilledDifference, recompute_all_delivered

pytestmark = pytest.mark.django_db


# --- rule 29: the rounding table ---------------------------------------------------------


@pytest.mark.parametrize(
    ("worked", "billed"), [(7, 30), (31, 45), (50, 60), (60, 60), (1, 30), (45, 45), (61, 75)]
)
def test_fifteen_minutes_up_with_a_thirty_minute_minimum(worked, billed):
    assert rounded_minutes(worked, increment=15, mode=RoundingMode.UP, minimum=30) == billed


@pytest.mark.parametrize(("worked", "billed"), [(7, 0), (8, 15), (22, 15), (23, 30), (15, 15)])
def test_nearest_fifteen_minutes_half_up_without_a_minimum(worked, billed):
    assert rounded_minutes(worked, increment=15, mode=RoundingMode.NEAREST, minimum=0) == billed


@pytest.mark.parametrize("worked", [1, 7, 59, 60, 61, 1440])
def test_an_increment_of_one_without_a_minimum_bills_what_was_worked(worked):
    assert rounded_minutes(worked, increment=1, mode=RoundingMode.UP, minimum=0) == worked
    assert rounded_minutes(worked, increment=1, mode=RoundingMode.NEAREST, minimum=0) == worked


def test_nothing_worked_bills_nothing_even_with_a_minimum():
    assert rounded_minutes(0, increment=15, mode=RoundingMode.UP, minimum=30) == 0


def rounded_world(*, increment=15, mode=RoundingMode.UP, minimum=30, **world):
    employee = StaffUserFactory()
    built = build_ticket_world(employee=None, **world)
    built.team.members.add(employee)
    SaleOrderLine.objects.filter(pk=built.line.pk).update(
        rounding_increment=increment, rounding_mode=mode, minimum_minutes=minimum
    )
    return built, employee


def test_entries_are_billed_by_their_line_and_delivered_sums_billed_minutes():
    world, employee = rounded_world()
    for worked in (7, 31, 50, 60):
        log_time(employee=employee, minutes=worked, ticket=world.ticket)

    entries = TimesheetEntry.objects.filter(ticket=world.ticket).order_by("pk")
    assert [(e.minutes, e.billed_minutes) for e in entries] == [
        (7, 30),
        (31, 45),
        (50, 60),
        (60, 60),
    ]
    line = refreshed(world.line)
    assert line.delivered_minutes == 195
    assert line.qty_delivered == Decimal("3.25")  # 195 minutes, converted once
    world.task.refresh_from_db()
    assert world.task.logged_minutes == 148  # the task keeps worked time (rule 28)


def test_a_product_rounding_rule_is_copied_to_its_order_line():
    product = build_product(rounding_increment=15, rounding_mode="nearest", minimum_minutes=30)
    line = build_order(product=product).lines.get()
    assert (line.rounding_increment, line.rounding_mode, line.minimum_minutes) == (
        15,
        "nearest",
        30,
    )
    product.rounding_increment = 30
    product.save()
    line.refresh_from_db()
    assert line.rounding_increment == 15  # copied once, when the line is created


# --- rule 27: work types ------------------------------------------------------------------


def test_an_entry_has_the_teams_default_work_type_else_support():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    assert world.entry.work_type.name == "Support"
    assert world.entry.work_type.billing == WorkType.BILLABLE

    remote = build_work_type(name="Remote")
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(default_work_type=remote)
    entry = log_time(employee=employee, minutes=30, ticket=world.ticket)
    assert entry.work_type == remote


def test_no_charge_time_is_billed_zero_and_non_billable_time_too():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=2)
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)
    internal = build_work_type(name="Internal", billing=WorkType.NON_BILLABLE)

    free = log_time(employee=employee, minutes=30, ticket=world.ticket, work_type=goodwill)
    inside = log_time(employee=employee, minutes=45, ticket=world.ticket, work_type=internal)

    assert (free.minutes, free.billed_minutes) == (30, 0)
    assert (inside.minutes, inside.billed_minutes) == (45, 0)
    assert refreshed(world.line).qty_delivered == Decimal("2.00")


def test_staff_mark_their_own_uninvoiced_entry_non_billable_and_back():
    """The issue's first complaint: a goodwill half-hour could not be made free."""
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    entry = log_time(employee=employee, minutes=30, ticket=world.ticket)
    assert refreshed(world.line).qty_delivered == Decimal("1.50")

    entry = timesheets.timesheet_update(entry=entry, billing="non_billable", actor=employee)
    assert entry.billed_minutes == 0
    assert refreshed(world.line).qty_delivered == Decimal("1.00")

    entry = timesheets.timesheet_update(entry=entry, billing="billable", actor=employee)
    assert refreshed(world.line).qty_delivered == Decimal("1.50")

    with pytest.raises(ValidationError, match="billable"):
        timesheets.timesheet_update(entry=entry, billing="free", actor=employee)


def test_an_inactive_work_type_is_refused_for_new_time():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    old = build_work_type(name="Old")
    WorkType.objects.filter(pk=old.pk).update(active=False)
    with pytest.raises(ValidationError, match="no longer in use"):
        log_time(employee=employee, minutes=30, ticket=world.ticket, work_type=old)


def test_an_invoiced_entry_keeps_its_work_type_and_billing():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1, invoiced=True)
    other = build_work_type(name="On site")
    with pytest.raises(ConflictError, match="on an invoice"):
        timesheets.timesheet_update(entry=world.entry, work_type=other, actor=employee)
    with pytest.raises(ConflictError, match="on an invoice"):
        timesheets.timesheet_update(entry=world.entry, billing="non_billable", actor=employee)


def test_changing_a_work_type_to_no_charge_rebills_its_uninvoiced_entries_only():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1, invoiced=True)
    open_entry = log_time(employee=employee, minutes=90, ticket=world.ticket)
    support = open_entry.work_type

    support.billing = WorkType.NO_CHARGE
    support.save()

    open_entry.refresh_from_db()
    world.entry.refresh_from_db()
    assert open_entry.billed_minutes == 0
    assert world.entry.billed_minutes == 60  # on an invoice: as it was billed
    assert refreshed(world.line).qty_delivered == Decimal("1.00")


# --- rule 28: adjustments -------------------------------------------------------------------


def test_a_manager_writes_an_entry_up_or_off_with_a_reason_and_clears_it():
    employee, manager = StaffUserFactory(), ManagerFactory()
    world = build_ticket_world(employee=employee, hours=1)

    entry = timesheets.timesheet_adjust_billed(
        entry=world.entry, minutes=30, reason="Half was a training call", actor=manager
    )
    assert (entry.minutes, entry.billed_minutes, entry.billed_minutes_override) == (60, 30, 30)
    assert (entry.adjusted_by, entry.adjust_reason) == (manager, "Half was a training call")
    assert entry.adjusted_at is not None
    assert refreshed(world.line).qty_delivered == Decimal("0.50")

    entry = timesheets.timesheet_adjust_billed(
        entry=entry, minutes=0, reason="Goodwill", actor=manager
    )
    assert entry.billed_minutes == 0
    assert refreshed(world.line).qty_delivered == Decimal("0.00")

    entry = timesheets.timesheet_adjust_billed(entry=entry, minutes=None, actor=manager)
    assert (entry.billed_minutes, entry.billed_minutes_override, entry.adjusted_by) == (
        60,
        None,
        None,
    )
    assert refreshed(world.line).qty_delivered == Decimal("1.00")


def test_an_adjustment_needs_a_manager_a_reason_and_an_uninvoiced_entry():
    employee, manager = StaffUserFactory(), ManagerFactory()
    world = build_ticket_world(employee=employee, hours=1)
    with pytest.raises(PermissionDenied):
        timesheets.timesheet_adjust_billed(
            entry=world.entry, minutes=30, reason="mine", actor=employee
        )
    with pytest.raises(ValidationError, match="Say why"):
        timesheets.timesheet_adjust_billed(entry=world.entry, minutes=30, actor=manager)
    build_invoice(order=world.order)
    with pytest.raises(ConflictError, match="on an invoice"):
        timesheets.timesheet_adjust_billed(
            entry=world.entry, minutes=30, reason="late", actor=manager
        )
    world.entry.refresh_from_db()
    assert world.entry.billed_minutes == 60


def test_an_adjustment_survives_an_edit_of_the_worked_minutes():
    employee, manager = StaffUserFactory(), ManagerFactory()
    world = build_ticket_world(employee=employee, hours=1)
    timesheets.timesheet_adjust_billed(
        entry=world.entry, minutes=45, reason="Agreed with customer", actor=manager
    )
    entry = timesheets.timesheet_update(entry=world.entry, minutes=80, actor=employee)
    assert (entry.minutes, entry.billed_minutes) == (80, 45)


# --- rule 30: rate lines --------------------------------------------------------------------


def rate_world():
    """Support at 100 an hour; a rate line "After-hours support" at 150 for the work type
    After hours, and one at 120 for a senior engineer."""
    employee, senior = StaffUserFactory(), StaffUserFactory()
    world = build_ticket_world()
    world.team.members.add(employee, senior)
    after_hours = build_work_type(name="After hours")
    rate_product = build_product(project=world.project, price="150.00")
    line = sales.order_line_add(order=world.order, product=rate_product, quantity="0")
    sales.order_line_update(line=line, rate_work_type=after_hours)
    senior_product = build_product(project=world.project, price="120.00")
    senior_line = sales.order_line_add(order=world.order, product=senior_product, quantity="0")
    sales.order_line_update(line=senior_line, rate_employee=senior)
    return world, employee, senior, after_hours, refreshed(line), refreshed(senior_line)


def test_entries_go_to_the_most_specific_rate_line_of_the_tasks_order():
    world, employee, senior, after_hours, rate_line, senior_line = rate_world()

    office = log_time(employee=employee, minutes=60, ticket=world.ticket)
    night = log_time(employee=employee, minutes=60, ticket=world.ticket, work_type=after_hours)
    by_senior = log_time(employee=senior, minutes=60, ticket=world.ticket)
    senior_night = log_time(employee=senior, minutes=30, ticket=world.ticket, work_type=after_hours)

    assert office.sale_line_id == world.line.pk
    assert night.sale_line_id == rate_line.pk
    assert by_senior.sale_line_id == senior_line.pk
    assert senior_night.sale_line_id == rate_line.pk  # the work type is more specific
    assert refreshed(world.line).qty_delivered == Decimal("1.00")
    assert refreshed(rate_line).qty_delivered == Decimal("1.50")
    assert refreshed(senior_line).qty_delivered == Decimal("1.00")


def test_a_line_for_both_work_type_and_employee_wins():
    world, employee, senior, after_hours, rate_line, _ = rate_world()
    both_product = build_product(project=world.project, price="200.00")
    both = sales.order_line_add(order=world.order, product=both_product, quantity="0")
    sales.order_line_update(line=both, rate_work_type=after_hours, rate_employee=senior)

    entry = log_time(employee=senior, minutes=30, ticket=world.ticket, work_type=after_hours)
    assert entry.sale_line_id == both.pk


def test_changing_the_work_type_moves_the_entry_between_lines():
    world, employee, _, after_hours, rate_line, _ = rate_world()
    entry = log_time(employee=employee, minutes=90, ticket=world.ticket)

    entry = timesheets.timesheet_update(entry=entry, work_type=after_hours, actor=employee)
    assert entry.sale_line_id == rate_line.pk
    assert refreshed(world.line).qty_delivered == Decimal("0.00")
    assert refreshed(rate_line).qty_delivered == Decimal("1.50")

    entry = timesheets.timesheet_update(entry=entry, work_type=WorkType.default(), actor=employee)
    assert entry.sale_line_id == world.line.pk
    assert refreshed(world.line).qty_delivered == Decimal("1.50")
    assert refreshed(rate_line).qty_delivered == Decimal("0.00")


def test_a_rate_line_added_later_takes_the_uninvoiced_entries_it_matches():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1, invoiced=True)
    after_hours = build_work_type(name="After hours")
    night = log_time(employee=employee, minutes=60, ticket=world.ticket, work_type=after_hours)
    assert night.sale_line_id == world.line.pk

    rate_product = build_product(project=world.project, price="150.00")
    line = sales.order_line_add(order=world.order, product=rate_product, quantity="0")
    sales.order_line_update(line=line, rate_work_type=after_hours)

    night.refresh_from_db()
    world.entry.refresh_from_db()
    assert night.sale_line_id == line.pk
    assert world.entry.sale_line_id == world.line.pk  # invoiced: stays where it was billed
    assert refreshed(line).qty_delivered == Decimal("1.00")
    assert refreshed(world.line).qty_delivered == Decimal("1.00")


def test_a_rounding_rule_changed_on_the_line_rebills_its_uninvoiced_entries():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    short = log_time(employee=employee, minutes=7, ticket=world.ticket)
    sales.order_line_update(line=world.line, rounding_increment=15, minimum_minutes=30)
    short.refresh_from_db()
    assert short.billed_minutes == 30
    assert refreshed(world.line).delivered_minutes == 90


# --- rule 33: approval ----------------------------------------------------------------------


def approving_world():
    employee, manager = StaffUserFactory(), ManagerFactory()
    world = build_ticket_world()
    world.team.members.add(employee)
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(approve_time=True)
    return world, employee, manager


def test_time_to_approve_is_not_billed_until_a_manager_approves_it():
    world, employee, manager = approving_world()
    entry = log_time(employee=employee, minutes=60, ticket=world.ticket)
    assert (entry.approval_state, entry.billed_minutes) == ("to_approve", 0)
    assert refreshed(world.line).qty_delivered == Decimal("0.00")

    assert timesheets.timesheets_approve(entries=[entry.pk], actor=manager) == 1
    entry.refresh_from_db()
    assert (entry.approval_state, entry.billed_minutes, entry.approved_by) == (
        "approved",
        60,
        manager,
    )
    assert refreshed(world.line).qty_delivered == Decimal("1.00")
    assert timesheets.timesheets_approve(entries=[entry.pk], actor=manager) == 0


def test_only_a_manager_approves():
    world, employee, _ = approving_world()
    entry = log_time(employee=employee, minutes=60, ticket=world.ticket)
    with pytest.raises(PermissionDenied):
        timesheets.timesheets_approve(entries=[entry], actor=employee)


def test_an_employees_change_sends_an_approved_entry_back_a_managers_does_not():
    world, employee, manager = approving_world()
    entry = log_time(employee=employee, minutes=60, ticket=world.ticket)
    timesheets.timesheets_approve(entries=[entry], actor=manager)

    entry = timesheets.timesheet_update(entry=entry, description="notes", actor=employee)
    assert entry.approval_state == "approved"  # the description is not what was approved
    entry = timesheets.timesheet_update(entry=entry, minutes=90, actor=manager)
    assert (entry.approval_state, entry.billed_minutes) == ("approved", 90)
    entry = timesheets.timesheet_update(entry=entry, minutes=120, actor=employee)
    assert (entry.approval_state, entry.billed_minutes) == ("to_approve", 0)
    assert refreshed(world.line).qty_delivered == Decimal("0.00")


def test_teams_that_do_not_approve_leave_entries_without_a_state():
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    assert world.entry.approval_state is None
    assert world.entry.billed_minutes == 60


# --- recompute_delivered ------------------------------------------------------------------


def test_recompute_reports_and_fixes_billed_minutes_written_around_the_services():
    world, employee = rounded_world()
    entry = log_time(employee=employee, minutes=7, ticket=world.ticket)
    TimesheetEntry.objects.filter(pk=entry.pk).update(billed_minutes=7)

    report = recompute_all_delivered(fix=False)
    assert [d for d in report if isinstance(d, BilledDifference)] == [
        BilledDifference(entry.pk, world.line.pk, 7, world.line.pk, 30)
    ]
    recompute_all_delivered(fix=True)
    entry.refresh_from_db()
    assert entry.billed_minutes == 30
    assert recompute_all_delivered(fix=False) == []


def test_a_ticket_moved_to_another_order_follows_its_rounding_rule():
    employee = StaffUserFactory()
    world = build_ticket_world()
    world.team.members.add(employee)
    entry = log_time(employee=employee, minutes=7, ticket=world.ticket)
    assert entry.billed_minutes == 7
    rounded = build_product(project=world.project, rounding_increment=15, minimum_minutes=30)
    other = build_order(customer=world.customer, product=rounded).lines.get()
    helpdesk.ticket_set_task(ticket=world.ticket, task=other.tasks.get())
    entry.refresh_from_db()
    assert (entry.sale_line_id, entry.billed_minutes) == (other.pk, 30)
    assert refreshed(other).delivered_minutes == 30
    assert refreshed(world.line).delivered_minutes == 0
