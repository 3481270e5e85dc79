"""Fixtures for the page tests: the feature switches, the site admin (the other
users come from tests/conftest.py) and a seeded ticket on a task (built by
tests/builders.py)."""

import datetime

import pytest

from core.models import AppSettings
from tests.builders import TicketWorld, build_ticket_world
from tests.factories import AdminFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def features(db) -> AppSettings:
    settings = AppSettings.load()
    settings.timesheets_enabled = True
    settings.uom_enabled = True
    settings.save()
    return settings


@pytest.fixture
def site_admin(db):
    return AdminFactory(username="ada", first_name="Ada", last_name="Admin")


@pytest.fixture
def as_user(client):
    """`as_user(user)` logs the test client in as that user and returns it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def world(features) -> TicketWorld:
    return build_ticket_world()


@pytest.fixture
def today() -> datetime.date:
    return datetime.date.today()


@pytest.fixture
def count_queries(client):
    """`count_queries(url, **extra)` -> (number of SQL queries, response) of one GET."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(url, **extra):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, **extra)
        assert response.status_code == 200, response.status_code
        return len(ctx.captured_queries), response

    return run
