"""Timesheets pages: My Timesheets (the week grid) and All Timesheets with CSV export."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.services import invoice_create_from_order
from sales.models import WorkType
from tests.builders import build_ticket_world
from tests.factories import ProjectFactory, StaffUserFactory, TicketFactory
from tests.web.conftest import HTMX
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def week_url(monday=MONDAY, **params):
    query = "&".join(f"{k}={v}" for k, v in {"week": monday.isoformat(), **params}.items())
    return f"{reverse('timesheets:my_week')}?{query}"


def type_in_cell(client, row, date, duration):
    return client.post(
        reverse("timesheets:week_cell"),
        {"row": row, "date": date.isoformat(), "duration": duration},
        **HTMX,
    )


# --- My Timesheets ------------------------------------------------------------------------


def test_my_timesheets_is_for_users_and_managers(
    as_user, helpdesk_user, manager, no_role_user, features
):
    assert as_user(helpdesk_user).get(week_url()).status_code == 200
    assert as_user(manager).get(week_url()).status_code == 200
    assert as_user(no_role_user).get(week_url()).status_code == 403


def test_the_week_grid_has_a_row_per_ticket_and_totals(as_user, helpdesk_user, world):
    timesheet_log(employee=helpdesk_user, date=MONDAY, minutes=60, ticket=world.ticket)
    timesheet_log(
        employee=helpdesk_user,
        date=MONDAY + datetime.timedelta(days=2),
        minutes=30,
        task=world.task,
    )
    timesheet_log(
        employee=helpdesk_user,
        date=MONDAY - datetime.timedelta(days=1),
        minutes=45,
        task=world.task,
    )
    timesheet_log(employee=StaffUserFactory(), date=MONDAY, minutes=600, ticket=world.ticket)
    response = as_user(helpdesk_user).get(week_url(MONDAY + datetime.timedelta(days=3)))
    grid = response.context["grid"]
    assert grid.monday == MONDAY
    support = WorkType.default().pk
    assert {row.key: row.minutes for row in grid.rows} == {
        f"ticket-{world.ticket.pk}-w{support}": 60,
        f"task-{world.task.pk}-w{support}": 30,
    }
    assert [minutes for _, minutes in grid.day_totals] == [60, 0, 30, 0, 0, 0, 0]
    assert grid.minutes == 90
    html = response.content.decode()
    assert 'id="week-total">1:30<' in html
    assert "week=2026-02-23" in html and "week=2026-03-09" in html  # previous / next week


def test_typing_into_an_empty_cell_logs_an_entry_and_updates_delivered(
    as_user, helpdesk_user, world
):
    response = type_in_cell(as_user(helpdesk_user), f"ticket-{world.ticket.pk}", MONDAY, "1:30")
    assert response.status_code == 200
    entry = TimesheetEntry.objects.get()
    assert (entry.employee, entry.date, entry.minutes, entry.ticket, entry.task) == (
        helpdesk_user,
        MONDAY,
        90,
        world.ticket,
        world.task,
    )
    world.line.refresh_from_db()
    assert world.line.qty_delivered == Decimal("1.50")
    html = response.content.decode()
    support = WorkType.default().pk
    assert html.lstrip().startswith(f'<td id="cell-ticket-{world.ticket.pk}-w{support}-20260302"')
    assert 'id="week-total" hx-swap-oob="true">1:30<' in html


def test_typing_into_a_cell_with_one_entry_updates_it_and_clearing_deletes_it(
    as_user, helpdesk_user, world
):
    entry = timesheet_log(employee=helpdesk_user, date=MONDAY, minutes=60, task=world.task)
    client = as_user(helpdesk_user)
    type_in_cell(client, f"task-{world.task.pk}", MONDAY, "2.5")
    entry.refresh_from_db()
    assert entry.minutes == 150
    assert TimesheetEntry.objects.count() == 1
    type_in_cell(client, f"task-{world.task.pk}", MONDAY, "")
    assert not TimesheetEntry.objects.exists()
    world.line.refresh_from_db()
    assert world.line.qty_delivered == Decimal("0.00")


def test_a_cell_with_several_entries_shows_the_total_and_is_not_typed_into(
    as_user, helpdesk_user, world
):
    for minutes in (30, 45):
        timesheet_log(employee=helpdesk_user, date=MONDAY, minutes=minutes, ticket=world.ticket)
    client = as_user(helpdesk_user)
    html = client.get(week_url()).content.decode()
    cell_id = f"cell-ticket-{world.ticket.pk}-w{WorkType.default().pk}-20260302"
    cell = html.split(f'id="{cell_id}"')[1].split("</td>")[0]
    assert "1:15" in cell and "<input" not in cell
    assert reverse("helpdesk:ticket_detail", args=[world.ticket.pk]) in cell
    response = type_in_cell(client, f"ticket-{world.ticket.pk}", MONDAY, "3")
    assert "Several entries" in response.content.decode()
    assert sorted(TimesheetEntry.objects.values_list("minutes", flat=True)) == [30, 45]


def test_a_bad_value_in_a_cell_shows_a_message_and_keeps_what_was_typed(
    as_user, helpdesk_user, world
):
    response = type_in_cell(as_user(helpdesk_user), f"task-{world.task.pk}", MONDAY, "lots")
    html = response.content.decode()
    assert "is not a duration" in html and 'value="lots"' in html
    assert not TimesheetEntry.objects.exists()


def test_more_than_24_hours_on_a_day_is_refused_in_the_grid(as_user, helpdesk_user, world):
    timesheet_log(employee=helpdesk_user, date=MONDAY, minutes=23 * 60, task=world.task)
    response = type_in_cell(as_user(helpdesk_user), f"ticket-{world.ticket.pk}", MONDAY, "2")
    assert "at most 24:00" in response.content.decode()
    assert TimesheetEntry.objects.count() == 1


def test_an_added_line_appears_empty_in_the_grid(as_user, helpdesk_user, world):
    response = as_user(helpdesk_user).get(week_url(add=f"ticket-{world.ticket.pk}"))
    rows = response.context["grid"].rows
    assert [row.key for row in rows] == [f"ticket-{world.ticket.pk}-w{WorkType.default().pk}"]
    assert rows[0].minutes == 0
    choices = dict(response.context["add_row_form"].fields["add"].choices)
    assert f"task-{world.task.pk}" in dict(choices["Tasks"])


def test_the_week_grid_runs_a_constant_number_of_queries(
    as_user, helpdesk_user, world, count_queries, django_assert_max_num_queries
):
    as_user(helpdesk_user)
    timesheet_log(employee=helpdesk_user, date=MONDAY, minutes=10, ticket=world.ticket)
    one, _ = count_queries(week_url())
    for _ in range(49):
        ticket = TicketFactory(team=world.team, customer=world.ticket.customer)
        timesheet_log(employee=helpdesk_user, date=MONDAY, minutes=10, ticket=ticket)
    with django_assert_max_num_queries(one):
        _, response = count_queries(week_url())
    assert len(response.context["grid"].rows) == 50


# --- All Timesheets -----------------------------------------------------------------------


@pytest.fixture
def three_kinds(manager, world):
    """One billed, one not billed and one non-billable entry."""
    billed = timesheet_log(employee=manager, date=MONDAY, minutes=60, ticket=world.ticket)
    invoice_create_from_order(order=world.line.order)
    unbilled = timesheet_log(
        employee=manager, date=MONDAY + datetime.timedelta(days=1), minutes=30, ticket=world.ticket
    )
    other = StaffUserFactory(first_name="Olga", last_name="Other")
    free = timesheet_log(
        employee=other,
        date=MONDAY + datetime.timedelta(days=5),
        minutes=15,
        project=ProjectFactory(),
    )
    return {"billed": billed, "not_billed": unbilled, "non_billable": free, "other": other}


def test_all_timesheets_is_for_managers_only(as_user, helpdesk_user, manager, features):
    assert as_user(helpdesk_user).get(reverse("timesheets:all")).status_code == 403
    assert as_user(helpdesk_user).get(reverse("timesheets:export_csv")).status_code == 403
    assert as_user(manager).get(reverse("timesheets:all")).status_code == 200


@pytest.mark.parametrize("billing", ["billed", "not_billed", "non_billable"])
def test_all_timesheets_filters_by_billing(as_user, manager, three_kinds, billing):
    response = as_user(manager).get(reverse("timesheets:all"), {"billing": billing})
    assert list(response.context["entries"]) == [three_kinds[billing]]


def test_all_timesheets_filters_and_totals(as_user, manager, world, three_kinds):
    client = as_user(manager)
    url = reverse("timesheets:all")
    everything = client.get(url).context
    assert everything["totals"] == {"total": 105, "billable": 90, "billed": 90, "invoiced": 60}
    by_employee = client.get(url, {"employee": three_kinds["other"].pk}).context
    assert list(by_employee["entries"]) == [three_kinds["non_billable"]]
    by_customer = client.get(url, {"customer": world.ticket.customer_id}).context
    assert by_customer["totals"]["total"] == 90
    by_project = client.get(url, {"project": world.team.project_id}).context
    assert by_project["totals"]["total"] == 90
    by_dates = client.get(
        url, {"date_from": MONDAY.isoformat(), "date_to": MONDAY.isoformat()}
    ).context
    assert list(by_dates["entries"]) == [three_kinds["billed"]]
    assert "1:45" in client.get(url).content.decode()


def test_the_csv_export_has_the_filtered_entries(as_user, manager, world, three_kinds):
    response = as_user(manager).get(reverse("timesheets:export_csv"), {"billing": "not_billed"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Date",
        "Employee",
        "Project",
        "Task",
        "Ticket",
        "Description",
        "Work type",
        "Worked (H:MM)",
        "Worked hours",
        "Billed (H:MM)",
        "Billed hours",
        "Sales order",
        "Billing",
        "Approval",
        "Billed time adjusted",
    ]
    assert rows[1:] == [
        [
            "2026-03-03",
            "Mia Manager",
            world.team.project.name,
            world.task.name,
            f"#{world.ticket.pk} {world.ticket.subject}",
            "",
            "Support",
            "0:30",
            "0.50",
            "0:30",
            "0.50",
            world.line.order.name,
            "Not invoiced",
            "",
            "",
        ]
    ]


def test_the_export_link_keeps_the_filters(as_user, manager, features):
    html = as_user(manager).get(reverse("timesheets:all"), {"billing": "billed"}).content.decode()
    assert f"{reverse('timesheets:export_csv')}?billing=billed" in html


def test_all_timesheets_runs_a_constant_number_of_queries(
    as_user, manager, world, count_queries, django_assert_max_num_queries
):
    as_user(manager)
    timesheet_log(employee=manager, date=MONDAY, minutes=10, ticket=world.ticket)
    one, _ = count_queries(reverse("timesheets:all"))
    for day in range(49):
        timesheet_log(
            employee=StaffUserFactory(),
            date=MONDAY + datetime.timedelta(days=day),
            minutes=10,
            ticket=build_ticket_world().ticket,
        )
    with django_assert_max_num_queries(one):
        _, response = count_queries(reverse("timesheets:all"))
    assert len(response.context["entries"]) == 50


def test_the_csv_export_defuses_spreadsheet_formulas(as_user, manager, world):
    timesheet_log(
        employee=manager, date=MONDAY, minutes=30, ticket=world.ticket, description="=HYPERLINK(1)"
    )
    response = as_user(manager).get(reverse("timesheets:export_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][5] == "'=HYPERLINK(1)"
