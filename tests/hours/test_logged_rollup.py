"""Task.logged_minutes and Project.untasked_minutes follow every create, edit, move and
delete of an entry, like Delivered; the project list reads them (no sum over entries).

The autouse fixture of tests/hours also checks, after each test, that
`recompute_all_delivered(fix=False)` (which covers these figures) finds no difference.
"""

import io
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from helpdesk.services import ticket_create, ticket_set_task, ticket_update
from projects.models import Project, Task
from projects.selectors import project_list
from projects.services import task_create, task_update
from tests.builders import DAY, build_order_line, build_product, day, hours, invoice_entry
from tests.factories import CustomerFactory, StaffUserFactory, TeamFactory
from tests.threads import run_together
from timesheets.models import TimesheetEntry
from timesheets.services import (
    recompute_all_delivered,
    timesheet_delete,
    timesheet_log,
    timesheet_update,
)


def logged(task: Task) -> int:
    return Task.objects.get(pk=task.pk).logged_minutes


def untasked(project: Project) -> int:
    return Project.objects.get(pk=project.pk).untasked_minutes


@pytest.fixture
def two_tasks():
    """Two tasks of one customer in one project, a team logging there, a ticket on the first."""
    product, customer = build_product(), CustomerFactory()
    first_line = build_order_line(product=product, quantity=10, customer=customer)
    second_line = build_order_line(product=product, quantity=10, customer=customer)
    first, second = first_line.tasks.get(), second_line.tasks.get()
    assert first.project_id == second.project_id
    team = TeamFactory(project=first.project, use_timesheets=True)
    ticket = ticket_create(team=team, customer=customer, subject="Printer", task=first)
    return first, second, ticket


@pytest.mark.django_db
class TestItFollowsEveryWrite:
    def test_logging_on_a_ticket_adds_to_its_task_not_to_the_untasked_minutes(
        self, two_tasks, employee
    ):
        first, second, ticket = two_tasks

        timesheet_log(employee=employee, date=DAY, minutes=90, ticket=ticket)
        timesheet_log(employee=employee, date=DAY, minutes=30, task=first)

        assert (logged(first), logged(second)) == (120, 0)
        assert untasked(first.project) == 0

    def test_an_entry_without_a_task_counts_on_its_project(self, employee):
        project = task_create(project=TeamFactory().project, name="x").project

        entry = timesheet_log(employee=employee, date=DAY, minutes=45, project=project)

        assert untasked(project) == 45
        timesheet_update(entry=entry, minutes=60)
        assert untasked(project) == 60
        timesheet_delete(entry=entry)
        assert untasked(project) == 0

    def test_editing_and_deleting_update_the_task(self, two_tasks, employee):
        first, _, ticket = two_tasks
        entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)

        timesheet_update(entry=entry, minutes=hours(3))
        assert logged(first) == hours(3)

        timesheet_delete(entry=entry)
        assert logged(first) == 0

    def test_moving_an_entry_recomputes_both_tasks_and_the_project(self, two_tasks, employee):
        first, second, _ = two_tasks
        entry = timesheet_log(employee=employee, date=DAY, minutes=50, task=first)

        timesheet_update(entry=entry, task=second)
        assert (logged(first), logged(second)) == (0, 50)

        timesheet_update(entry=entry, task=None, project=first.project)
        assert (logged(second), untasked(first.project)) == (0, 50)

        timesheet_update(entry=entry, task=first)
        assert (logged(first), untasked(first.project)) == (50, 0)

    def test_a_ticket_task_change_moves_the_uninvoiced_minutes_only(self, two_tasks, employee):
        first, second, ticket = two_tasks
        billed = timesheet_log(employee=employee, date=day(1), minutes=60, ticket=ticket)
        timesheet_log(employee=employee, date=DAY, minutes=30, ticket=ticket)
        invoice_entry(entry=billed)

        ticket_set_task(ticket=ticket, task=second)

        assert (logged(first), logged(second)) == (60, 30)

    def test_a_ticket_left_without_a_task_puts_its_minutes_on_the_project(
        self, two_tasks, employee
    ):
        first, _, ticket = two_tasks
        timesheet_log(employee=employee, date=DAY, minutes=40, ticket=ticket)

        ticket_set_task(ticket=ticket, task=None)
        assert (logged(first), untasked(first.project)) == (0, 40)

        ticket_set_task(ticket=ticket, task=first)
        assert (logged(first), untasked(first.project)) == (40, 0)

    def test_a_ticket_moved_to_another_team_takes_its_uninvoiced_entries_to_its_project(
        self, two_tasks, employee
    ):
        first, _, ticket = two_tasks
        billed = timesheet_log(employee=employee, date=day(1), minutes=60, ticket=ticket)
        open_entry = timesheet_log(employee=employee, date=DAY, minutes=25, ticket=ticket)
        invoice_entry(entry=billed)
        other_team = TeamFactory(use_timesheets=True)

        ticket_update(ticket=ticket, team=other_team, task=None)

        billed.refresh_from_db()
        open_entry.refresh_from_db()
        assert (billed.project_id, billed.task_id) == (first.project_id, first.pk)
        assert (open_entry.project_id, open_entry.task_id) == (other_team.project_id, None)
        assert (logged(first), untasked(other_team.project)) == (60, 25)
        assert untasked(first.project) == 0
        assert recompute_all_delivered(fix=False) == []

    def test_a_task_billing_another_line_keeps_its_minutes(self, employee):
        product, customer = build_product(), CustomerFactory()
        line = build_order_line(product=product, quantity=5, customer=customer)
        other = build_order_line(product=build_product(), quantity=5, customer=customer)
        task = line.tasks.get()
        timesheet_log(employee=employee, date=DAY, minutes=75, task=task)
        other.tasks.all().delete()  # the line is free for this task

        task_update(task=task, sale_line=other)

        assert logged(task) == 75


@pytest.mark.django_db
def test_the_project_list_shows_the_tasks_minutes_plus_those_without_a_task(two_tasks, employee):
    first, second, ticket = two_tasks
    timesheet_log(employee=employee, date=DAY, minutes=60, ticket=ticket)
    timesheet_log(employee=employee, date=DAY, minutes=30, task=second)
    timesheet_log(employee=employee, date=DAY, minutes=15, project=first.project)

    project = project_list().get(pk=first.project_id)

    assert project.logged_minutes == 105
    assert project.allocated_hours == first.allocated_hours + second.allocated_hours


@pytest.mark.django_db
def test_check_reports_a_corrupted_task_and_the_fix_heals_it(two_tasks, employee):
    first, _, ticket = two_tasks
    timesheet_log(employee=employee, date=DAY, minutes=60, ticket=ticket)
    Task.objects.filter(pk=first.pk).update(logged_minutes=7)
    Project.objects.filter(pk=first.project_id).update(untasked_minutes=3)

    with pytest.raises(CommandError) as caught:
        call_command("recompute_delivered", "--check", stdout=io.StringIO())
    assert "2 task / project figure(s)" in str(caught.value)
    assert logged(first) == 7

    differences = recompute_all_delivered(fix=True)

    assert {(d.kind, d.pk, d.stored_minutes, d.expected_minutes) for d in differences} == {
        ("task", first.pk, 7, 60),
        ("project", first.project_id, 3, 0),
    }
    assert (logged(first), untasked(first.project)) == (60, 0)


# --- races on PostgreSQL ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_logs_on_one_task_and_its_project_sum_exactly(postgres_only, two_tasks):
    first, _, ticket = two_tasks
    other_ticket = ticket_create(
        team=ticket.team, customer=ticket.customer, subject="Other", task=first
    )
    employees = [StaffUserFactory() for _ in range(12)]

    def log(n: int) -> Callable[[], object]:
        where = [{"ticket": ticket}, {"ticket": other_ticket}, {"project": first.project}][n % 3]
        return lambda: timesheet_log(employee=employees[n], date=DAY, minutes=30, **where)

    results = run_together([log(n) for n in range(12)])

    assert all(isinstance(result, TimesheetEntry) for result in results), results
    assert (logged(first), untasked(first.project)) == (8 * 30, 4 * 30)


@pytest.mark.django_db(transaction=True)
def test_logging_while_a_ticket_changes_task_neither_deadlocks_nor_loses_minutes(
    postgres_only, two_tasks
):
    """The ticket's move locks its entries, then the tasks, then the lines; a log on
    another ticket of the new task holds that task and then wants its line: tasks are
    locked before lines on both paths, so one waits for the other."""
    first, second, ticket = two_tasks
    on_second = ticket_create(
        team=ticket.team, customer=ticket.customer, subject="Second", task=second
    )
    employees = [StaffUserFactory() for _ in range(8)]
    for n in range(4):
        timesheet_log(employee=employees[n], date=DAY, minutes=10, ticket=ticket)

    def move() -> object:
        return ticket_set_task(ticket=ticket, task=second)

    def log(n: int) -> Callable[[], object]:
        return lambda: timesheet_log(employee=employees[n], date=DAY, minutes=20, ticket=on_second)

    results = run_together([move, *(log(n) for n in range(4, 8))])

    assert not any(isinstance(result, Exception) for result in results), results
    assert (logged(first), logged(second)) == (0, 4 * 10 + 4 * 20)
    assert recompute_all_delivered(fix=False) == []
