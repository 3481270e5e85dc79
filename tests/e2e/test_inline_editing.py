"""Order lines and draft invoice lines are edited in place (htmx), without a page reload."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from invoicing.services import invoice_create_from_order
from sales import services as sales
from tests.factories import CustomerFactory, ManagerFactory, ProductFactory
from timesheets.services import timesheet_log

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def logged_in(page, live_server):
    user = ManagerFactory(username="mia")
    page.goto("/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("pass")
    page.get_by_role("button", name="Log in").click()
    return user


def mark_page(page):
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__noReload === true")


def test_order_line_is_edited_in_place(page, screenshot, logged_in):
    order = sales.order_create(
        customer=CustomerFactory(), lines=[{"product": ProductFactory(), "quantity": "10"}]
    )
    page.goto(f"/sales/{order.pk}/")
    mark_page(page)
    lines = page.locator("#order-lines")
    lines.get_by_role("link", name="Edit").click()
    editing = lines.locator("tr.editing")
    editing.get_by_label("Quantity").fill("12")
    editing.get_by_label("Unit price").fill("90")
    screenshot("inline-order-line-edit")
    editing.get_by_role("button", name="Save line").click()
    expect(page.locator("#order-total")).to_have_text("1,306.80 EUR")  # 12 x 90 + 21%
    expect(page.locator("#messages")).to_contain_text("Line saved")

    # A refused value is shown on the row, nothing saved.
    lines.get_by_role("link", name="Edit").click()
    editing.get_by_label("Quantity").fill("1.234")
    editing.get_by_role("button", name="Save line").click()
    expect(editing.locator(".errorlist")).to_be_visible()
    editing.get_by_role("link", name="Discard").click()
    expect(lines.get_by_role("link", name="Edit")).to_be_visible()
    assert_not_reloaded(page)
    assert order.lines.get().quantity == Decimal("12.00")


def test_draft_invoice_line_is_edited_in_place(page, screenshot, logged_in):
    order = sales.order_create(
        customer=CustomerFactory(), lines=[{"product": ProductFactory(), "quantity": "10"}]
    )
    sales.order_confirm(order=order)
    task = order.lines.get().tasks.get()
    timesheet_log(employee=logged_in, date=datetime.date(2026, 3, 2), minutes=180, task=task)
    invoice = invoice_create_from_order(order=order)

    page.goto(f"/invoicing/{invoice.pk}/")
    mark_page(page)
    lines = page.locator("#invoice-lines")
    lines.get_by_role("link", name="Edit line 1").click()
    lines.get_by_label("Unit price").fill("80")
    lines.get_by_role("button", name="Save line").click()
    expect(page.locator("#invoice-total")).to_have_text("290.40 EUR")  # 3 x 80 + 21%
    lines.get_by_text("1 timesheet entry billed").click()
    expect(lines).to_contain_text("3:00")
    screenshot("inline-invoice-line")
    assert_not_reloaded(page)
