"""Helpdesk pages: teams, tickets, the ticket form and its Timesheets tab (htmx)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AppSettings
from helpdesk.models import Ticket
from invoicing.services import invoice_create_from_order
from tests.builders import build_ticket_world, log_time
from tests.builders import delivered as delivered_of
from tests.factories import CustomerFactory, StaffUserFactory, TeamFactory, TicketFactory
from tests.web.conftest import HTMX
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


def log(world, user, minutes, date=None, description="work"):
    return log_time(
        employee=user,
        date=date or datetime.date.today(),
        minutes=minutes,
        ticket=world.ticket,
        description=description,
    )


def delivered(world) -> Decimal:
    return delivered_of(world.line)


# --- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["helpdesk:team_list", "helpdesk:ticket_list", "helpdesk:ticket_create"]
)
def test_helpdesk_pages_open_for_users_and_managers_and_403_without_a_role(
    as_user, helpdesk_user, manager, no_role_user, features, name
):
    url = reverse(name)
    assert as_user(helpdesk_user).get(url).status_code == 200
    assert as_user(manager).get(url).status_code == 200
    assert as_user(no_role_user).get(url).status_code == 403


def test_a_user_without_a_role_cannot_open_or_post_a_ticket(as_user, no_role_user, world):
    client = as_user(no_role_user)
    url = reverse("helpdesk:ticket_detail", args=[world.ticket.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"subject": "x"}).status_code == 403
    add = reverse("timesheets:ticket_entry_add", args=[world.ticket.pk])
    assert client.post(add, {"date": "2026-01-05", "duration": "1"}).status_code == 403


# --- teams overview ---------------------------------------------------------------------


def test_teams_overview_counts_open_tickets_and_this_weeks_hours(as_user, helpdesk_user, world):
    TicketFactory(team=world.team, customer=world.ticket.customer, stage=Ticket.SOLVED)
    TicketFactory(team=world.team, customer=world.ticket.customer, stage=Ticket.IN_PROGRESS)
    log(world, helpdesk_user, 90)
    log(world, helpdesk_user, 30, date=datetime.date.today() - datetime.timedelta(days=14))
    response = as_user(helpdesk_user).get(reverse("helpdesk:team_list"))
    team = next(t for t in response.context["teams"] if t.pk == world.team.pk)
    assert team.open_count == 2
    assert team.week_minutes == 90
    assert "1:30" in response.content.decode()


def test_teams_overview_shows_the_hours_of_the_week_asked_for(as_user, helpdesk_user, world):
    today = datetime.date.today()
    last_week = today - datetime.timedelta(days=7)
    log(world, helpdesk_user, 45, date=last_week)
    log(world, helpdesk_user, 90)
    client = as_user(helpdesk_user)
    url = reverse("helpdesk:team_list")

    def minutes(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return next(t for t in response.context["teams"] if t.pk == world.team.pk).week_minutes

    assert minutes(week=last_week.isoformat()) == 45
    assert minutes() == 90
    # Malformed or out of range: this week, never an error.
    for bad in ("yesterday", "2026-02-30", "9999-12-31", "0001-01-01", "\x00"):
        assert minutes(week=bad) == 90, bad


def test_teams_overview_runs_a_constant_number_of_queries(
    as_user, helpdesk_user, features, count_queries, django_assert_max_num_queries
):
    as_user(helpdesk_user)
    TeamFactory()
    one, _ = count_queries(reverse("helpdesk:team_list"))
    TeamFactory.create_batch(49)
    with django_assert_max_num_queries(one):
        count_queries(reverse("helpdesk:team_list"))


# --- ticket list ----------------------------------------------------------------------


def test_ticket_list_filters_by_team_stage_customer_assignee_and_search(
    as_user, helpdesk_user, features
):
    team_a, team_b = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    acme = CustomerFactory(name="Acme")
    mine = TicketFactory(team=team_a, customer=acme, subject="Printer jam", assignee=helpdesk_user)
    solved = TicketFactory(team=team_a, customer=acme, subject="Old thing", stage=Ticket.SOLVED)
    other = TicketFactory(team=team_b, subject="Mail down")
    client = as_user(helpdesk_user)
    url = reverse("helpdesk:ticket_list")

    def shown(**params):
        return {t.pk for t in client.get(url, params).context["tickets"]}

    assert shown() == {mine.pk, solved.pk, other.pk}
    assert shown(team=team_b.pk) == {other.pk}
    assert shown(stage="open") == {mine.pk, other.pk}
    assert shown(stage=Ticket.SOLVED) == {solved.pk}
    assert shown(customer=acme.pk) == {mine.pk, solved.pk}
    assert shown(assignee=helpdesk_user.pk) == {mine.pk}
    assert shown(q="printer") == {mine.pk}
    assert shown(q=f"#{other.pk}") == {other.pk}


def test_ticket_list_paginates_and_keeps_the_filters(as_user, helpdesk_user, features):
    team = TeamFactory()
    TicketFactory.create_batch(30, team=team)
    response = as_user(helpdesk_user).get(reverse("helpdesk:ticket_list"), {"team": team.pk})
    assert len(response.context["tickets"]) == 25
    assert f"?team={team.pk}&amp;page=2" in response.content.decode()
    second = as_user(helpdesk_user).get(
        reverse("helpdesk:ticket_list"), {"team": team.pk, "page": 2}
    )
    assert len(second.context["tickets"]) == 5


def test_ticket_list_runs_a_constant_number_of_queries(
    as_user, helpdesk_user, features, count_queries, django_assert_max_num_queries
):
    as_user(helpdesk_user)
    team = TeamFactory()
    TicketFactory(team=team, assignee=helpdesk_user)
    one, _ = count_queries(reverse("helpdesk:ticket_list"))
    TicketFactory.create_batch(49, team=team, assignee=StaffUserFactory())
    with django_assert_max_num_queries(one):
        _, response = count_queries(reverse("helpdesk:ticket_list"))
    assert len(response.context["tickets"]) == 25


# --- ticket form ------------------------------------------------------------------------


def test_a_user_creates_a_ticket_through_the_form(as_user, helpdesk_user, world):
    response = as_user(helpdesk_user).post(
        reverse("helpdesk:ticket_create"),
        {
            "subject": "Screen flickers",
            "team": world.team.pk,
            "customer": world.ticket.customer_id,
            "stage": "new",
            "priority": "1",
            "assignee": helpdesk_user.pk,
            "task": world.task.pk,
            "description": "Since Monday.",
        },
    )
    ticket = Ticket.objects.get(subject="Screen flickers")
    assert response.url == reverse("helpdesk:ticket_detail", args=[ticket.pk])
    assert (ticket.task, ticket.assignee, ticket.priority) == (world.task, helpdesk_user, "1")


def test_a_ticket_without_subject_is_refused_with_a_message(as_user, helpdesk_user, world):
    response = as_user(helpdesk_user).post(
        reverse("helpdesk:ticket_create"),
        {"subject": "", "team": world.team.pk, "customer": world.ticket.customer_id},
    )
    assert response.status_code == 200
    assert "subject" in response.context["form"].errors
    assert not Ticket.objects.filter(subject="").exists()


def test_the_task_choices_are_the_team_projects_tasks_of_the_tickets_customer(
    as_user, helpdesk_user, world
):
    other = build_ticket_world()  # another customer's order, in another team's project
    same_project_other_customer = build_ticket_world()
    same_project_other_customer.task.project = world.team.project
    same_project_other_customer.task.save()
    response = as_user(helpdesk_user).get(reverse("helpdesk:ticket_detail", args=[world.ticket.pk]))
    choices = set(response.context["form"].fields["task"].queryset)
    assert world.task in choices
    assert other.task not in choices
    assert same_project_other_customer.task not in choices


def test_the_task_select_follows_the_chosen_customer(as_user, helpdesk_user, world):
    client = as_user(helpdesk_user)
    url = reverse("helpdesk:task_options")
    page = client.get(url, {"team": world.team.pk, "customer": world.ticket.customer_id})
    assert f'value="{world.task.pk}"' in page.content.decode()
    stranger = CustomerFactory()
    page = client.get(url, {"team": world.team.pk, "customer": stranger.pk})
    assert f'value="{world.task.pk}"' not in page.content.decode()


def test_linking_another_customers_task_is_refused_on_the_form(as_user, helpdesk_user, world):
    other = build_ticket_world()
    response = as_user(helpdesk_user).post(
        reverse("helpdesk:ticket_detail", args=[world.ticket.pk]),
        {
            "subject": world.ticket.subject,
            "team": world.team.pk,
            "customer": world.ticket.customer_id,
            "stage": "new",
            "priority": "0",
            "task": other.task.pk,
        },
    )
    assert response.status_code == 200
    assert "task" in response.context["form"].errors
    world.ticket.refresh_from_db()
    assert world.ticket.task == world.task


def test_changing_the_tickets_task_moves_its_uninvoiced_hours(as_user, manager, world):
    log(world, manager, 120)
    second_line_world = build_ticket_world()
    new_task = second_line_world.task
    new_task.project = world.team.project
    new_task.customer = world.ticket.customer
    new_task.save()
    second_line_world.line.order.customer = world.ticket.customer
    second_line_world.line.order.save()
    response = as_user(manager).post(
        reverse("helpdesk:ticket_detail", args=[world.ticket.pk]),
        {
            "subject": "Moved",
            "team": world.team.pk,
            "customer": world.ticket.customer_id,
            "stage": "in_progress",
            "priority": "0",
            "task": new_task.pk,
        },
    )
    assert response.status_code == 302
    assert delivered(world) == Decimal("0.00")
    second_line_world.line.refresh_from_db()
    assert second_line_world.line.qty_delivered == Decimal("2.00")
    world.ticket.refresh_from_db()
    assert (world.ticket.subject, world.ticket.task) == ("Moved", new_task)


def test_the_ticket_shows_the_order_lines_remaining_hours_negative_too(
    as_user, helpdesk_user, features
):
    world = build_ticket_world(prepaid=True, quantity="2")
    log(world, helpdesk_user, 150)
    page = as_user(helpdesk_user).get(reverse("helpdesk:ticket_detail", args=[world.ticket.pk]))
    html = page.content.decode()
    assert 'data-testid="line-remaining" class="negative">-0:30<' in html


def test_the_ticket_form_runs_a_constant_number_of_queries(
    as_user, helpdesk_user, world, count_queries, django_assert_max_num_queries
):
    as_user(helpdesk_user)
    url = reverse("helpdesk:ticket_detail", args=[world.ticket.pk])
    one, _ = count_queries(url)
    for _ in range(49):
        build_ticket_world()
    with django_assert_max_num_queries(one):
        count_queries(url)


# --- the Timesheets tab -------------------------------------------------------------------


def tab_url(world, name="ticket_entries", *args):
    return reverse(f"timesheets:{name}", args=[world.ticket.pk, *args])


def test_the_timesheets_tab_shows_only_with_timesheet_on_ticket(as_user, helpdesk_user, world):
    client = as_user(helpdesk_user)
    page = client.get(reverse("helpdesk:ticket_detail", args=[world.ticket.pk]))
    assert 'id="tab-timesheets"' in page.content.decode()
    plain = TicketFactory(team=TeamFactory(use_timesheets=False, project=None))
    page = client.get(reverse("helpdesk:ticket_detail", args=[plain.pk]))
    assert 'id="tab-timesheets"' not in page.content.decode()
    assert client.get(reverse("timesheets:ticket_entries", args=[plain.pk])).status_code == 404


def test_adding_an_entry_on_the_tab_updates_delivered_without_a_page_reload(
    as_user, helpdesk_user, world
):
    response = as_user(helpdesk_user).post(
        tab_url(world, "ticket_entry_add"),
        {"date": "2026-03-02", "description": "Reset the router", "duration": "1:30"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="entries-panel"')  # a fragment, not a page
    assert "Reset the router" in html and "1:30 logged." in html
    assert 'id="sale-line-figures" class="card" hx-swap-oob="true"' in html
    entry = TimesheetEntry.objects.get()
    assert (entry.employee, entry.minutes, entry.task, entry.project) == (
        helpdesk_user,
        90,
        world.task,
        world.team.project,
    )
    assert delivered(world) == Decimal("1.50")
    assert '<span data-testid="line-delivered">1.50</span>' in html


def test_decimal_hours_are_accepted_on_the_tab(as_user, helpdesk_user, world):
    as_user(helpdesk_user).post(
        tab_url(world, "ticket_entry_add"), {"date": "2026-03-02", "duration": "0.25"}, **HTMX
    )
    assert TimesheetEntry.objects.get().minutes == 15


@pytest.mark.parametrize(
    ("duration", "message"),
    [("abc", "is not a duration"), ("0", "more than 0"), ("25:00", "at most 24 hours")],
)
def test_a_bad_duration_is_refused_with_a_clear_message(
    as_user, helpdesk_user, world, duration, message
):
    response = as_user(helpdesk_user).post(
        tab_url(world, "ticket_entry_add"), {"date": "2026-03-02", "duration": duration}, **HTMX
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TimesheetEntry.objects.exists()


def test_editing_an_entry_inline_updates_delivered(as_user, helpdesk_user, world):
    entry = log(world, helpdesk_user, 60)
    client = as_user(helpdesk_user)
    form = client.get(tab_url(world) + f"?edit={entry.pk}", **HTMX).content.decode()
    assert 'id="entry-edit"' in form and 'value="1:00"' in form
    response = client.post(
        tab_url(world, "ticket_entry_edit", entry.pk),
        {"date": entry.date.isoformat(), "description": "longer", "duration": "2:15"},
        **HTMX,
    )
    assert "Entry saved." in response.content.decode()
    entry.refresh_from_db()
    assert (entry.minutes, entry.description) == (135, "longer")
    assert delivered(world) == Decimal("2.25")


def test_deleting_an_entry_inline_updates_delivered(as_user, helpdesk_user, world):
    keep = log(world, helpdesk_user, 60)
    gone = log(world, helpdesk_user, 30)
    response = as_user(helpdesk_user).post(tab_url(world, "ticket_entry_delete", gone.pk), **HTMX)
    assert "Entry deleted." in response.content.decode()
    assert list(TimesheetEntry.objects.all()) == [keep]
    assert delivered(world) == Decimal("1.00")


def test_the_tab_shows_the_total(as_user, helpdesk_user, world):
    log(world, helpdesk_user, 45)
    log(world, helpdesk_user, 30)
    html = as_user(helpdesk_user).get(tab_url(world), **HTMX).content.decode()
    assert '<strong data-testid="entries-total">1:15</strong>' in html


def test_a_user_may_not_change_someone_elses_entry(as_user, helpdesk_user, manager, world):
    theirs = log(world, manager, 60)
    client = as_user(helpdesk_user)
    html = client.get(tab_url(world), **HTMX).content.decode()
    assert tab_url(world, "ticket_entry_delete", theirs.pk) not in html
    assert "?edit=" not in html
    edit = tab_url(world, "ticket_entry_edit", theirs.pk)
    post = {"date": theirs.date.isoformat(), "duration": "5:00"}
    assert client.post(edit, post, **HTMX).status_code == 403
    delete = tab_url(world, "ticket_entry_delete", theirs.pk)
    assert client.post(delete, **HTMX).status_code == 403
    assert TimesheetEntry.objects.get().minutes == 60


def test_a_user_logs_only_their_own_time_and_a_manager_anyones(
    as_user, helpdesk_user, manager, world
):
    data = {"date": "2026-03-02", "duration": "1", "employee": manager.pk}
    as_user(helpdesk_user).post(tab_url(world, "ticket_entry_add"), data, **HTMX)
    assert TimesheetEntry.objects.get().employee == helpdesk_user  # no employee field for them
    data["employee"] = helpdesk_user.pk
    as_user(manager).post(tab_url(world, "ticket_entry_add"), data, **HTMX)
    assert TimesheetEntry.objects.filter(employee=helpdesk_user).count() == 2


def test_an_invoiced_entry_is_shown_locked_and_only_its_description_changes(
    as_user, manager, world
):
    entry = log(world, manager, 300, date=datetime.date.today() - datetime.timedelta(days=1))
    invoice_create_from_order(order=world.line.order)
    client = as_user(manager)
    html = client.get(tab_url(world), **HTMX).content.decode()
    assert "Invoiced</span>" in html
    assert tab_url(world, "ticket_entry_delete", entry.pk) not in html
    response = client.post(
        tab_url(world, "ticket_entry_edit", entry.pk),
        {"date": entry.date.isoformat(), "description": "renamed", "duration": "6:00"},
        **HTMX,
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert (entry.minutes, entry.description) == (300, "renamed")
    refused = client.post(tab_url(world, "ticket_entry_delete", entry.pk), **HTMX)
    assert "cannot be deleted" in refused.content.decode()
    assert TimesheetEntry.objects.filter(pk=entry.pk).exists()


def test_without_htmx_the_tab_actions_redirect_back_to_the_ticket(as_user, helpdesk_user, world):
    response = as_user(helpdesk_user).post(
        tab_url(world, "ticket_entry_add"), {"date": "2026-03-02", "duration": "1"}
    )
    assert response.status_code == 302
    assert response.url.endswith("#tab-timesheets")


def test_the_tab_runs_a_constant_number_of_queries(
    as_user, manager, world, count_queries, django_assert_max_num_queries
):
    as_user(manager)
    start = datetime.date(2026, 1, 1)
    log(world, manager, 30, date=start)
    one, _ = count_queries(tab_url(world), **HTMX)
    for day in range(1, 50):
        log(world, StaffUserFactory(), 30, date=start + datetime.timedelta(days=day))
    with django_assert_max_num_queries(one):
        _, response = count_queries(tab_url(world), **HTMX)
    assert len(response.context["entries"]) == 50


def test_with_timesheets_off_the_tab_endpoints_are_gone(as_user, manager, world):
    AppSettings.objects.filter(pk=1).update(timesheets_enabled=False)
    response = as_user(manager).post(
        tab_url(world, "ticket_entry_add"), {"date": "2026-03-02", "duration": "1"}, **HTMX
    )
    assert response.status_code == 404
    assert not TimesheetEntry.objects.exists()


def test_only_a_manager_gets_a_link_to_the_order_from_the_ticket(
    as_user, helpdesk_user, manager, world
):
    url = reverse("helpdesk:ticket_detail", args=[world.ticket.pk])
    order_url = reverse("sales:order_detail", args=[world.line.order_id])
    assert f'href="{order_url}"' in as_user(manager).get(url).content.decode()
    user_page = as_user(helpdesk_user).get(url).content.decode()
    assert f'href="{order_url}"' not in user_page
    assert world.line.order.name in user_page


def test_a_long_timesheets_tab_shows_the_latest_entries_and_offers_all(
    as_user, helpdesk_user, world, monkeypatch
):
    monkeypatch.setattr("timesheets.selectors.PANEL_ROWS", 3)
    entries = [
        timesheet_log(
            employee=helpdesk_user,
            date=datetime.date(2026, 3, day),
            minutes=10 * day,
            description=f"Call {day}",
            ticket=world.ticket,
        )
        for day in range(1, 6)
    ]
    client = as_user(helpdesk_user)

    html = client.get(tab_url(world), **HTMX).content.decode()
    assert [f"Call {day}" in html for day in range(1, 6)] == [False, False, True, True, True]
    assert "The latest 3 of 5 entries." in html and "?all=1" in html
    assert 'data-testid="entries-total">2:30<' in html  # all five: 150 minutes

    html = client.get(tab_url(world) + "?all=1", **HTMX).content.decode()
    assert all(f"Call {day}" in html for day in range(1, 6))
    assert "The latest" not in html

    # Editing an entry older than the panel shows opens it with all the rows.
    html = client.get(tab_url(world) + f"?edit={entries[0].pk}", **HTMX).content.decode()
    assert 'value="Call 1"' in html and 'class="editing"' in html
