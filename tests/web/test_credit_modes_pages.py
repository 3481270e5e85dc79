"""Rule 31 on the pages: the credit-note form reverses or writes down per line, the order
page shows Written down, the invoice page shows worked and billed time per entry, a draft
line's edit form says what lowering does."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from invoicing import services as invoicing
from invoicing.models import Invoice, InvoiceLine
from sales.models import WorkType
from tests.builders import build_ticket_world, build_work_type, log_time, refreshed
from tests.factories import ManagerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = ManagerFactory()
    client.force_login(user)
    return user


def ten_hours(*, validate=True):
    world = build_ticket_world(employee=StaffUserFactory(), hours=10, invoiced=True)
    if validate:
        world.invoice = invoicing.invoice_validate(invoice=world.invoice)
    return world, world.invoice.lines.get()


def credit_url(invoice) -> str:
    return reverse("invoicing:invoice_credit", args=[invoice.pk])


def test_the_form_offers_reverse_or_write_down_per_line(client, manager):
    world, line = ten_hours()

    html = client.get(credit_url(world.invoice)).content.decode()

    assert f'name="mode_{line.pk}" value="reversal"' in html
    assert f'name="mode_{line.pk}" value="write_down"' in html
    assert re.search(rf'name="mode_{line.pk}" value="reversal"[^>]*checked', html)
    assert f'name="quantity_{line.pk}"' in html and "Up to 10.00 Hours" in html


def test_a_write_down_from_the_form(client, manager):
    world, line = ten_hours()

    response = client.post(
        credit_url(world.invoice),
        {"lines": [line.pk], f"mode_{line.pk}": "write_down", f"quantity_{line.pk}": "1.50"},
    )

    note = Invoice.objects.get(move_type=Invoice.CREDIT_NOTE)
    assert response.status_code == 302
    assert response.url == reverse("invoicing:invoice_detail", args=[note.pk])
    credit = note.lines.get()
    assert (credit.credit_mode, credit.quantity) == (InvoiceLine.WRITE_DOWN, D("1.50"))
    line_now = refreshed(world.line)
    assert (line_now.qty_to_invoice, line_now.qty_written_down) == (0, D("1.50"))
    # Still offered (not reversed), with what is left of it.
    html = client.get(credit_url(world.invoice)).content.decode()
    assert "Up to 8.50 Hours" in html and "1.50 written down already" in html
    assert "Write-down: the entries stay billed" in client.get(response.url).content.decode()
    order_page = client.get(reverse("sales:order_detail", args=[world.order.pk]))
    assert re.search(r'data-label="Written down">1\.50<', order_page.content.decode())


def test_ticked_lines_without_a_mode_are_reversed(client, manager):
    world, line = ten_hours()
    client.post(credit_url(world.invoice), {"lines": [line.pk]})
    assert Invoice.objects.get(move_type=Invoice.CREDIT_NOTE).lines.get().credit_mode == (
        InvoiceLine.REVERSAL
    )
    assert refreshed(world.line).qty_to_invoice == D("10.00")


@pytest.mark.parametrize(
    ("quantity", "field", "message"),
    [
        ("", "quantity", "Give the quantity to write down."),
        ("0", "quantity", "greater than or equal to 0.01"),
        ("1.234", "quantity", "2 decimal places"),
        ("10.01", "lines", "at most 10.00"),
    ],
)
def test_a_bad_write_down_is_a_form_error(client, manager, quantity, field, message):
    world, line = ten_hours()

    response = client.post(
        credit_url(world.invoice),
        {"lines": [line.pk], f"mode_{line.pk}": "write_down", f"quantity_{line.pk}": quantity},
    )

    assert response.status_code == 400
    name = "lines" if field == "lines" else f"quantity_{line.pk}"
    assert message in str(response.context["form"].errors[name])
    assert message in response.content.decode()
    assert not Invoice.objects.filter(move_type=Invoice.CREDIT_NOTE).exists()


def test_the_draft_line_form_says_lowering_writes_down(client, manager):
    world, line = ten_hours(validate=False)
    detail = reverse("invoicing:invoice_detail", args=[world.invoice.pk])

    html = client.get(detail, {"edit": line.pk}).content.decode()
    assert "Lowering the quantity writes the difference down when the invoice is validated" in html

    client.post(
        reverse("invoicing:line_update", args=[line.pk]),
        {
            f"line{line.pk}-description": line.description,
            f"line{line.pk}-quantity": "8",
            f"line{line.pk}-price_unit": "100",
        },
    )
    html = client.get(detail).content.decode()
    assert "Written down: 2.00 Hours (once validated)" in html
    assert refreshed(world.line).qty_to_invoice == 0


def test_the_invoice_page_shows_worked_and_billed_and_no_charge(client, manager):
    world = build_ticket_world(employee=StaffUserFactory(), hours=1)
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)
    log_time(employee=world.entry.employee, minutes=20, ticket=world.ticket, work_type=goodwill)
    invoice = invoicing.invoice_create_from_order(order=world.order)

    html = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content.decode()

    assert "2 timesheet entries billed" in html
    assert ">Worked</th>" in html and ">Billed</th>" in html
    assert '<span class="no-charge">No charge</span>' in html
    assert "0:20" in html and "1:00" in html
