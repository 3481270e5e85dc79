"""`POST /api/v1/invoices/{id}/credit-note/` with reversal and write-down lines (rule 31),
the lines' `credit_mode` and `qty_written_down`, the order line's `qty_written_down`."""

import pytest
import yaml

from invoicing.models import Invoice
from tests.api.conftest import token_client
from tests.builders import build_ticket_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(helpdesk_user, manager):
    """10 h at 100 invoiced and validated, and a manager's API client."""
    world = build_ticket_world(employee=helpdesk_user, invoiced=True, hours=10)
    api = token_client(manager)
    assert api.post(f"/api/v1/invoices/{world.invoice.pk}/validate/").status_code == 200
    world.line_id = world.invoice.lines.get().pk
    return world, api


def credit(api, world, lines):
    return api.post(
        f"/api/v1/invoices/{world.invoice.pk}/credit-note/", {"lines": lines}, format="json"
    )


def order_line(api, world) -> dict:
    return api.get(f"/api/v1/orders/{world.order.pk}/").json()["lines"][0]


def test_a_write_down_then_a_reversal(posted):
    world, api = posted

    response = credit(
        api, world, [{"line": world.line_id, "mode": "write_down", "quantity": "1.50"}]
    )

    assert response.status_code == 201, response.content
    note = response.json()
    (line,) = note["lines"]
    assert (line["credit_mode"], line["quantity"], line["amount"]) == (
        "write_down",
        "1.50",
        "150.00",
    )
    assert line["timesheets"] == []
    figures = order_line(api, world)
    assert (figures["qty_invoiced"], figures["qty_to_invoice"], figures["qty_written_down"]) == (
        "10.00",
        "0.00",
        "1.50",
    )
    original = api.get(f"/api/v1/invoices/{world.invoice.pk}/").json()
    assert original["lines"][0]["timesheets"] == [world.entry.pk]
    assert original["lines"][0]["credit_mode"] == ""
    assert original["lines"][0]["qty_written_down"] == "0.00"

    response = credit(api, world, [{"line": world.line_id, "mode": "reversal"}])

    assert response.status_code == 201, response.content
    assert response.json()["lines"][0]["credit_mode"] == "reversal"
    figures = order_line(api, world)
    assert (figures["qty_invoiced"], figures["qty_to_invoice"], figures["qty_written_down"]) == (
        "0.00",
        "10.00",
        "1.50",
    )
    assert api.get(f"/api/v1/invoices/{world.invoice.pk}/").json()["payment_state"] == "reversed"


def test_plain_ids_still_mean_reversal(posted):
    world, api = posted

    response = credit(api, world, [world.line_id])

    assert response.status_code == 201, response.content
    assert response.json()["lines"][0]["credit_mode"] == "reversal"
    assert order_line(api, world)["qty_to_invoice"] == "10.00"


@pytest.mark.parametrize(
    "item",
    [
        {"mode": "write_down", "quantity": "1.50"},  # no line
        {"line": "LINE", "mode": "write_down"},  # no quantity
        {"line": "LINE", "mode": "write_down", "quantity": "0"},
        {"line": "LINE", "mode": "write_down", "quantity": "1.234"},
        {"line": "LINE", "mode": "write_down", "quantity": "abc"},
        {"line": "LINE", "mode": "write_down", "quantity": "１"},
        {"line": "LINE", "mode": "discount"},
        {"line": "LINE", "mode": "reversal", "quantity": "1"},
        {"line": 999_999_999, "mode": "reversal"},
        {"line": "LINE", "mode": "write_down", "quantity": "10.01"},  # more than the line
        True,
        None,
        ["LINE"],
    ],
)
def test_bad_lines_are_refused_with_400_and_a_lines_message(posted, item):
    world, api = posted

    def real(value):
        if value == "LINE":
            return world.line_id
        if isinstance(value, dict):
            return {key: real(part) for key, part in value.items()}
        if isinstance(value, list):
            return [real(part) for part in value]
        return value

    response = credit(api, world, [real(item)])

    assert response.status_code == 400, response.content
    assert "lines" in response.json()
    assert not Invoice.objects.filter(move_type=Invoice.CREDIT_NOTE).exists()


def test_lines_not_a_list_are_refused(posted):
    world, api = posted
    response = credit(api, world, {"line": world.line_id})
    assert response.status_code == 400
    assert "lines" in response.json()


def test_a_reversed_line_cannot_be_written_down_409(posted):
    world, api = posted
    assert credit(api, world, [world.line_id]).status_code == 201

    response = credit(api, world, [{"line": world.line_id, "mode": "write_down", "quantity": "1"}])

    assert response.status_code == 409, response.content
    assert Invoice.objects.filter(move_type=Invoice.CREDIT_NOTE).count() == 1


def test_the_schema_documents_the_credit_line_shapes(manager):
    schema = yaml.safe_load(token_client(manager).get("/api/v1/schema/").content)
    lines = schema["components"]["schemas"]["CreditNote"]["properties"]["lines"]
    shapes = lines["items"]["oneOf"]
    assert {"type": "integer", "description": "The id of a line to reverse."} in shapes
    assert shapes[1]["properties"]["mode"]["enum"] == ["reversal", "write_down"]
    line = schema["components"]["schemas"]["InvoiceLine"]["properties"]
    assert {"credit_mode", "qty_written_down"} <= set(line)
    assert "qty_written_down" in schema["components"]["schemas"]["OrderLine"]["properties"]
