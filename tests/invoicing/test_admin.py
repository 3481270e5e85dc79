"""Invoice admin: read-only, drafts move through actions that call the services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice, Payment
from invoicing.services import invoice_create_from_order, invoice_validate
from tests.builders import day
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(username="root"))
    return client


@pytest.fixture
def draft(make_line, log):
    line = make_line(price="100", tax="0")
    log(line, hours=2)
    return invoice_create_from_order(order=line.order)


def test_invoice_pages_load_and_are_read_only(admin_client, draft):
    posted = invoice_validate(invoice=draft, invoice_date=day(2))
    assert admin_client.get(reverse("admin:invoicing_invoice_changelist")).status_code == 200
    url = reverse("admin:invoicing_invoice_change", args=[posted.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    admin_client.post(url, {"customer_name": "Changed"})
    assert Invoice.objects.get(pk=posted.pk).customer_name != "Changed"
    delete_url = reverse("admin:invoicing_invoice_delete", args=[posted.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Invoice.objects.filter(pk=posted.pk).exists()


def test_the_validate_action_calls_the_service(admin_client, draft):
    response = admin_client.post(
        reverse("admin:invoicing_invoice_changelist"),
        {"action": "validate_drafts", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.number and draft.number.startswith("INV/")


def test_the_validate_action_reports_a_refusal(admin_client, draft):
    invoice_validate(invoice=draft)
    response = admin_client.post(
        reverse("admin:invoicing_invoice_changelist"),
        {"action": "validate_drafts", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "already validated" in response.content.decode()


def test_a_payment_added_in_the_admin_goes_through_the_service(admin_client, draft):
    posted = invoice_validate(invoice=draft)
    url = reverse("admin:invoicing_payment_add")
    data = {"invoice": posted.pk, "amount": "50", "date": "2026-03-04", "method": "bank"}
    assert admin_client.post(url, data).status_code == 302
    posted.refresh_from_db()
    assert posted.amount_due == Decimal("150.00")
    assert posted.payment_state == Invoice.PARTIAL

    page = admin_client.post(url, {**data, "amount": "500"})
    assert page.status_code == 200
    assert "Overpayment" in page.content.decode()
    assert Payment.objects.count() == 1
