"""The seed's walk in a real Chromium, from a fresh database with only an admin user.

Each step is done as the seed reads, by visible labels and buttons, and leaves a
screenshot in screenshots/ (git-ignored).
"""

import re
from decimal import Decimal

import facturx
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from core.models import AppSettings
from invoicing.einvoice.validation import validate_xml
from invoicing.models import Invoice
from sales.models import SaleOrderLine

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin_user():
    # A fresh installation: both feature switches off, one administrator.
    AppSettings.objects.update_or_create(
        pk=1, defaults={"timesheets_enabled": False, "uom_enabled": False}
    )
    return get_user_model().objects.create_superuser(
        "admin", "admin@billable.example", PASSWORD, first_name="Ada", last_name="Admin"
    )


def admin_save(page):
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success, ul.messagelist li").first).to_be_visible()


def test_seed_walk(page, screenshot, admin_user):
    today = timezone.localdate()

    # Log in.
    page.goto("/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot("login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Ada Admin")).to_be_visible()

    # Switch on Timesheets (Configuration page).
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Timesheets")).to_have_count(0)
    nav.get_by_role("link", name="Configuration").click()
    page.get_by_label(re.compile(r"^Timesheets:?$")).check()
    page.get_by_role("button", name="Save").click()
    expect(nav.get_by_role("link", name="Timesheets")).to_be_visible()
    screenshot("timesheets-switched-on")

    # The helpdesk project, allowing timesheets (Django admin).
    page.goto("/admin/projects/project/add/")
    page.get_by_label("Name:").fill("Helpdesk")
    expect(page.get_by_label("Allow timesheets")).to_be_checked()
    screenshot("helpdesk-project")
    admin_save(page)

    # The team, with Timesheet on Ticket and that project.
    page.goto("/admin/helpdesk/helpdeskteam/add/")
    page.get_by_label("Name:").fill("Support")
    page.get_by_label("Timesheet on Ticket").check()
    page.get_by_label("Project:").select_option(label="Helpdesk")
    screenshot("team")
    admin_save(page)

    # Switch on Units of Measure.
    page.goto("/configuration/")
    page.get_by_label(re.compile(r"^Units of Measure:?$")).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label(re.compile(r"^Units of Measure:?$"))).to_be_checked()
    screenshot("units-of-measure-switched-on")

    # The service product: Delivered quantities, task in the helpdesk project, Hours.
    page.goto("/admin/sales/product/add/")
    page.get_by_label("Name:").fill("Support hours")
    page.get_by_label("Type:").select_option(label="Service")
    page.get_by_label("Unit of measure:").select_option(label="Hours")
    page.get_by_label("Sales price:").fill("100.00")
    page.get_by_label("Tax rate (%):").fill("21")
    page.get_by_label("Invoicing policy:").select_option(label="Delivered quantities")
    page.get_by_label("Service tracking:").select_option(
        label="Create a task in an existing project"
    )
    page.get_by_label("Project:").select_option(label="Helpdesk")
    screenshot("service-product")
    admin_save(page)

    # A customer.
    page.goto("/admin/sales/customer/add/")
    page.get_by_label("Name:").fill("Acme Printing")
    page.get_by_label("Email:").fill("billing@acme.example")
    page.get_by_label("Street:").fill("12 Client Road")
    page.get_by_label("City:").fill("Ghent")
    admin_save(page)

    # Create and confirm the order (Sales page).
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sales").click()
    page.get_by_role("link", name="New quotation").click()
    # exact: the form also has "Customer reference".
    page.get_by_label("Customer:", exact=True).select_option(label="Acme Printing")
    page.get_by_role("button", name="Create quotation").click()
    lines = page.locator("#order-lines")
    lines.get_by_label("Product").select_option(label="Support hours")
    lines.get_by_label("Description").fill("Printer support")
    lines.get_by_label("Quantity").fill("10")
    lines.get_by_role("button", name="Add line").click()
    expect(lines.locator("tbody tr").first).to_contain_text("Printer support")
    expect(page.locator("#messages")).to_contain_text("added")  # out-of-band, no reload
    screenshot("quotation")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sales Order")
    order_name = page.get_by_role("heading", level=1).inner_text().split()[-1]
    task_name = f"{order_name} - Printer support"
    screenshot("order-confirmed")

    # Open the generated task.
    page.get_by_role("link", name=task_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(task_name)
    screenshot("generated-task")

    # A ticket, then link the task on it.
    page.goto("/helpdesk/tickets/new/")
    page.get_by_label("Subject").fill("The printer is on fire")
    page.get_by_label("Team").select_option(label="Support")
    page.get_by_label("Customer").select_option(label="Acme Printing")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("The printer is on fire")
    page.get_by_label("Task").select_option(label=task_name)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("link", name=task_name)).to_be_visible()
    screenshot("ticket-with-task")

    # Log hours on the ticket's Timesheets tab.
    page.get_by_role("tab", name="Timesheets").click()
    panel = page.locator("#entries-panel")
    panel.get_by_label("Date").fill(today.isoformat())
    panel.get_by_label("Description").fill("Put out the fire")
    panel.get_by_label("Duration").fill("2:30")
    panel.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("entries-total")).to_have_text("2:30")
    expect(page.locator("#entries-panel")).to_contain_text("Put out the fire")
    screenshot("ticket-timesheets")

    # See them on the task and in Timesheets.
    page.get_by_role("link", name=task_name).click()
    expect(page.locator("#entries-panel")).to_contain_text("Put out the fire")
    expect(page.get_by_test_id("entries-total")).to_have_text("2:30")
    screenshot("task-timesheets")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timesheets").click()
    expect(page.locator("main")).to_contain_text("2:30")
    screenshot("my-timesheets")

    # The order's Delivered figure.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sales").click()
    page.get_by_role("link", name=order_name).click()
    row = page.locator("#order-lines tbody tr").first
    expect(row.locator('[data-label="Delivered"]')).to_have_text("2.50")
    expect(row.locator('[data-label="To invoice"]')).to_have_text("2.50")
    assert SaleOrderLine.objects.get().qty_delivered == Decimal("2.50")
    screenshot("order-delivered")

    # Create Invoice.
    page.get_by_role("button", name="Create Invoice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")
    expect(page.locator("#invoice-total")).to_have_text("302.50 EUR")
    screenshot("draft-invoice")

    # Validate.
    page.get_by_role("button", name="Validate").click()
    number = f"INV/{today.year}/00001"
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator("#payment-state")).to_have_text("Not paid")
    screenshot("invoice-validated")

    # Download PDF: a Factur-X PDF whose embedded CII passes the XSD and the EN 16931
    # schematron (issue 15).
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = download_info.value
    with open(pdf.path(), "rb") as content:
        pdf_bytes = content.read()
    assert pdf_bytes[:5] == b"%PDF-"
    assert pdf.suggested_filename.endswith(".pdf")
    xml_name, cii = facturx.get_xml_from_pdf(pdf_bytes, check_xsd=True)
    assert xml_name == "factur-x.xml"
    assert [f.rule_id for f in validate_xml(cii, syntax="cii") if f.flag == "fatal"] == []

    # Download UBL: the Peppol BIS 3 invoice, valid too.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download UBL").click()
    with open(download_info.value.path(), "rb") as content:
        ubl = content.read()
    assert [f.rule_id for f in validate_xml(ubl, syntax="ubl-invoice") if f.flag == "fatal"] == []

    # Register Payment.
    page.get_by_role("link", name="Register Payment").click()
    expect(page.get_by_label("Amount")).to_have_value("302.50")
    page.get_by_label("Reference").fill("Acme transfer 42")
    screenshot("register-payment")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#payment-state")).to_have_text("Paid")
    expect(page.locator("#amount-due")).to_have_text(re.compile(r"0\.00"))
    screenshot("invoice-paid")
    invoice = Invoice.objects.get(number=number)
    assert invoice.payment_state == Invoice.PAID

    # The same pages on a phone (390 px): nothing wider than the screen but the tables' own scroll.
    page.set_viewport_size({"width": 390, "height": 844})
    for name, url in [
        ("phone-invoice", page.url),
        ("phone-order", f"/sales/{invoice.sale_order_id}/"),
        ("phone-invoices", "/invoicing/"),
        ("phone-orders", "/sales/"),
    ]:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        screenshot(name)
