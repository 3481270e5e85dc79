"""Service errors through the API: 400 {field: [messages]}, 409 {"detail": ...}, never a 500."""

import pytest

from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world

pytestmark = pytest.mark.django_db


def test_changing_the_duration_of_an_invoiced_entry_is_a_409(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    api = token_client(helpdesk_user)
    url = f"/api/v1/timesheets/{world.entry.pk}/"

    response = api.patch(url, {"minutes": 360}, format="json")

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert "invoice" in response.json()["detail"]
    world.entry.refresh_from_db()
    assert world.entry.minutes == 300


def test_the_description_of_an_invoiced_entry_may_change(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    response = token_client(helpdesk_user).patch(
        f"/api/v1/timesheets/{world.entry.pk}/", {"description": "Replaced toner"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["description"] == "Replaced toner"
    assert response.json()["invoice"] == world.invoice.pk


def test_deleting_an_invoiced_entry_is_a_409(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    response = token_client(helpdesk_user).delete(f"/api/v1/timesheets/{world.entry.pk}/")
    assert response.status_code == 409
    assert world.entry.__class__.objects.filter(pk=world.entry.pk).exists()


def test_cancelling_the_draft_unlocks_the_entry(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    cancelled = token_client(manager).post(f"/api/v1/invoices/{world.invoice.pk}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancel"

    response = token_client(helpdesk_user).patch(
        f"/api/v1/timesheets/{world.entry.pk}/", {"minutes": 360}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["invoice"] is None
    line = token_client(manager).get(f"/api/v1/orders/{world.order.pk}/").json()["lines"][0]
    assert line["qty_to_invoice"] == "6.00"


def test_validating_an_invoice_twice_is_a_409(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    api = token_client(manager)
    url = f"/api/v1/invoices/{world.invoice.pk}/validate/"

    assert api.post(url).status_code == 200
    response = api.post(url)

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert api.get(f"/api/v1/invoices/{world.invoice.pk}/").json()["number"].endswith("00001")


def test_confirming_a_confirmed_order_is_a_409(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    response = token_client(manager).post(f"/api/v1/orders/{world.order.pk}/confirm/")
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("minutes", "message_part"),
    [(0, "more than 0"), (-5, "more than 0"), (1441, "24 hours"), ("abc", "integer")],
)
def test_bad_minutes_are_a_400_on_the_minutes_field(helpdesk_user, minutes, message_part):
    world = build_ticket_world(employee=helpdesk_user)
    response = token_client(helpdesk_user).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": DAY.isoformat(), "minutes": minutes},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["minutes"]
    assert message_part in " ".join(body["minutes"])
    assert world.ticket.timesheet_entries.count() == 1


def test_more_than_24_hours_a_day_for_one_employee_is_a_400(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user, hours=20)
    response = token_client(helpdesk_user).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": DAY.isoformat(), "minutes": 5 * 60},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()  # a message the caller can show


def test_a_service_field_error_is_reported_under_the_api_field_name(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    world.team.use_timesheets = False
    world.team.save()
    response = token_client(helpdesk_user).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": DAY.isoformat(), "minutes": 30},
        format="json",
    )
    assert response.status_code == 400
    assert isinstance(next(iter(response.json().values())), list)


def test_a_task_of_another_customers_order_is_refused_on_the_ticket(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user)
    other = build_ticket_world(employee=helpdesk_user)
    response = token_client(helpdesk_user).patch(
        f"/api/v1/tickets/{world.ticket.pk}/", {"task": other.task.pk}, format="json"
    )
    assert response.status_code == 400
    assert "task" in response.json()


def test_deleting_a_customer_with_orders_is_a_409(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    response = token_client(manager).delete(f"/api/v1/customers/{world.customer.pk}/")
    assert response.status_code == 409


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", str(2**70)])
def test_ids_that_cannot_exist_are_a_404(manager, bad_id):
    assert token_client(manager).get(f"/api/v1/orders/{bad_id}/").status_code == 404


def test_a_related_id_too_large_for_the_database_is_a_400(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user)
    response = token_client(helpdesk_user).post(
        "/api/v1/timesheets/",
        {"ticket": 2**70, "date": DAY.isoformat(), "minutes": 30},
        format="json",
    )
    assert response.status_code == 400
    assert "ticket" in response.json()
    assert world.ticket.timesheet_entries.count() == 1


@pytest.mark.parametrize(
    "query", ["customer=abc", "state=bogus", "customer=99999999999999999999999"]
)
def test_bad_filter_values_are_a_400(manager, query):
    response = token_client(manager).get(f"/api/v1/orders/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [query.split("=")[0]]


def test_lines_cannot_be_replaced_through_an_order_patch(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    response = token_client(manager).patch(
        f"/api/v1/orders/{world.order.pk}/",
        {"lines": [{"product": world.product.pk, "quantity": "1"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "lines" in response.json()
