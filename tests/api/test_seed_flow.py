"""DOMAIN.md worked example 1, driven through the API alone from an empty database."""

import datetime

import pytest
from django.utils import timezone

from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


def test_example_1_days_delivered_from_an_empty_database(admin, manager, helpdesk_user):
    admin_api = token_client(admin)
    manager_api = token_client(manager)
    user_api = token_client(helpdesk_user)

    settings = ok(
        admin_api.patch(
            "/api/v1/settings/", {"timesheets_enabled": True, "uom_enabled": True}, format="json"
        )
    )
    assert settings == {
        "timesheets_enabled": True,
        "uom_enabled": True,
        "timesheets_locked_until": None,
        "timesheets_locked_up_to": None,
    }

    project = ok(
        admin_api.post(
            "/api/v1/projects/", {"name": "Helpdesk", "allow_timesheets": True}, format="json"
        ),
        201,
    )
    team = ok(
        admin_api.post(
            "/api/v1/teams/",
            {
                "name": "Support",
                "use_timesheets": True,
                "project": project["id"],
                "members": [helpdesk_user.pk],
            },
            format="json",
        ),
        201,
    )
    assert team["members"] == [helpdesk_user.pk]

    uoms = {u["name"]: u for u in ok(admin_api.get("/api/v1/uoms/"))["results"]}
    assert uoms["Days"]["factor"] == "8.000000"
    product = ok(
        admin_api.post(
            "/api/v1/products/",
            {
                "name": "Support day",
                "type": "service",
                "uom": uoms["Days"]["id"],
                "list_price": "800.00",
                "tax_rate": "21.00",
                "invoice_policy": "delivery",
                "service_tracking": "task_in_project",
                "project": project["id"],
            },
            format="json",
        ),
        201,
    )
    customer = ok(
        manager_api.post(
            "/api/v1/customers/",
            {"name": "Acme", "email": "ap@acme.example", "payment_terms_days": 30},
            format="json",
        ),
        201,
    )

    order = ok(
        manager_api.post(
            "/api/v1/orders/",
            {"customer": customer["id"], "lines": [{"product": product["id"], "quantity": "2"}]},
            format="json",
        ),
        201,
    )
    assert order["state"] == "draft"
    assert order["amount_untaxed"] == "1600.00"
    assert order["lines"][0]["uom"] == uoms["Days"]["id"]
    assert order["lines"][0]["price_unit"] == "800.00"

    order = ok(manager_api.post(f"/api/v1/orders/{order['id']}/confirm/"))
    assert order["state"] == "sale"
    line = order["lines"][0]
    task = ok(user_api.get(f"/api/v1/tasks/{line['task']}/"))
    assert task["allocated_hours"] == "16.00"
    assert task["sale_line"] == line["id"]
    assert task["name"] == f"{order['name']} - Support day"

    ticket = ok(
        user_api.post(
            "/api/v1/tickets/",
            {"team": team["id"], "customer": customer["id"], "subject": "Printer on fire"},
            format="json",
        ),
        201,
    )
    assert ticket["task"] is None
    ticket = ok(
        user_api.patch(f"/api/v1/tickets/{ticket['id']}/", {"task": task["id"]}, format="json")
    )
    assert ticket["task"] == task["id"]

    entry_ids = []
    for minutes in (180, 300, 240):
        entry = ok(
            user_api.post(
                "/api/v1/timesheets/",
                {
                    "ticket": ticket["id"],
                    "date": TODAY.isoformat(),
                    "minutes": minutes,
                    "description": "Fire",
                },
                format="json",
            ),
            201,
        )
        assert entry["user"] == helpdesk_user.pk
        assert entry["project"] == project["id"]
        assert entry["task"] == task["id"]
        assert entry["sale_line"] == line["id"]
        assert entry["billable"] is True
        assert entry["invoice"] is None
        entry_ids.append(entry["id"])

    line = ok(manager_api.get(f"/api/v1/orders/{order['id']}/"))["lines"][0]
    assert line["qty_delivered"] == "1.50"
    assert line["qty_to_invoice"] == "1.50"
    assert line["invoice_status"] == "to_invoice"
    assert ok(user_api.get(f"/api/v1/tasks/{task['id']}/"))["logged_hours"] == "12.00"

    invoice = ok(manager_api.post(f"/api/v1/orders/{order['id']}/create-invoice/"), 201)
    assert invoice["state"] == "draft"
    assert invoice["number"] is None
    assert invoice["type"] == "invoice"
    assert invoice["amount_untaxed"] == "1200.00"
    assert invoice["amount_tax"] == "252.00"
    assert invoice["amount_total"] == "1452.00"
    assert sorted(invoice["lines"][0]["timesheets"]) == sorted(entry_ids)
    assert invoice["lines"][0]["quantity"] == "1.50"
    entry = ok(user_api.get(f"/api/v1/timesheets/{entry_ids[0]}/"))
    assert entry["invoice"] == invoice["id"]

    invoice = ok(manager_api.post(f"/api/v1/invoices/{invoice['id']}/validate/"))
    year = timezone.localdate().year
    assert invoice["state"] == "posted"
    assert invoice["number"] == f"INV/{year}/00001"
    assert invoice["due_date"] is not None

    invoice = ok(
        manager_api.post(
            f"/api/v1/invoices/{invoice['id']}/payments/",
            {"amount": "1452.00", "date": TODAY.isoformat(), "method": "bank", "reference": "X1"},
            format="json",
        ),
        201,
    )
    assert invoice["payment_state"] == "paid"
    assert invoice["amount_due"] == "0.00"

    pdf = manager_api.get(f"/api/v1/invoices/{invoice['id']}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]).startswith(b"%PDF")

    # Log 2 h more -> delivered 1.75, to invoice 0.25; the next invoice is 200.00.
    ok(
        user_api.post(
            "/api/v1/timesheets/",
            {"ticket": ticket["id"], "date": TODAY.isoformat(), "minutes": 120},
            format="json",
        ),
        201,
    )
    line = ok(manager_api.get(f"/api/v1/orders/{order['id']}/"))["lines"][0]
    assert (line["qty_delivered"], line["qty_to_invoice"]) == ("1.75", "0.25")
    second = ok(manager_api.post(f"/api/v1/orders/{order['id']}/create-invoice/"), 201)
    assert second["amount_untaxed"] == "200.00"
