"""Lists: paginated, filterable, and a constant number of queries however many rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/customers/",
    "/api/v1/products/",
    "/api/v1/projects/",
    "/api/v1/teams/",
    "/api/v1/orders/",
    "/api/v1/order-lines/",
    "/api/v1/tasks/",
    "/api/v1/tickets/",
    "/api/v1/timesheets/",
    "/api/v1/invoices/",
    "/api/v1/uoms/",
]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", LISTS)
def test_a_list_runs_the_same_number_of_queries_for_one_or_many_rows(manager, url):
    employee = StaffUserFactory(username="worker")
    build_ticket_world(employee=employee, invoiced=True)
    api = token_client(manager)
    _queries(api, url)  # warm caches (content types, settings row)
    with_one = _queries(api, url)
    for _ in range(3):
        build_ticket_world(employee=employee, invoiced=True)
    assert _queries(api, url) == with_one


def test_lists_are_paginated(helpdesk_user):
    build_ticket_world(employee=helpdesk_user)
    body = token_client(helpdesk_user).get("/api/v1/tickets/?page_size=1").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1 and body["next"] is None


def test_timesheets_filter_by_ticket_dates_and_billable(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user)
    other = build_ticket_world(employee=helpdesk_user)
    api = token_client(helpdesk_user)

    def ids(query: str) -> set[int]:
        response = api.get(f"/api/v1/timesheets/?{query}")
        assert response.status_code == 200
        return {e["id"] for e in response.json()["results"]}

    assert ids(f"ticket={world.ticket.pk}") == {world.entry.pk}
    assert ids(f"task={other.task.pk}") == {other.entry.pk}
    assert ids(f"user={helpdesk_user.pk}&date_from={DAY}&date_to={DAY}") == {
        world.entry.pk,
        other.entry.pk,
    }
    assert ids("date_from=2026-03-03") == set()
    assert ids("billable=true") == {world.entry.pk, other.entry.pk}
    assert ids("billable=false") == set()


def test_orders_and_invoices_filter_by_customer_and_state(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    build_ticket_world(employee=helpdesk_user, invoiced=True)
    api = token_client(manager)

    orders = api.get(f"/api/v1/orders/?customer={world.customer.pk}&state=sale").json()
    assert [o["id"] for o in orders["results"]] == [world.order.pk]
    assert api.get("/api/v1/orders/?state=draft").json()["count"] == 0

    invoices = api.get(f"/api/v1/invoices/?customer={world.customer.pk}&state=draft").json()
    assert [i["id"] for i in invoices["results"]] == [world.invoice.pk]
    assert api.get("/api/v1/invoices/?type=credit_note").json()["count"] == 0


def test_tickets_filter_by_team_stage_and_customer(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user)
    build_ticket_world(employee=helpdesk_user)
    api = token_client(helpdesk_user)
    url = f"/api/v1/tickets/?team={world.team.pk}&stage=new&customer={world.customer.pk}"
    assert [t["id"] for t in api.get(url).json()["results"]] == [world.ticket.pk]
    assert api.get("/api/v1/tickets/?stage=solved").json()["count"] == 0
