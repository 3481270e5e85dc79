"""Each role against each endpoint: anonymous 401, no role 403, Helpdesk User, Manager, admin."""

import pytest

from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world
from tests.factories import AdminFactory, ManagerFactory, StaffUserFactory, UserFactory, uom

pytestmark = pytest.mark.django_db

ROLES = ("helpdesk_user", "manager", "admin")


def _payload(name: str, world) -> dict:
    return {
        "settings": {"uom_enabled": True},
        "customer": {"name": "New customer"},
        "product": {
            "name": "Consulting",
            "type": "service",
            "uom": uom("Hours").pk,
            "list_price": "90.00",
            "tax_rate": "21.00",
            "invoice_policy": "order",
            "service_tracking": "task_in_project",
            "project": world.project.pk,
        },
        "project": {"name": "Internal", "allow_timesheets": True},
        "team": {"name": "Second line", "use_timesheets": False},
        "work_type": {"name": "After hours", "billing": "billable"},
        "approve": {"ids": [world.entry.pk]},
        "order": {
            "customer": world.customer.pk,
            "lines": [{"product": world.product.pk, "quantity": "3"}],
        },
        "task": {"project": world.project.pk, "name": "Onboarding"},
        "ticket": {"team": world.team.pk, "customer": world.customer.pk, "subject": "Help"},
        "timesheet": {"ticket": world.ticket.pk, "date": DAY.isoformat(), "minutes": 30},
        "billing_run": {"up_to": DAY.isoformat()},
    }[name]


# (method, url, payload name, expected status for helpdesk user, manager, admin)
ENDPOINTS = [
    ("get", "/api/v1/settings/", None, (200, 200, 200)),
    ("patch", "/api/v1/settings/", "settings", (403, 403, 200)),
    ("get", "/api/v1/uoms/", None, (200, 200, 200)),
    ("get", "/api/v1/customers/", None, (200, 200, 200)),
    ("post", "/api/v1/customers/", "customer", (403, 201, 201)),
    ("get", "/api/v1/products/", None, (200, 200, 200)),
    ("post", "/api/v1/products/", "product", (403, 201, 201)),
    ("get", "/api/v1/projects/", None, (200, 200, 200)),
    ("post", "/api/v1/projects/", "project", (403, 403, 201)),
    ("get", "/api/v1/teams/", None, (200, 200, 200)),
    ("post", "/api/v1/teams/", "team", (403, 403, 201)),
    ("get", "/api/v1/work-types/", None, (200, 200, 200)),
    ("post", "/api/v1/work-types/", "work_type", (403, 403, 201)),
    ("get", "/api/v1/orders/", None, (403, 200, 200)),
    ("post", "/api/v1/orders/", "order", (403, 201, 201)),
    ("get", "/api/v1/orders/{order}/", None, (403, 200, 200)),
    ("get", "/api/v1/order-lines/", None, (403, 200, 200)),
    ("get", "/api/v1/tasks/", None, (200, 200, 200)),
    ("get", "/api/v1/tasks/{task}/", None, (200, 200, 200)),
    ("post", "/api/v1/tasks/", "task", (403, 201, 201)),
    ("get", "/api/v1/tickets/", None, (200, 200, 200)),
    ("post", "/api/v1/tickets/", "ticket", (201, 201, 201)),
    ("get", "/api/v1/timesheets/", None, (200, 200, 200)),
    ("post", "/api/v1/timesheets/", "timesheet", (201, 201, 201)),
    ("post", "/api/v1/timesheets/approve/", "approve", (403, 200, 200)),
    ("get", "/api/v1/invoices/", None, (403, 200, 200)),
    ("get", "/api/v1/invoices/{invoice}/", None, (403, 200, 200)),
    ("get", "/api/v1/invoices/{invoice}/pdf/", None, (403, 200, 200)),
    ("post", "/api/v1/invoices/invoice-all/", "billing_run", (403, 201, 201)),
    ("post", "/api/v1/invoices/{invoice}/cancel/", None, (403, 200, 200)),
    # Every entry is on the draft already: "nothing to invoice" is bad input, not a conflict.
    ("post", "/api/v1/orders/{order}/create-invoice/", None, (403, 400, 400)),
]


def _make_user(role: str):
    return {
        "helpdesk_user": StaffUserFactory,
        "manager": ManagerFactory,
        "admin": AdminFactory,
        "nobody": UserFactory,
    }[role](username=f"who_{role}")


def _call(client, method: str, url: str, payload):
    return getattr(client, method)(url, payload, format="json")


@pytest.fixture
def world(helpdesk_user):
    return build_ticket_world(employee=helpdesk_user, invoiced=True)


def _url(template: str, world) -> str:
    return template.format(order=world.order.pk, task=world.task.pk, invoice=world.invoice.pk)


@pytest.mark.parametrize(("method", "url", "payload", "expected"), ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_its_role_allows(world, method, url, payload, expected, role):
    client = token_client(_make_user(role))
    body = _payload(payload, world) if payload else {}
    response = _call(client, method, _url(url, world), body)
    assert response.status_code == expected[ROLES.index(role)], response.content[:500]


@pytest.mark.parametrize(("method", "url", "payload", "expected"), ENDPOINTS)
def test_anonymous_callers_get_401_with_the_token_challenge(
    world, anonymous_api, method, url, payload, expected
):
    response = _call(anonymous_api, method, _url(url, world), {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.parametrize(("method", "url", "payload", "expected"), ENDPOINTS)
def test_users_without_a_role_get_403(world, method, url, payload, expected):
    client = token_client(_make_user("nobody"))
    response = _call(client, method, _url(url, world), {})
    assert response.status_code == 403


def test_a_helpdesk_user_sees_only_their_own_time_and_a_manager_everyones(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    colleague = StaffUserFactory(username="colleague")
    theirs = build_ticket_world(employee=colleague).entry
    mine = token_client(helpdesk_user)

    listed = mine.get("/api/v1/timesheets/").json()
    assert [e["id"] for e in listed["results"]] == [world.entry.pk]
    assert mine.get(f"/api/v1/timesheets/{theirs.pk}/").status_code == 404
    assert mine.patch(f"/api/v1/timesheets/{theirs.pk}/", {"minutes": 60}).status_code == 404
    assert mine.delete(f"/api/v1/timesheets/{theirs.pk}/").status_code == 404

    everyone = token_client(manager).get("/api/v1/timesheets/").json()
    assert {e["id"] for e in everyone["results"]} == {world.entry.pk, theirs.pk}
    response = token_client(manager).patch(
        f"/api/v1/timesheets/{theirs.pk}/", {"minutes": 90}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["minutes"] == 90


def test_a_helpdesk_user_cannot_log_time_for_someone_else(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user)
    colleague = StaffUserFactory(username="colleague")
    response = token_client(helpdesk_user).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": DAY.isoformat(), "minutes": 30, "user": colleague.pk},
        format="json",
    )
    assert response.status_code == 403
    assert world.ticket.timesheet_entries.count() == 1


def test_a_manager_logs_time_for_a_team_member(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    response = token_client(manager).post(
        "/api/v1/timesheets/",
        {
            "ticket": world.ticket.pk,
            "date": DAY.isoformat(),
            "minutes": 30,
            "user": helpdesk_user.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["user"] == helpdesk_user.pk


def test_a_helpdesk_user_deletes_their_own_entry(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user)
    response = token_client(helpdesk_user).delete(f"/api/v1/timesheets/{world.entry.pk}/")
    assert response.status_code == 204
    world.order.lines.get().refresh_from_db()
    assert world.order.lines.get().qty_delivered == 0


def test_timesheets_do_not_exist_while_the_feature_is_off(helpdesk_user, admin):
    world = build_ticket_world(employee=helpdesk_user)
    switched = token_client(admin).patch(
        "/api/v1/settings/", {"timesheets_enabled": False}, format="json"
    )
    assert switched.status_code == 200
    api = token_client(helpdesk_user)
    assert api.get("/api/v1/timesheets/").status_code == 404
    assert api.get(f"/api/v1/timesheets/{world.entry.pk}/").status_code == 404
    response = api.post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": DAY.isoformat(), "minutes": 30},
        format="json",
    )
    assert response.status_code == 404
    assert world.ticket.timesheet_entries.count() == 1
