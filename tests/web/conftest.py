"""Fixtures for the page tests: one user per role and a seeded ticket on a task."""

import datetime
from dataclasses import dataclass

import pytest

from core.models import AppSettings
from helpdesk.models import HelpdeskTeam, Ticket
from projects.models import Task
from sales import services as sales_services
from sales.models import SaleOrderLine
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    ManagerFactory,
    ProductFactory,
    StaffUserFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def features(db) -> AppSettings:
    settings = AppSettings.load()
    settings.timesheets_enabled = True
    settings.uom_enabled = True
    settings.save()
    return settings


@pytest.fixture
def helpdesk_user(db):
    return StaffUserFactory(username="hugo", first_name="Hugo", last_name="Helper")


@pytest.fixture
def manager(db):
    return ManagerFactory(username="mia", first_name="Mia", last_name="Manager")


@pytest.fixture
def site_admin(db):
    return AdminFactory(username="ada", first_name="Ada", last_name="Admin")


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="nobody")


@pytest.fixture
def as_user(client):
    """`as_user(user)` logs the test client in as that user and returns it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@dataclass
class World:
    team: HelpdeskTeam
    line: SaleOrderLine
    task: Task
    ticket: Ticket


def make_world(*, prepaid: bool = False, quantity: str = "10") -> World:
    """The seed: a team with Timesheet on Ticket, a confirmed order of support hours
    (its task generated in the team's project) and a ticket of that customer on it."""
    team = TeamFactory(use_timesheets=True)
    product = ProductFactory(
        project=team.project,
        invoice_policy="order" if prepaid else "delivery",
    )
    customer = CustomerFactory()
    order = sales_services.order_create(
        customer=customer, lines=[{"product": product, "quantity": quantity}]
    )
    sales_services.order_confirm(order=order)
    line = order.lines.get()
    task = line.tasks.get()
    ticket = TicketFactory(team=team, customer=customer, task=task)
    return World(team=team, line=line, task=task, ticket=ticket)


@pytest.fixture
def world(features) -> World:
    return make_world()


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
