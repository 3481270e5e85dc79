"""A ticket's task (DOMAIN.md rule 9) and its entries following it (rules 10, 13)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from helpdesk.models import Ticket
from helpdesk.selectors import tasks_for_ticket
from helpdesk.services import ticket_create, ticket_set_task, ticket_update
from projects.services import task_create
from tests.builders import (
    DAY,
    build_hours_ticket,
    build_order_line,
    build_product,
    build_ticket,
    day,
    delivered,
    hours,
    invoice_entry,
)
from tests.factories import CustomerFactory, ProjectFactory, TeamFactory
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orders_in_one_project():
    """Two confirmed orders of one customer whose tasks share the helpdesk project."""
    customer = CustomerFactory()
    project = ProjectFactory()
    first = build_order_line(product=build_product(project=project), quantity=10, customer=customer)
    second = build_order_line(
        product=build_product(project=project), quantity=10, customer=customer
    )
    team = TeamFactory(project=project, use_timesheets=True)
    return team, first, second


# --- rule 9: which task a ticket may link to -----------------------------------------------


def test_a_ticket_can_only_pick_tasks_of_its_customers_orders_in_the_team_project():
    project = ProjectFactory()
    customer, other_customer = CustomerFactory(), CustomerFactory()
    own = build_order_line(product=build_product(project=project), quantity=1, customer=customer)
    foreign = build_order_line(
        product=build_product(project=project), quantity=1, customer=other_customer
    )
    elsewhere = build_order_line(product=build_product(), quantity=1, customer=customer)
    internal = task_create(project=project, name="Internal upkeep")
    team = TeamFactory(project=project, use_timesheets=True)

    choices = set(tasks_for_ticket(team=team, customer=customer))

    assert choices == {own.tasks.get(), internal}
    assert foreign.tasks.get() not in choices
    assert elsewhere.tasks.get() not in choices


def test_a_task_of_another_customer_is_refused_naming_the_task_field():
    line = build_order_line(product=build_product(), quantity=1)
    team = TeamFactory(project=line.tasks.get().project, use_timesheets=True)
    tickets_before = Ticket.objects.count()

    with pytest.raises(ValidationError) as caught:
        ticket_create(
            team=team, customer=CustomerFactory(), subject="Not mine", task=line.tasks.get()
        )

    assert "another customer" in caught.value.message_dict["task"][0]
    assert Ticket.objects.count() == tickets_before


def test_a_task_of_another_project_is_refused_naming_the_task_field():
    line = build_order_line(product=build_product(), quantity=1)
    team = TeamFactory(project=ProjectFactory(), use_timesheets=True)

    with pytest.raises(ValidationError) as caught:
        ticket_create(
            team=team, customer=line.order.customer, subject="Wrong", task=line.tasks.get()
        )

    assert "project" in caught.value.message_dict["task"][0]
    assert not Ticket.objects.exists()


def test_setting_a_task_of_another_customer_leaves_the_ticket_unchanged():
    line = build_order_line(product=build_product(), quantity=1)
    foreign = build_order_line(product=build_product(project=line.tasks.get().project), quantity=1)
    ticket = build_ticket(line=line)

    with pytest.raises(ValidationError) as caught:
        ticket_set_task(ticket=ticket, task=foreign.tasks.get())

    assert "task" in caught.value.message_dict
    assert Ticket.objects.get(pk=ticket.pk).task == line.tasks.get()


# --- rules 10 and 13: one record, following the ticket's task -------------------------------


def test_a_ticket_entry_belongs_to_the_team_project_and_the_ticket_task(employee):
    line, ticket = build_hours_ticket()

    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(1), ticket=ticket)

    assert (entry.project, entry.task, entry.sale_line) == (
        ticket.team.project,
        line.tasks.get(),
        line,
    )
    # One record, seen from the ticket and from the task.
    assert list(ticket.timesheet_entries.all()) == [entry]
    assert list(line.tasks.get().timesheet_entries.all()) == [entry]


def test_changing_the_ticket_task_moves_only_its_uninvoiced_entries(
    employee, two_orders_in_one_project
):
    team, first, second = two_orders_in_one_project
    ticket = ticket_create(
        team=team, customer=first.order.customer, subject="Moves", task=first.tasks.get()
    )
    invoiced = timesheet_log(employee=employee, date=day(1), minutes=hours(3), ticket=ticket)
    free = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)
    invoice_entry(entry=invoiced)

    ticket_set_task(ticket=ticket, task=second.tasks.get())

    invoiced.refresh_from_db()
    free.refresh_from_db()
    assert (invoiced.task, invoiced.sale_line) == (first.tasks.get(), first)
    assert (free.task, free.sale_line) == (second.tasks.get(), second)
    assert delivered(first) == Decimal("3.00")
    assert delivered(second) == Decimal("2.00")


def test_ticket_update_with_a_task_moves_the_entries_too(employee, two_orders_in_one_project):
    team, first, second = two_orders_in_one_project
    ticket = ticket_create(
        team=team, customer=first.order.customer, subject="Moves", task=first.tasks.get()
    )
    timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)

    ticket_update(ticket=ticket, task=second.tasks.get(), subject="Moved")

    assert delivered(first) == Decimal("0.00")
    assert delivered(second) == Decimal("2.00")


def test_unlinking_the_ticket_task_makes_its_entries_non_billable(employee):
    line, ticket = build_hours_ticket()
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(2), ticket=ticket)

    ticket_set_task(ticket=ticket, task=None)

    entry.refresh_from_db()
    assert (entry.task, entry.sale_line) == (None, None)
    assert delivered(line) == Decimal("0.00")


def test_time_logged_after_a_task_change_follows_the_new_task_even_from_a_stale_ticket(
    employee, two_orders_in_one_project
):
    team, first, second = two_orders_in_one_project
    ticket = ticket_create(
        team=team, customer=first.order.customer, subject="Stale", task=first.tasks.get()
    )

    ticket_set_task(ticket=ticket, task=second.tasks.get())  # `ticket` still says `first`
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours(1), ticket=ticket)

    assert (entry.task, entry.sale_line) == (second.tasks.get(), second)
    assert delivered(second) == Decimal("1.00")
