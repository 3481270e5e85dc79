"""What the performance rewrites of issue 7 must keep: the same rows, choices and markup."""

import datetime

import pytest
from django.urls import reverse

from projects.models import Task
from sales.models import WorkType
from tests.builders import build_ticket_world
from tests.factories import CustomerFactory, ProjectFactory, TaskFactory, TicketFactory
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def by_each_path(manager, features):
    """One entry of the world's customer reachable only through its ticket, one only
    through its task, one only through its order line, and one of another customer."""
    world = build_ticket_world()
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
    assert response.context["totals"] == {"total": 0, "billable": 0, "billed": 0, "invoiced": 0}


def test_the_filter_selects_keep_the_chosen_option_selected(as_user, manager, by_each_path):
    customer, _ = by_each_path
    html = as_user(manager).get(reverse("timesheets:all"), {"customer": customer.pk}).text
    assert f'<option value="{customer.pk}" selected>{customer.name}</option>' in html


def test_week_grid_cells_post_to_the_cell_view_and_name_their_day(as_user, helpdesk_user, features):
    world = build_ticket_world()
    timesheet_log(employee=helpdesk_user, date=DAY, minutes=90, ticket=world.ticket)
    html = as_user(helpdesk_user).get(reverse("timesheets:my_week"), {"week": DAY}).text
    key = f"ticket-{world.ticket.pk}-w{WorkType.default().pk}"  # the row: ticket, work type
    cell = f"cell-{key}-20260302"
    assert f'<td id="{cell}" class="cell num">' in html
    assert (
        f'aria-label="#{world.ticket.pk} {world.ticket.subject}, Support, Monday 2 March"' in html
    )
    assert 'value="1:30"' in html
    assert f'hx-post="{reverse("timesheets:week_cell")}"' in html
    # The row's key comes from its <tr>, the day from the input (htmx merges hx-vals), and
    # the cell is swapped by the target inherited from the <tbody>.
    assert f"""<tr hx-vals='{{"row": "{key}"}}'>""" in html
    assert """hx-vals='{"date": "2026-03-02"}'""" in html
    assert '<tbody hx-target="closest td" hx-swap="outerHTML">' in html


def _appsettings_reads(captured) -> int:
    return sum("core_appsettings" in query["sql"] for query in captured)


def test_the_timesheets_tab_rows_act_through_htmx_without_a_form_each(as_user, manager, features):
    world = build_ticket_world()
    entry = timesheet_log(employee=manager, date=DAY, minutes=45, ticket=world.ticket)
    tab = reverse("timesheets:ticket_entries", args=[world.ticket.pk])
    delete = reverse("timesheets:ticket_entry_delete", args=[world.ticket.pk, entry.pk])
    html = as_user(manager).get(tab).text
    # Each row swaps the whole panel: the target and swap are inherited from the <tbody>;
    # Delete posts with the page's X-CSRFToken header, not a form of its own per row.
    assert '<tbody hx-target="#entries-panel" hx-swap="outerHTML">' in html
    assert f'hx-post="{delete}" hx-confirm="Delete this entry?"' in html
    assert f'hx-get="{tab}?edit={entry.pk}" aria-label="Edit entry of 2026-03-02">Edit' in html
    assert f'action="{delete}"' not in html
    assert "History of the entry of 2026-03-02" in html
    assert '<td class="num">0:45</td>' in html


def test_the_timesheets_tab_edits_one_row_between_the_others(as_user, manager, features):
    world = build_ticket_world()
    entries = [
        timesheet_log(
            employee=manager,
            date=DAY + datetime.timedelta(days=d),
            minutes=10 + d,
            ticket=world.ticket,
        )
        for d in range(3)
    ]
    tab = reverse("timesheets:ticket_entries", args=[world.ticket.pk])
    html = as_user(manager).get(f"{tab}?edit={entries[1].pk}").text
    newest, editing, oldest = (html.find(f'id="entry-{e.pk}"') for e in entries[::-1])
    form = html.find('<tr class="editing">')
    assert 0 < newest < form < oldest and editing == -1
    assert 'value="0:11"' in html


def test_settings_are_read_once_a_request(as_user, manager, features):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = build_ticket_world()
    client = as_user(manager)
    for url in (
        reverse("timesheets:ticket_entries", args=[world.ticket.pk]),
        reverse("helpdesk:ticket_detail", args=[world.ticket.pk]),
        reverse("timesheets:my_week"),
    ):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert _appsettings_reads(captured.captured_queries) == 1, url


def test_the_ticket_form_reuses_the_tickets_team_and_customer(as_user, manager, features):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = build_ticket_world()
    with CaptureQueriesContext(connection) as captured:
        as_user(manager).get(reverse("helpdesk:ticket_detail", args=[world.ticket.pk]))
    by_pk = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "helpdesk_helpdeskteam"' in q["sql"] and "WHERE" in q["sql"]
    ]
    assert by_pk == []  # the team (and the customer) come with the ticket's select_related
    task_select = [
        q["sql"] for q in captured.captured_queries if 'FROM "projects_task"' in q["sql"]
    ]
    assert task_select and all('"projects_task"."description"' not in sql for sql in task_select)


def test_the_order_lines_are_rendered_with_their_actions(as_user, manager, features):
    from sales import services as sales_services
    from tests.factories import ProductFactory

    product = ProductFactory()
    order = sales_services.order_create(
        customer=CustomerFactory(),
        lines=[{"product": product, "quantity": "2", "description": "Two <b>days</b>\nonsite"}],
    )
    line = order.lines.get()
    html = as_user(manager).get(reverse("sales:order_detail", args=[order.pk])).text
    delete = reverse("sales:line_delete", args=[line.pk])
    assert f'<tr id="line-{line.pk}">' in html
    assert "Two &lt;b&gt;days&lt;/b&gt;<br>onsite" in html
    assert '<td class="num" data-label="Quantity">2.00</td>' in html
    assert 'aria-label="Edit line Two &lt;b&gt;days&lt;/b&gt;">Edit</a>' in html
    # A quotation's lines can be deleted, without JavaScript too (a form with its token).
    assert f'<form method="post" action="{delete}" hx-post="{delete}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    edit = (
        as_user(manager).get(reverse("sales:order_detail", args=[order.pk]), {"edit": line.pk}).text
    )
    assert 'class="editing"' in edit and "Save line" in edit


def test_all_timesheets_pages_carry_the_totals_of_every_filtered_entry(as_user, manager, features):
    world = build_ticket_world()
    for day in range(60):
        timesheet_log(
            employee=manager,
            date=DAY + datetime.timedelta(days=day),
            minutes=10,
            ticket=world.ticket,
        )
    client = as_user(manager)
    url = reverse("timesheets:all")
    second = client.get(url, {"page": 2}).context
    assert len(second["entries"]) == 10
    assert second["page"].number == 2 and second["page"].paginator.count == 60
    assert second["totals"] == {"total": 600, "billable": 600, "billed": 600, "invoiced": 0}
    past = client.get(url, {"page": 9}).context  # past the last page: the last one
    assert past["page"].number == 2 and len(past["entries"]) == 10
    assert past["totals"]["total"] == 600
