"""Entries that follow their ticket (rules 10, 13) record the move and who made it.

The move is one bulk UPDATE, which django-simple-history does not see; the timesheet
service writes the entries' "Changed" history itself, naming the actor the helpdesk
signal carries.
"""

import pytest
from django.urls import reverse

from helpdesk.services import ticket_create, ticket_set_task, ticket_update
from projects.services import project_create
from tests.api.conftest import token_client
from tests.builders import DAY, build_order_line, build_product, day, hours, invoice_entry
from tests.factories import CustomerFactory, ManagerFactory, ProjectFactory, TeamFactory
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket_with_two_tasks():
    customer = CustomerFactory()
    project = ProjectFactory()
    first = build_order_line(product=build_product(project=project), quantity=10, customer=customer)
    second = build_order_line(
        product=build_product(project=project), quantity=10, customer=customer
    )
    team = TeamFactory(project=project, use_timesheets=True)
    ticket = ticket_create(team=team, customer=customer, subject="Moves", task=first.tasks.get())
    return ticket, first.tasks.get(), second.tasks.get()


def _last_change(entry: TimesheetEntry):
    return entry.history.order_by("-history_id").first()


def test_a_task_change_through_the_api_records_the_moved_entries_and_the_manager(
    employee, ticket_with_two_tasks
):
    ticket, first, second = ticket_with_two_tasks
    free = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)
    invoiced = timesheet_log(employee=employee, date=day(1), minutes=hours(1), ticket=ticket)
    invoice_entry(entry=invoiced)
    invoiced_history = invoiced.history.count()
    manager = ManagerFactory()

    response = token_client(manager).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"task": second.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    change = _last_change(free)
    assert change.history_type == "~"
    assert change.history_user == manager
    assert (change.task_id, change.sale_line_id) == (second.pk, second.sale_line_id)
    assert f"ticket #{ticket.pk}" in change.history_change_reason
    assert change.prev_record.task_id == first.pk
    assert invoiced.history.count() == invoiced_history  # it stayed where it was billed


def test_the_entry_history_page_shows_who_moved_it_to_which_task(
    client, employee, ticket_with_two_tasks
):
    ticket, first, second = ticket_with_two_tasks
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)
    manager = ManagerFactory(first_name="Mona", last_name="Mover")

    ticket_set_task(ticket=ticket, task=second, actor=manager)

    client.force_login(manager)
    page = client.get(reverse("core:history", args=["timesheets.timesheetentry", entry.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Mona Mover" in text
    assert f"<strong>task</strong>: {first.pk} → {second.pk}" in text


def test_a_team_change_records_the_entries_moving_project_and_who_moved_them(employee):
    customer = CustomerFactory()
    old_team = TeamFactory(use_timesheets=True)
    new_team = TeamFactory(project=project_create(name="Level 2"), use_timesheets=True)
    ticket = ticket_create(team=old_team, customer=customer, subject="Escalated")
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(1), ticket=ticket)
    manager = ManagerFactory()

    ticket_update(ticket=ticket, team=new_team, actor=manager)

    change = _last_change(entry)
    assert change.history_type == "~"
    assert change.history_user == manager
    assert change.project_id == new_team.project_id
    assert change.prev_record.project_id == old_team.project_id
