"""What the performance rewrites of issue 7 must keep: the same rows, choices and markup."""

import datetime

import pytest
from django.urls import reverse

from projects.models import Task
from tests.factories import CustomerFactory, ProjectFactory, TaskFactory, TicketFactory
from tests.web.conftest import make_world
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def by_each_path(manager, features):
    """One entry of the world's customer reachable only through its ticket, one only
    through its task, one only through its order line, and one of another customer."""
    world = make_world()
    customer = world.ticket.customer
    Task.objects.filter(pk=world.task.pk).update(customer=None)  # the order line alone
    on_line = timesheet_log(employee=manager, date=DAY, minutes=10, task=world.task)
    bare_ticket = TicketFactory(team=world.team, customer=customer)
    on_ticket = timesheet_log(employee=manager, date=DAY, minutes=20, ticket=bare_ticket)
    own_task = TaskFactory(project=ProjectFactory(), customer=customer)
    on_task = timesheet_log(employee=manager, date=DAY, minutes=30, task=own_task)
    stranger = TicketFactory(team=world.team, customer=CustomerFactory())
    timesheet_log(employee=manager, date=DAY, minutes=40, ticket=stranger)
    return customer, {on_line, on_ticket, on_task}


def test_the_customer_filter_finds_entries_by_ticket_task_or_order_line(
    as_user, manager, by_each_path
):
    customer, expected = by_each_path
    response = as_user(manager).get(reverse("timesheets:all"), {"customer": customer.pk})
    assert set(response.context["entries"]) == expected
    assert response.context["totals"]["total"] == 60
    assert response.context["page"].paginator.count == 3


def test_a_customer_with_nothing_logged_shows_no_entry(as_user, manager, by_each_path):
    response = as_user(manager).get(reverse("timesheets:all"), {"customer": CustomerFactory().pk})
    assert list(response.context["entries"]) == []
    assert response.context["totals"] == {"total": 0, "billable": 0, "billed": 0}


def test_the_filter_selects_keep_the_chosen_option_selected(as_user, manager, by_each_path):
    customer, _ = by_each_path
    html = as_user(manager).get(reverse("timesheets:all"), {"customer": customer.pk}).text
    assert f'<option value="{customer.pk}" selected>{customer.name}</option>' in html


def test_week_grid_cells_post_to_the_cell_view_and_name_their_day(as_user, helpdesk_user, features):
    world = make_world()
    timesheet_log(employee=helpdesk_user, date=DAY, minutes=90, ticket=world.ticket)
    html = as_user(helpdesk_user).get(reverse("timesheets:my_week"), {"week": DAY}).text
    cell = f"cell-ticket-{world.ticket.pk}-20260302"
    assert f'<td id="{cell}" class="cell num">' in html
    assert f'aria-label="#{world.ticket.pk} {world.ticket.subject}, Monday 2 March"' in html
    assert 'value="1:30"' in html
    assert f'hx-post="{reverse("timesheets:week_cell")}"' in html
    # The row's key comes from its <tr>, the day from the input (htmx merges hx-vals), and
    # the cell is swapped by the target inherited from the <tbody>.
    assert f"""<tr hx-vals='{{"row": "ticket-{world.ticket.pk}"}}'>""" in html
    assert """hx-vals='{"date": "2026-03-02"}'""" in html
    assert '<tbody hx-target="closest td" hx-swap="outerHTML">' in html
