"""The rows escaped in Python, once, before their template prints them unescaped (the
Timesheets tab, All Timesheets, the week grid): user text comes out as text, never markup."""

import datetime

import pytest
from django.urls import reverse

from helpdesk.services import ticket_update
from tests.builders import build_ticket_world
from tests.web.conftest import HTMX
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db

MARKUP = """<script>alert("x")</script> & 'quotes'"""
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;"


@pytest.fixture
def hostile(features, manager):
    """A world whose ticket subject, project name and entry description are markup."""
    world = build_ticket_world()
    world.team.members.add(manager)
    ticket_update(ticket=world.ticket, subject=MARKUP, actor=manager)
    world.project.name = MARKUP
    world.project.save()
    day = datetime.date.today()
    timesheet_log(employee=manager, date=day, minutes=30, ticket=world.ticket, description=MARKUP)
    return world, day


def _assert_escaped(html: str) -> None:
    assert "<script>alert" not in html
    assert ESCAPED in html


def test_the_timesheets_tab(hostile, client, manager):
    world, _ = hostile
    client.force_login(manager)
    url = reverse("timesheets:ticket_entries", args=[world.ticket.pk])
    _assert_escaped(client.get(url, **HTMX).content.decode())


def test_all_timesheets(hostile, client, manager):
    client.force_login(manager)
    _assert_escaped(client.get(reverse("timesheets:all")).content.decode())


def test_the_week_grid(hostile, client, manager):
    _, day = hostile
    client.force_login(manager)
    monday = day - datetime.timedelta(days=day.weekday())
    url = reverse("timesheets:my_week") + f"?week={monday.isoformat()}"
    _assert_escaped(client.get(url).content.decode())
