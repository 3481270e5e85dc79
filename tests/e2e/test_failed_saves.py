"""A save that fails is shown as failed, never left looking saved (static/js/app.js).

The server is made to fail for real: a database trigger refuses every insert and update
of a timesheet entry, so the request's transaction raises and Django answers 500, as
it would with a full disk or a broken replica. htmx swaps nothing on a 500; before the
fix the typed value simply stayed in its cell as if logged.
"""

import datetime
from contextlib import contextmanager

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from playwright.sync_api import expect

from core.models import AppSettings
from tests.factories import ManagerFactory, TeamFactory, TicketFactory
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

MONDAY = datetime.date(2026, 3, 2)
TABLE = TimesheetEntry._meta.db_table


@contextmanager
def entry_writes_fail():
    """While inside, the database refuses to write any timesheet entry."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION e2e_refuse_entry() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'injected fault: entry writes refused'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER e2e_refuse_entry BEFORE INSERT OR UPDATE ON {TABLE}"
                " FOR EACH ROW EXECUTE FUNCTION e2e_refuse_entry()"
            )
        else:
            for event in ("INSERT", "UPDATE"):
                cursor.execute(
                    f"CREATE TRIGGER e2e_refuse_entry_{event} BEFORE {event} ON {TABLE}"
                    " BEGIN SELECT RAISE(ABORT, 'injected fault: entry writes refused'); END"
                )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER e2e_refuse_entry ON {TABLE}")
                cursor.execute("DROP FUNCTION e2e_refuse_entry()")
            else:
                for event in ("INSERT", "UPDATE"):
                    cursor.execute(f"DROP TRIGGER e2e_refuse_entry_{event}")


@pytest.fixture
def ticket(page, live_server):
    settings = AppSettings.load()
    settings.timesheets_enabled = True
    settings.save()
    user = ManagerFactory(username="wes")
    page.goto("/login/")
    page.get_by_label("Username").fill("wes")
    page.get_by_label("Password").fill("pass")
    page.get_by_role("button", name="Log in").click()
    ticket = TicketFactory(team=TeamFactory(use_timesheets=True), subject="Scanner jams")
    ticket.user = user
    return ticket


def open_week(page, ticket):
    page.goto(f"/timesheets/?week={MONDAY}&add=ticket-{ticket.pk}")
    return page.get_by_label(f"#{ticket.pk} Scanner jams, Support, Monday 2 March")


def test_a_week_grid_cell_whose_save_fails_is_marked_not_saved(page, screenshot, ticket):
    cell = open_week(page, ticket)
    alert = page.locator("#request-alert")
    expect(alert).to_be_hidden()

    with entry_writes_fail():
        cell.fill("1:30")
        cell.press("Tab")
        expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("Not saved: the server answered 500")
    td = page.locator(f"[id^='cell-ticket-{ticket.pk}-w'][id$='-20260302']")
    expect(td).to_have_class("cell num save-failed")  # and not cell-saved
    expect(td).to_contain_text("Not saved")
    expect(cell).to_have_attribute("aria-invalid", "true")
    expect(cell).to_have_value("1:30")  # kept, to retry, but flagged
    expect(page.locator(f"[id^='total-ticket-{ticket.pk}-w']")).to_have_text("0:00")
    screenshot("cell-save-failed")
    assert not TimesheetEntry.objects.exists()

    # Typed again once the server is back: saved, and the marks and the alert go.
    cell.fill("2")
    cell.press("Tab")
    expect(page.locator(f"[id^='total-ticket-{ticket.pk}-w']")).to_have_text("2:00")
    expect(td).to_have_class("cell num cell-saved")
    expect(cell).not_to_have_attribute("aria-invalid", "true")
    expect(alert).to_be_hidden()
    assert TimesheetEntry.objects.get().minutes == 120


def test_a_successful_save_still_looks_saved_and_refused_input_shows_its_error(page, ticket):
    cell = open_week(page, ticket)
    td = page.locator(f"[id^='cell-ticket-{ticket.pk}-w'][id$='-20260302']")

    cell.fill("1:30")
    cell.press("Tab")
    expect(td).to_have_class("cell num cell-saved")
    expect(page.locator("#week-total")).to_have_text("1:30")

    # Refused by the rules (a 200 with the error): the server's message, not "Not saved".
    cell.fill("abc")
    cell.press("Tab")
    expect(td.locator(".cell-error")).to_be_visible()
    expect(page.locator("#request-alert")).to_be_hidden()
    expect(td).not_to_contain_text("Not saved")
    assert TimesheetEntry.objects.get().minutes == 90


def test_an_entries_row_whose_save_fails_is_marked_not_saved(page, screenshot, ticket):
    entry = timesheet_log(employee=ticket.user, date=MONDAY, minutes=60, ticket=ticket)
    page.goto(f"/timesheets/ticket/{ticket.pk}/")
    page.get_by_role("button", name=f"Edit entry of {MONDAY}").click()
    row = page.locator("#entries-panel tr.editing")
    duration = row.get_by_label("Duration")
    duration.fill("2:00")
    alert = page.locator("#request-alert")

    with entry_writes_fail():
        row.get_by_role("button", name="Save").click()
        expect(alert).to_be_visible()
    expect(alert).to_contain_text("Not saved: the server answered 500")
    expect(row).to_have_class("editing save-failed")
    expect(row).to_contain_text("Not saved")
    expect(duration).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("entries-total")).to_have_text("1:00")
    screenshot("entry-save-failed")
    entry.refresh_from_db()
    assert entry.minutes == 60

    row.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("entries-total")).to_have_text("2:00")
    expect(page.locator("#entries-panel")).to_contain_text("Entry saved.")
    expect(alert).to_be_hidden()
    entry.refresh_from_db()
    assert entry.minutes == 120


def test_a_server_that_cannot_be_reached_is_shown(page, ticket):
    cell = open_week(page, ticket)
    page.route("**/timesheets/cell/", lambda route: route.abort("connectionrefused"))

    cell.fill("1:30")
    cell.press("Tab")

    expect(page.locator("#request-alert")).to_contain_text("the server could not be reached")
    expect(cell).to_have_attribute("aria-invalid", "true")
    assert not TimesheetEntry.objects.exists()


def test_a_session_that_ended_does_not_swap_the_login_page_into_the_cell(page, ticket):
    cell = open_week(page, ticket)
    Session.objects.all().delete()

    cell.fill("1:30")
    cell.press("Tab")

    expect(page.locator("#request-alert")).to_contain_text("your session has ended")
    expect(cell).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"[id^='cell-ticket-{ticket.pk}-w'][id$='-20260302'] form")).to_have_count(
        0
    )
    assert not TimesheetEntry.objects.exists()
