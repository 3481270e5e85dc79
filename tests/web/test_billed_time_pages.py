"""Worked and billed time on the pages (DOMAIN.md rules 27, 28, 33): the work type on the
Timesheets tab, the week grid, All Timesheets and the CSV; the Billed column; a
manager's adjustment of billed time; the Approvals page."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from helpdesk.models import HelpdeskTeam
from invoicing.services import invoice_create_from_order
from sales.models import SaleOrderLine, WorkType
from tests.builders import (
    DAY,
    build_ticket_world,
    build_work_type,
    delivered,
    log_time,
)
from tests.factories import StaffUserFactory
from tests.web.conftest import HTMX
from timesheets.models import TimesheetEntry
from timesheets.selectors import ApprovalFilters, entries_to_approve
from timesheets.services import timesheet_adjust_billed, timesheets_approve

pytestmark = pytest.mark.django_db


def tab_url(world, name="ticket_entries", *args):
    return reverse(f"timesheets:{name}", args=[world.ticket.pk, *args])


def billed_url(entry):
    return reverse("timesheets:entry_billed", args=[entry.pk])


def support():
    return WorkType.default()


def round_line(world, *, increment=15, minimum=30):
    SaleOrderLine.objects.filter(pk=world.line.pk).update(
        rounding_increment=increment, minimum_minutes=minimum
    )


def approve_time(world):
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(approve_time=True)


def select_html(html: str, field_id: str) -> str:
    return html.split(f'id="{field_id}"')[1].split("</select>")[0]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the Timesheets tab --------------------------------------------------------------------


def test_the_tabs_work_types_are_those_in_use_with_the_teams_default_chosen(
    as_user, helpdesk_user, world
):
    after_hours = build_work_type(name="After hours")
    WorkType.objects.filter(pk=build_work_type(name="Retired").pk).update(active=False)
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(default_work_type=after_hours)

    html = as_user(helpdesk_user).get(tab_url(world), **HTMX).text

    options = select_html(html, "id_add_work_type")
    assert f'<option value="{after_hours.pk}" selected>After hours</option>' in options
    assert f'<option value="{support().pk}">Support</option>' in options
    assert "Retired" not in options
    assert 'name="non_billable"' in html


def test_without_a_team_default_a_new_entry_is_support(as_user, helpdesk_user, world):
    build_work_type(name="After hours")
    html = as_user(helpdesk_user).get(tab_url(world), **HTMX).text
    options = select_html(html, "id_add_work_type")
    assert f'<option value="{support().pk}" selected>Support</option>' in options


def test_an_entry_logged_on_the_tab_takes_its_work_type_and_non_billable_mark(
    as_user, helpdesk_user, world
):
    after_hours = build_work_type(name="After hours")
    response = as_user(helpdesk_user).post(
        tab_url(world, "ticket_entry_add"),
        {"date": "2026-03-02", "duration": "1:00", "work_type": after_hours.pk},
        **HTMX,
    )
    assert response.status_code == 200
    as_user(helpdesk_user).post(
        tab_url(world, "ticket_entry_add"),
        {"date": "2026-03-02", "duration": "0:30", "non_billable": "on"},
        **HTMX,
    )

    billed, internal = TimesheetEntry.objects.order_by("pk")
    assert (billed.work_type, billed.non_billable, billed.billed_minutes) == (
        after_hours,
        False,
        60,
    )
    assert (internal.work_type, internal.non_billable, internal.billed_minutes) == (
        support(),
        True,
        0,
    )
    assert delivered(world.line) == Decimal("1.00")
    html = as_user(helpdesk_user).get(tab_url(world), **HTMX).text
    row = html.split(f'id="entry-{internal.pk}"')[1].split("</tr>")[0]
    assert "<td>Support</td>" in row and '<span class="badge">Non-billable</span>' in row


def test_staff_mark_their_own_entry_non_billable_on_the_tab_and_back(as_user, helpdesk_user, world):
    entry = log_time(employee=helpdesk_user, minutes=60, ticket=world.ticket)
    client = as_user(helpdesk_user)
    edit = tab_url(world, "ticket_entry_edit", entry.pk)
    fields = {"date": "2026-03-02", "duration": "1:00", "work_type": support().pk}

    client.post(edit, {**fields, "non_billable": "on"}, **HTMX)
    entry.refresh_from_db()
    assert (entry.non_billable, entry.billed_minutes) == (True, 0)
    assert delivered(world.line) == Decimal("0.00")

    client.post(edit, fields, **HTMX)
    entry.refresh_from_db()
    assert (entry.non_billable, entry.billed_minutes) == (False, 60)


def test_the_edit_form_changes_the_work_type_and_keeps_one_no_longer_in_use(
    as_user, helpdesk_user, world
):
    old = build_work_type(name="Old contract")
    entry = log_time(employee=helpdesk_user, minutes=60, ticket=world.ticket, work_type=old)
    WorkType.objects.filter(pk=old.pk).update(active=False)
    client = as_user(helpdesk_user)

    html = client.get(tab_url(world), {"edit": entry.pk}, **HTMX).text
    assert f'<option value="{old.pk}" selected>Old contract</option>' in select_html(
        html, "id_edit_work_type"
    )
    client.post(
        tab_url(world, "ticket_entry_edit", entry.pk),
        {"date": "2026-03-02", "duration": "1:00", "work_type": support().pk},
        **HTMX,
    )
    entry.refresh_from_db()
    assert entry.work_type == support()


def test_an_unknown_or_retired_work_type_is_a_form_error(as_user, helpdesk_user, world):
    retired = build_work_type(name="Retired")
    WorkType.objects.filter(pk=retired.pk).update(active=False)
    client = as_user(helpdesk_user)
    for work_type in ("987654", str(retired.pk), "x"):
        response = client.post(
            tab_url(world, "ticket_entry_add"),
            {"date": "2026-03-02", "duration": "1:00", "work_type": work_type},
            **HTMX,
        )
        assert response.status_code == 200
        assert response.context["add_form"].errors["work_type"]
    assert not TimesheetEntry.objects.exists()


def test_the_tab_shows_worked_and_billed_no_charge_and_an_adjustment(as_user, manager, world):
    round_line(world)
    rounded = log_time(employee=manager, minutes=7, ticket=world.ticket)
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)
    free = log_time(employee=manager, minutes=20, ticket=world.ticket, work_type=goodwill)
    adjusted = log_time(employee=manager, minutes=40, ticket=world.ticket)
    timesheet_adjust_billed(
        entry=adjusted, minutes=15, reason="Customer's own cable", actor=manager
    )

    html = as_user(manager).get(tab_url(world), **HTMX).text

    def row(entry):
        return html.split(f'id="entry-{entry.pk}"')[1].split("</tr>")[0]

    assert '<td class="num">0:07</td><td class="num">0:30</td>' in row(rounded)
    assert "<td>Goodwill</td>" in row(free)
    assert '<span class="badge badge-no-charge">No charge</span>' in row(free)
    assert '<td class="num">0:40</td><td class="num">0:15<div class="adjusted">' in row(adjusted)
    assert "Customer&#x27;s own cable (Mia Manager, " in row(adjusted)
    assert 'data-testid="entries-billed">0:45<' in html
    assert f'href="{billed_url(adjusted)}"' in row(adjusted)  # managers adjust from here


def test_the_tab_shows_each_entrys_approval(as_user, manager, world):
    approve_time(world)
    waiting = log_time(employee=manager, minutes=30, ticket=world.ticket)
    approved = log_time(employee=manager, minutes=60, ticket=world.ticket)
    timesheets_approve(entries=[approved], actor=manager)

    html = as_user(manager).get(tab_url(world), **HTMX).text

    waiting_row = html.split(f'id="entry-{waiting.pk}"')[1].split("</tr>")[0]
    approved_row = html.split(f'id="entry-{approved.pk}"')[1].split("</tr>")[0]
    assert '<span class="badge badge-to-approve">To approve</span>' in waiting_row
    assert '<span class="badge badge-approved">Approved</span>' in approved_row


def test_the_tab_runs_as_many_queries_with_work_types_and_adjustments(
    as_user, manager, world, count_queries, django_assert_max_num_queries
):
    as_user(manager)
    log_time(employee=manager, minutes=10, ticket=world.ticket)
    one, _ = count_queries(tab_url(world), **HTMX)
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)
    for minutes in range(11, 40):
        entry = log_time(employee=manager, minutes=minutes, ticket=world.ticket, work_type=goodwill)
        timesheet_adjust_billed(entry=entry, minutes=5, reason="Goodwill", actor=manager)
    with django_assert_max_num_queries(one):
        count_queries(tab_url(world), **HTMX)


# --- the week grid -------------------------------------------------------------------------


def week_url(**params):
    return reverse("timesheets:my_week"), {"week": DAY.isoformat(), **params}


def type_in_cell(client, row, duration, day=DAY):
    return client.post(
        reverse("timesheets:week_cell"),
        {"row": row, "date": day.isoformat(), "duration": duration},
        **HTMX,
    )


def test_the_week_grid_has_a_row_per_ticket_and_work_type(as_user, helpdesk_user, world):
    after_hours = build_work_type(name="After hours")
    log_time(employee=helpdesk_user, minutes=60, ticket=world.ticket)
    log_time(employee=helpdesk_user, minutes=30, ticket=world.ticket, work_type=after_hours)

    url, params = week_url()
    response = as_user(helpdesk_user).get(url, params)

    ticket = world.ticket.pk
    assert {row.key: (row.work_type, row.minutes) for row in response.context["grid"].rows} == {
        f"ticket-{ticket}-w{support().pk}": ("Support", 60),
        f"ticket-{ticket}-w{after_hours.pk}": ("After hours", 30),
    }
    assert '<td class="worktype">After hours</td>' in response.text
    assert f'aria-label="#{ticket} {world.ticket.subject}, After hours, Monday 2 March"' in (
        response.text
    )


def test_a_cell_logs_and_changes_the_time_of_its_rows_work_type_only(as_user, helpdesk_user, world):
    after_hours = build_work_type(name="After hours")
    office = log_time(employee=helpdesk_user, minutes=60, ticket=world.ticket)
    client = as_user(helpdesk_user)
    row = f"ticket-{world.ticket.pk}-w{after_hours.pk}"

    response = type_in_cell(client, row, "0:30")
    assert response.text.lstrip().startswith(f'<td id="cell-{row}-20260302"')
    late = TimesheetEntry.objects.exclude(pk=office.pk).get()
    assert (late.work_type, late.minutes) == (after_hours, 30)

    type_in_cell(client, row, "0:45")
    late.refresh_from_db()
    office.refresh_from_db()
    assert (late.minutes, office.minutes) == (45, 60)
    type_in_cell(client, row, "")
    assert list(TimesheetEntry.objects.all()) == [office]


def test_a_line_added_with_a_work_type_is_a_row_of_its_own(as_user, helpdesk_user, world):
    after_hours = build_work_type(name="After hours")
    log_time(employee=helpdesk_user, minutes=60, ticket=world.ticket)
    url, params = week_url(add=f"ticket-{world.ticket.pk}", work_type=after_hours.pk)

    response = as_user(helpdesk_user).get(url, params)

    keys = [row.key for row in response.context["grid"].rows]
    assert keys == [
        f"ticket-{world.ticket.pk}-w{support().pk}",
        f"ticket-{world.ticket.pk}-w{after_hours.pk}",
    ]
    assert f'name="add" value="ticket-{world.ticket.pk}-w{after_hours.pk}"' in response.text
    options = select_html(response.text, "id_work_type")
    assert "Default work type" in options and "After hours" in options


def test_a_line_added_without_a_work_type_takes_the_teams_default(as_user, helpdesk_user, world):
    after_hours = build_work_type(name="After hours")
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(default_work_type=after_hours)
    url, params = week_url(add=f"ticket-{world.ticket.pk}", work_type="")

    response = as_user(helpdesk_user).get(url, params)

    assert [row.key for row in response.context["grid"].rows] == [
        f"ticket-{world.ticket.pk}-w{after_hours.pk}"
    ]
    type_in_cell(as_user(helpdesk_user), f"ticket-{world.ticket.pk}", "1:00")
    assert TimesheetEntry.objects.get().work_type == after_hours


@pytest.mark.parametrize("row", ["ticket-{pk}-wx", "ticket-{pk}-w", "ticket-{pk}-w987654"])
def test_a_row_of_no_work_type_is_refused_not_a_crash(as_user, helpdesk_user, world, row):
    response = type_in_cell(as_user(helpdesk_user), row.format(pk=world.ticket.pk), "1:00")
    assert response.status_code in (200, 404)
    assert not TimesheetEntry.objects.exists()


# --- All Timesheets and the CSV ------------------------------------------------------------


def test_all_timesheets_shows_and_filters_by_work_type(as_user, manager, world):
    after_hours = build_work_type(name="After hours")
    log_time(employee=manager, minutes=60, ticket=world.ticket)
    late = log_time(employee=manager, minutes=30, ticket=world.ticket, work_type=after_hours)
    client = as_user(manager)

    response = client.get(reverse("timesheets:all"), {"work_type": after_hours.pk})

    assert list(response.context["entries"]) == [late]
    assert "<td>After hours</td>" in response.text
    assert response.context["totals"] == {
        "total": 30,
        "billable": 30,
        "billed": 30,
        "invoiced": 0,
    }
    bad = client.get(reverse("timesheets:all"), {"work_type": "x"})
    assert bad.status_code == 200 and bad.context["filter_form"].errors


def test_all_timesheets_filters_by_approval_and_shows_the_state(as_user, manager, world):
    approve_time(world)
    waiting = log_time(employee=manager, minutes=30, ticket=world.ticket)
    approved = log_time(employee=manager, minutes=60, ticket=world.ticket)
    timesheets_approve(entries=[approved], actor=manager)
    client = as_user(manager)
    url = reverse("timesheets:all")

    assert list(client.get(url, {"approval": "to_approve"}).context["entries"]) == [waiting]
    response = client.get(url, {"approval": "approved"})
    assert list(response.context["entries"]) == [approved]
    assert '<span class="badge badge-approved">Approved</span>' in response.text
    html = client.get(url).text
    assert '<span class="badge badge-to-approve">To approve</span>' in html
    assert client.get(url).context["totals"]["billed"] == 60  # the approved hour only


def test_entries_marked_or_typed_non_billable_are_non_billable_in_the_list(as_user, manager, world):
    internal = build_work_type(name="Internal", billing=WorkType.NON_BILLABLE)
    marked = log_time(employee=manager, minutes=30, ticket=world.ticket, billing="non_billable")
    typed = log_time(employee=manager, minutes=20, ticket=world.ticket, work_type=internal)
    billable = log_time(employee=manager, minutes=10, ticket=world.ticket)
    client = as_user(manager)
    url = reverse("timesheets:all")

    assert set(client.get(url, {"billing": "non_billable"}).context["entries"]) == {marked, typed}
    assert list(client.get(url, {"billing": "not_billed"}).context["entries"]) == [billable]
    totals = client.get(url).context["totals"]
    assert totals == {"total": 60, "billable": 10, "billed": 10, "invoiced": 0}


def test_all_timesheets_links_a_billed_time_to_its_adjustment(as_user, manager, world):
    entry = log_time(employee=manager, minutes=30, ticket=world.ticket)
    html = as_user(manager).get(reverse("timesheets:all"), {"employee": manager.pk}).text
    assert f'href="{billed_url(entry)}?next=/timesheets/all/%3Femployee%3D{manager.pk}"' in html


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_has_work_type_worked_and_billed_billing_approval_and_adjustment(
    as_user, manager, world
):
    round_line(world)
    approve_time(world)
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)
    rounded = log_time(employee=manager, minutes=7, ticket=world.ticket)
    timesheets_approve(entries=[rounded], actor=manager)
    adjusted = log_time(
        employee=manager,
        minutes=20,
        ticket=world.ticket,
        work_type=goodwill,
        date=DAY + datetime.timedelta(days=1),
    )
    timesheet_adjust_billed(entry=adjusted, minutes=10, reason="Write-up", actor=manager)

    rows = csv_rows(as_user(manager).get(reverse("timesheets:export_csv")))

    header = rows[0]
    by_day = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    first, second = by_day["2026-03-02"], by_day["2026-03-03"]
    assert [first[name] for name in header[6:14]] == [
        "Support",
        "0:07",
        "0.12",
        "0:30",
        "0.50",
        world.order.name,
        "Not invoiced",
        "Approved",
    ]
    assert first["Billed time adjusted"] == ""
    assert [second[name] for name in header[6:14]] == [
        "Goodwill",
        "0:20",
        "0.33",
        "0:00",  # To approve: billed once approved
        "0.00",
        world.order.name,
        "Not invoiced",
        "To approve",
    ]
    assert second["Billed time adjusted"].startswith("Write-up (Mia Manager, 20")


def test_the_csv_filters_by_work_type_and_approval(as_user, manager, world):
    approve_time(world)
    after_hours = build_work_type(name="After hours")
    log_time(employee=manager, minutes=60, ticket=world.ticket)
    late = log_time(employee=manager, minutes=30, ticket=world.ticket, work_type=after_hours)
    response = as_user(manager).get(
        reverse("timesheets:export_csv"), {"work_type": after_hours.pk, "approval": "to_approve"}
    )
    rows = csv_rows(response)
    assert len(rows) == 2 and rows[1][6] == "After hours" and rows[1][7] == late.duration_display


# --- a manager's adjustment of billed time -------------------------------------------------


def test_a_manager_adjusts_the_billed_time_with_a_reason_then_clears_it(as_user, manager, world):
    entry = log_time(employee=manager, minutes=60, ticket=world.ticket)
    client = as_user(manager)

    page = client.get(billed_url(entry))
    assert page.status_code == 200
    assert 'name="billed"' in page.text and 'name="reason"' in page.text

    response = client.post(billed_url(entry), {"billed": "0:15", "reason": "Goodwill"})
    assert response.status_code == 302
    assert response["Location"] == tab_url_of_ticket(world)
    entry.refresh_from_db()
    assert (entry.billed_minutes_override, entry.billed_minutes) == (15, 15)
    assert (entry.adjust_reason, entry.adjusted_by) == ("Goodwill", manager)
    assert delivered(world.line) == Decimal("0.25")
    shown = client.get(billed_url(entry)).text
    assert "Goodwill" in shown and "Mia Manager" in shown and ">Clear</button>" in shown

    client.post(billed_url(entry), {"clear": "1"})
    entry.refresh_from_db()
    assert (entry.billed_minutes_override, entry.billed_minutes, entry.adjust_reason) == (
        None,
        60,
        "",
    )


def tab_url_of_ticket(world):
    return reverse("helpdesk:ticket_detail", args=[world.ticket.pk]) + "#tab-timesheets"


def test_zero_writes_an_entry_off(as_user, manager, world):
    entry = log_time(employee=manager, minutes=60, ticket=world.ticket)
    as_user(manager).post(billed_url(entry), {"billed": "0", "reason": "Our mistake"})
    entry.refresh_from_db()
    assert (entry.billed_minutes_override, entry.billed_minutes) == (0, 0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"billed": "0:15", "reason": ""}, "reason"),
        ({"billed": "0:15", "reason": "   "}, "reason"),
        ({"billed": "lots", "reason": "x"}, "billed"),
        ({"billed": "25:00", "reason": "x"}, "billed"),
        ({"billed": "１", "reason": "x"}, "billed"),
        ({"billed": "", "reason": "x"}, "billed"),
        ({"billed": "1:00", "reason": "x" * 201}, "reason"),
    ],
)
def test_a_bad_adjustment_is_a_form_error(as_user, manager, world, data, field):
    entry = log_time(employee=manager, minutes=60, ticket=world.ticket)
    response = as_user(manager).post(billed_url(entry), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    entry.refresh_from_db()
    assert entry.billed_minutes_override is None


def test_staff_read_the_billed_time_but_may_not_adjust_it(as_user, helpdesk_user, world):
    entry = log_time(employee=helpdesk_user, minutes=60, ticket=world.ticket)
    client = as_user(helpdesk_user)

    page = client.get(billed_url(entry))
    assert page.status_code == 200
    assert 'data-testid="billed">1:00' in page.text and 'name="billed"' not in page.text
    assert client.post(billed_url(entry), {"billed": "0:15", "reason": "x"}).status_code == 403
    assert client.post(billed_url(entry), {"clear": "1"}).status_code == 403
    entry.refresh_from_db()
    assert entry.billed_minutes_override is None
    tab = client.get(tab_url(world), **HTMX).text
    assert billed_url(entry) not in tab  # no Billed time button for staff


def test_an_invoiced_entrys_billed_time_cannot_be_adjusted(as_user, manager, world):
    entry = log_time(employee=manager, minutes=60, ticket=world.ticket)
    invoice_create_from_order(order=world.order)
    client = as_user(manager)

    page = client.get(billed_url(entry))
    assert "its billed time cannot change" in page.text and 'name="billed"' not in page.text
    response = client.post(billed_url(entry), {"billed": "0:10", "reason": "Late"})
    assert response.status_code == 200
    assert "on an invoice" in str(response.context["form"].non_field_errors())
    entry.refresh_from_db()
    assert entry.billed_minutes_override is None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/timesheets/all/?billing=not_billed", "/timesheets/all/?billing=not_billed"),
        ("https://elsewhere.example/", None),
        ("//elsewhere.example/", None),
    ],
)
def test_an_adjustment_goes_back_to_next_only_within_the_site(
    as_user, manager, world, next_url, expected
):
    entry = log_time(employee=manager, minutes=60, ticket=world.ticket)
    response = as_user(manager).post(
        billed_url(entry), {"billed": "0:30", "reason": "x", "next": next_url}
    )
    assert response["Location"] == (expected or tab_url_of_ticket(world))


# --- Approvals -----------------------------------------------------------------------------


@pytest.fixture
def to_approve(manager, world):
    """The world's team approves time: two employees' entries in two weeks, and one of
    another customer's ticket."""
    approve_time(world)
    round_line(world)
    olga = StaffUserFactory(first_name="Olga", last_name="Other")
    other = build_ticket_world()
    approve_time(other)
    entries = {
        "mine": log_time(employee=manager, minutes=7, ticket=world.ticket),
        "olgas": log_time(employee=olga, minutes=50, ticket=world.ticket),
        "next_week": log_time(
            employee=olga, minutes=60, ticket=world.ticket, date=DAY + datetime.timedelta(days=7)
        ),
        "other_customer": log_time(employee=olga, minutes=20, ticket=other.ticket),
    }
    return {**entries, "olga": olga, "other": other}


def approvals_url(**params):
    return reverse("timesheets:approvals"), params


def test_approvals_are_for_managers_and_in_their_timesheets_navigation(
    as_user, helpdesk_user, manager, features
):
    url = reverse("timesheets:approvals")
    staff = as_user(helpdesk_user)
    assert staff.get(url).status_code == 403
    assert staff.post(reverse("timesheets:approve"), {"approve": "shown"}).status_code == 403
    assert f'href="{url}"' not in staff.get(reverse("timesheets:my_week")).text
    boss = as_user(manager)
    assert boss.get(url).status_code == 200
    assert f'href="{url}"' in boss.get(reverse("timesheets:my_week")).text


def test_the_approvals_page_lists_what_is_to_approve_with_what_it_will_bill(
    as_user, manager, world, to_approve
):
    other_team_world = build_ticket_world()  # a team that does not approve time
    log_time(employee=manager, minutes=30, ticket=other_team_world.ticket)
    timesheets_approve(entries=[to_approve["olgas"]], actor=manager)

    response = as_user(manager).get(reverse("timesheets:approvals"))

    rows = {row["pk"]: row for row in response.context["rows"]}
    assert set(rows) == {str(to_approve[key].pk) for key in ("mine", "next_week", "other_customer")}
    mine = rows[str(to_approve["mine"].pk)]
    assert (mine["customer"], mine["work_type"], mine["worked"], mine["billed"]) == (
        world.customer.name,
        "Support",
        "0:07",
        "0:30",  # the line's 15-minute rounding with a 30-minute minimum
    )
    assert f"#{world.ticket.pk} {world.ticket.subject}" in mine["target"]
    assert response.context["count"] == 3
    assert 'data-testid="approve-all">Approve all shown (3)' in response.text


def test_approvals_filter_by_week_employee_and_customer(as_user, manager, world, to_approve):
    client = as_user(manager)
    url = reverse("timesheets:approvals")

    def shown(**params):
        return {row["pk"] for row in client.get(url, params).context["rows"]}

    def pks(*keys):
        return {str(to_approve[key].pk) for key in keys}

    thursday = (DAY + datetime.timedelta(days=3)).isoformat()
    assert shown(week=thursday) == pks("mine", "olgas", "other_customer")
    assert shown(employee=to_approve["olga"].pk) == pks("olgas", "next_week", "other_customer")
    assert shown(customer=world.customer.pk) == pks("mine", "olgas", "next_week")
    assert shown(week=thursday, employee=to_approve["olga"].pk, customer=world.customer.pk) == pks(
        "olgas"
    )
    page = client.get(url, {"week": thursday})
    assert 'data-testid="approvals-week">2 Mar – 8 Mar 2026<' in page.text
    assert "week=2026-02-23" in page.text and "week=2026-03-09" in page.text
    assert client.get(url, {"week": "someday", "employee": "x"}).status_code == 200


def test_approve_selected_approves_the_ticked_entries_only(as_user, manager, world, to_approve):
    ticked, left = to_approve["mine"], to_approve["olgas"]
    response = as_user(manager).post(
        reverse("timesheets:approve"),
        {
            "approve": "selected",
            "entry": [ticked.pk],
            "shown": [ticked.pk, left.pk],
            "query": "week=2026-03-05&junk=1",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("timesheets:approvals") + "?week=2026-03-05"
    assert messages_of(response) == ["1 entry approved."]
    ticked.refresh_from_db()
    left.refresh_from_db()
    assert (ticked.approval_state, ticked.approved_by, ticked.billed_minutes) == (
        TimesheetEntry.APPROVED,
        manager,
        30,
    )
    assert left.approval_state == TimesheetEntry.TO_APPROVE
    assert delivered(world.line) == Decimal("0.50")


def test_approve_all_shown_approves_what_was_shown_and_nothing_logged_since(
    as_user, manager, world, to_approve
):
    client = as_user(manager)
    page = client.get(reverse("timesheets:approvals"), {"customer": world.customer.pk})
    shown = page.context["shown"]
    late = log_time(employee=manager, minutes=15, ticket=world.ticket)

    response = client.post(
        reverse("timesheets:approve"),
        {"approve": "shown", "shown": shown, "query": f"customer={world.customer.pk}"},
    )

    assert messages_of(response) == ["3 entries approved."]
    states = dict(TimesheetEntry.objects.values_list("pk", "approval_state"))
    assert {states[int(pk)] for pk in shown} == {TimesheetEntry.APPROVED}
    assert states[late.pk] == states[to_approve["other_customer"].pk] == TimesheetEntry.TO_APPROVE


def test_approving_entries_approved_meanwhile_says_so(as_user, manager, world, to_approve):
    entry = to_approve["mine"]
    timesheets_approve(entries=[entry], actor=manager)
    response = as_user(manager).post(
        reverse("timesheets:approve"),
        {"approve": "selected", "entry": [entry.pk, to_approve["olgas"].pk]},
    )
    assert messages_of(response)[0].startswith("1 entry approved. 1 was not To approve any more")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"approve": "selected"}, "Tick the entries to approve."),
        ({"approve": "shown"}, "No entry to approve."),
        ({"approve": "selected", "entry": ["x"]}, "“x” is not a timesheet entry."),
        ({"approve": "selected", "entry": ["99999999999999999999"]}, "is not a timesheet entry"),
        ({"approve": "everything", "entry": ["1"]}, "Select a valid choice"),
        ({"approve": "selected", "entry": [str(n) for n in range(1, 202)]}, "At most 200"),
    ],
)
def test_approving_nothing_or_garbage_is_a_message_not_a_crash(
    as_user, manager, features, data, message
):
    response = as_user(manager).post(reverse("timesheets:approve"), data)
    assert response.status_code == 302
    assert any(message in text for text in messages_of(response))


def test_an_entry_in_the_locked_period_is_shown_but_not_offered(
    as_user, manager, world, to_approve, features
):
    features.timesheets_locked_up_to = DAY
    features.save()
    response = as_user(manager).get(reverse("timesheets:approvals"))
    rows = {row["pk"]: row for row in response.context["rows"]}
    assert rows[str(to_approve["mine"].pk)]["locked"] is True
    assert str(to_approve["mine"].pk) not in response.context["shown"]
    assert str(to_approve["next_week"].pk) in response.context["shown"]


def test_the_approvals_page_runs_a_constant_number_of_queries(
    as_user, manager, features, count_queries, django_assert_max_num_queries
):
    def add_entries(count):
        for n in range(count):
            world = build_ticket_world()
            approve_time(world)
            log_time(
                employee=StaffUserFactory(),
                minutes=10 + n,
                ticket=world.ticket,
                date=DAY + datetime.timedelta(days=n % 5),
            )

    as_user(manager)
    add_entries(5)
    url = reverse("timesheets:approvals")
    five, response = count_queries(url)
    assert len(response.context["rows"]) == 5
    add_entries(45)
    with django_assert_max_num_queries(five):
        _, response = count_queries(url)
    assert len(response.context["rows"]) == 50


def test_the_approvals_page_shows_the_oldest_and_counts_them_all(manager, world, to_approve):
    rows, count = entries_to_approve(filters=ApprovalFilters(), limit=2)

    assert count == 4
    assert [row.entry.date for row in rows] == [DAY, DAY]
