"""My Timesheets: a duration typed into a week-grid cell is saved at once (htmx)."""

import datetime

import pytest
from playwright.sync_api import expect

from core.models import AppSettings
from tests.factories import ManagerFactory, TeamFactory, TicketFactory
from timesheets.models import TimesheetEntry

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

MONDAY = datetime.date(2026, 3, 2)


def test_typing_into_a_cell_logs_and_then_changes_the_entry(page, live_server):
    settings = AppSettings.load()
    settings.timesheets_enabled = True
    settings.save()
    user = ManagerFactory(username="wes")
    ticket = TicketFactory(team=TeamFactory(use_timesheets=True), subject="Scanner jams")
    page.goto("/login/")
    page.get_by_label("Username").fill("wes")
    page.get_by_label("Password").fill("pass")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"/timesheets/?week={MONDAY}&add=ticket-{ticket.pk}")
    page.evaluate("window.__noReload = true")
    cell = page.get_by_label(f"#{ticket.pk} Scanner jams, Support, Monday 2 March")
    cell.fill("1:30")
    cell.press("Tab")  # leaving the cell fires `change`
    expect(page.locator(f"[id^='total-ticket-{ticket.pk}-w']")).to_have_text("1:30")
    expect(page.locator("#week-total")).to_have_text("1:30")
    entry = TimesheetEntry.objects.get(ticket=ticket)
    assert (entry.employee, entry.date, entry.minutes) == (user, MONDAY, 90)

    cell = page.get_by_label(f"#{ticket.pk} Scanner jams, Support, Monday 2 March")
    cell.fill("2")
    cell.press("Tab")
    expect(page.locator(f"[id^='total-ticket-{ticket.pk}-w']")).to_have_text("2:00")
    assert TimesheetEntry.objects.get(ticket=ticket).minutes == 120
    assert page.evaluate("window.__noReload === true")
