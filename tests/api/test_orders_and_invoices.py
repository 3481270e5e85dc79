"""Order lines, credit notes, payments and the billing run through the API."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from api.models import ApiToken, token_digest
from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world

pytestmark = pytest.mark.django_db


def test_a_line_added_to_a_confirmed_order_gets_its_task_at_once(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    api = token_client(manager)
    response = api.post(
        f"/api/v1/orders/{world.order.pk}/lines/",
        {"product": world.product.pk, "quantity": "4", "description": "Extra hours"},
        format="json",
    )
    assert response.status_code == 201, response.content
    line = response.json()
    assert line["task"] is not None
    task = api.get(f"/api/v1/tasks/{line['task']}/").json()
    assert task["allocated_hours"] == "4.00"

    patched = api.patch(f"/api/v1/order-lines/{line['id']}/", {"quantity": "6"}, format="json")
    assert patched.status_code == 200
    assert api.get(f"/api/v1/tasks/{line['task']}/").json()["allocated_hours"] == "6.00"


def test_a_confirmed_orders_line_cannot_be_deleted(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user)
    line = world.order.lines.get()
    response = token_client(manager).delete(f"/api/v1/order-lines/{line.pk}/")
    assert response.status_code == 409
    assert world.order.lines.filter(pk=line.pk).exists()


def test_a_quotation_line_is_deleted(manager, helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user)
    api = token_client(manager)
    order = api.post(
        "/api/v1/orders/",
        {"customer": world.customer.pk, "lines": [{"product": world.product.pk, "quantity": "1"}]},
        format="json",
    ).json()
    assert api.delete(f"/api/v1/order-lines/{order['lines'][0]['id']}/").status_code == 204
    assert api.get(f"/api/v1/orders/{order['id']}/").json()["lines"] == []


def test_a_full_credit_note_frees_the_entries_for_a_new_invoice(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True, hours=10)
    api = token_client(manager)
    assert api.post(f"/api/v1/invoices/{world.invoice.pk}/validate/").status_code == 200

    response = api.post(f"/api/v1/invoices/{world.invoice.pk}/credit-note/", {}, format="json")

    assert response.status_code == 201, response.content
    credit = response.json()
    assert credit["type"] == "credit_note"
    assert credit["reversed_invoice"] == world.invoice.pk
    assert credit["number"].startswith("RINV/")
    original = api.get(f"/api/v1/invoices/{world.invoice.pk}/").json()
    assert original["payment_state"] == "reversed"
    line = api.get(f"/api/v1/orders/{world.order.pk}/").json()["lines"][0]
    assert line["qty_invoiced"] == "0.00" and line["qty_to_invoice"] == "10.00"
    again = api.post(f"/api/v1/orders/{world.order.pk}/create-invoice/", {}, format="json")
    assert again.json()["amount_untaxed"] == "1000.00"
    assert again.json()["lines"][0]["timesheets"] == [world.entry.pk]


def test_a_credit_note_takes_only_lines_of_its_invoice(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    other = build_ticket_world(employee=helpdesk_user, invoiced=True)
    api = token_client(manager)
    api.post(f"/api/v1/invoices/{world.invoice.pk}/validate/")
    foreign_line = other.invoice.lines.get().pk
    response = api.post(
        f"/api/v1/invoices/{world.invoice.pk}/credit-note/",
        {"lines": [foreign_line]},
        format="json",
    )
    assert response.status_code == 400
    assert "lines" in response.json()


def test_partial_payment_then_the_rest(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    api = token_client(manager)
    invoice = api.post(f"/api/v1/invoices/{world.invoice.pk}/validate/").json()
    url = f"/api/v1/invoices/{invoice['id']}/payments/"

    first = api.post(url, {"amount": "100.00", "date": DAY.isoformat()}, format="json").json()
    assert first["payment_state"] == "partial"
    assert len(first["payments"]) == 1
    rest = api.post(url, {"amount": first["amount_due"], "method": "card"}, format="json")
    assert rest.json()["payment_state"] == "paid"


def test_an_overpayment_is_refused(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)
    api = token_client(manager)
    invoice = api.post(f"/api/v1/invoices/{world.invoice.pk}/validate/").json()
    response = api.post(
        f"/api/v1/invoices/{invoice['id']}/payments/",
        {"amount": "999999.00", "date": DAY.isoformat()},
        format="json",
    )
    assert response.status_code in (400, 409)
    assert api.get(f"/api/v1/invoices/{invoice['id']}/").json()["payment_state"] == "not_paid"


def test_the_billing_run_returns_the_invoices_it_created(helpdesk_user, manager):
    first = build_ticket_world(employee=helpdesk_user)
    second = build_ticket_world(employee=helpdesk_user)
    response = token_client(manager).post(
        "/api/v1/invoices/invoice-all/", {"up_to": DAY.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
    orders = {invoice["sale_order"] for invoice in response.json()}
    assert orders == {first.order.pk, second.order.pk}


def _key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_create_api_token_prints_a_new_token_once_and_stores_only_its_hash(helpdesk_user, capsys):
    call_command("create_api_token", helpdesk_user.username)
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=helpdesk_user)
    assert key not in {token.digest, token.prefix} and token.digest == token_digest(key)
    assert _key_client(key).get("/api/v1/tickets/").status_code == 200

    call_command("create_api_token", helpdesk_user.username)
    second = capsys.readouterr().out.strip()
    assert second != key
    assert _key_client(key).get("/api/v1/tickets/").status_code == 200
    call_command("create_api_token", helpdesk_user.username, "--reset")
    third = capsys.readouterr().out.strip()
    assert _key_client(key).get("/api/v1/tickets/").status_code == 401
    assert _key_client(second).get("/api/v1/tickets/").status_code == 401
    assert _key_client(third).get("/api/v1/tickets/").status_code == 200


def test_create_api_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "ghost")
