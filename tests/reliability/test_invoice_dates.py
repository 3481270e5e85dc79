"""An invoice date follows DOMAIN.md rule 34 (issue finding 5).

Never after today, never before the last posted date of its series (INV, RINV, across
years), never on or before the lock date ("Timesheets locked up to", Configuration).
A refused date is a 400 or a form message, and nothing is posted: no number, no gap.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AppSettings, Sequence, timesheets_locked_up_to
from invoicing import services as invoicing
from invoicing.models import Invoice
from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world
from tests.factories import AdminFactory, ManagerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_pdf(settings):
    settings.INVOICE_PDF_ON_VALIDATE = False


@pytest.fixture
def manager():
    return ManagerFactory()


def a_draft() -> Invoice:
    return build_ticket_world(employee=StaffUserFactory(), invoiced=True).invoice


def lock_up_to(day: datetime.date | None) -> None:
    row = AppSettings.load()
    row.timesheets_locked_up_to = day
    row.save()


def assert_nothing_posted(draft: Invoice, *, posted_before: int = 0) -> None:
    draft.refresh_from_db()
    assert draft.state == Invoice.DRAFT and draft.number is None
    assert Invoice.objects.filter(state=Invoice.POSTED).count() == posted_before


def test_a_future_date_is_refused_and_the_next_invoices_are_still_validated(manager):
    draft, later = a_draft(), a_draft()
    api = token_client(manager)
    future = timezone.localdate() + datetime.timedelta(days=30)

    response = api.post(
        f"/api/v1/invoices/{draft.pk}/validate/",
        {"invoice_date": future.isoformat()},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "after today" in response.json()["invoice_date"][0]
    assert_nothing_posted(draft)
    # Invoicing goes on: the blocked series validates today's invoices again.
    today = timezone.localdate().isoformat()
    ok = api.post(f"/api/v1/invoices/{later.pk}/validate/", {"invoice_date": today}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["invoice_date"] == today
    assert ok.json()["number"] == f"INV/{timezone.localdate().year}/00001"
    default = api.post(f"/api/v1/invoices/{draft.pk}/validate/")
    assert default.status_code == 200 and default.json()["number"].endswith("/00002")


def test_year_one_is_refused_after_a_posted_invoice(manager):
    invoicing.invoice_validate(invoice=a_draft(), invoice_date=DAY)
    draft = a_draft()

    response = token_client(manager).post(
        f"/api/v1/invoices/{draft.pk}/validate/", {"invoice_date": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400, response.content
    message = response.json()["invoice_date"][0]
    assert "INV/2026/00001" in message and "0001-01-01" in message
    assert_nothing_posted(draft, posted_before=1)
    assert not Sequence.objects.filter(code="INV", year=1).exists()


def test_an_invoice_is_not_dated_before_the_last_posted_date_of_its_series_even_a_year_earlier():
    invoicing.invoice_validate(invoice=a_draft(), invoice_date=DAY)
    draft = a_draft()

    with pytest.raises(ValidationError) as refused:
        invoicing.invoice_validate(invoice=draft, invoice_date=datetime.date(2025, 12, 31))

    assert "numbers follow the dates" in refused.value.message_dict["invoice_date"][0]
    assert_nothing_posted(draft, posted_before=1)
    assert not Sequence.objects.filter(code="INV", year=2025, last_number__gt=0).exists()
    # The same day as the last one is fine.
    assert invoicing.invoice_validate(invoice=draft, invoice_date=DAY).number == "INV/2026/00002"


def test_the_lock_date_closes_invoice_dates_on_and_before_it():
    draft = a_draft()  # its time logged before the period was locked
    lock_up_to(DAY)
    assert timesheets_locked_up_to() == DAY

    for day in (DAY, DAY - datetime.timedelta(days=1), datetime.date(1, 1, 1)):
        with pytest.raises(ValidationError) as refused:
            invoicing.invoice_validate(invoice=draft, invoice_date=day)
        message = refused.value.message_dict["invoice_date"][0]
        assert f"up to {DAY.isoformat()} is locked" in message
        assert_nothing_posted(draft)

    next_day = DAY + datetime.timedelta(days=1)
    assert invoicing.invoice_validate(invoice=draft, invoice_date=next_day).invoice_date == next_day


def test_a_credit_note_is_not_posted_in_a_locked_period():
    invoice = invoicing.invoice_validate(invoice=a_draft(), invoice_date=DAY)
    lock_up_to(timezone.localdate())

    with pytest.raises(ValidationError) as refused:
        invoicing.invoice_credit(invoice=invoice)

    assert "A credit note cannot be dated" in refused.value.messages[0]
    assert not Invoice.objects.filter(move_type=Invoice.CREDIT_NOTE).exists()
    invoice.refresh_from_db()
    assert invoice.payment_state == Invoice.NOT_PAID
    assert invoice.lines.get().timesheets.exists()  # its entries are still billed


def test_the_validate_button_refuses_a_future_date_or_a_locked_day_with_a_message(client, manager):
    client.force_login(manager)
    draft = a_draft()
    url = reverse("invoicing:invoice_validate", args=[draft.pk])
    future = timezone.localdate() + datetime.timedelta(days=1)

    page = client.post(url, {"invoice_date": future.isoformat()}, follow=True)
    assert "cannot be dated after today" in page.content.decode()
    assert_nothing_posted(draft)

    lock_up_to(timezone.localdate())
    page = client.post(url, follow=True)  # no date: today, which is locked
    assert "is locked" in page.content.decode()
    assert_nothing_posted(draft)

    lock_up_to(None)
    detail = client.get(reverse("invoicing:invoice_detail", args=[draft.pk])).content.decode()
    assert 'name="invoice_date"' in detail
    client.post(url)
    draft.refresh_from_db()
    assert draft.state == Invoice.POSTED and draft.invoice_date == timezone.localdate()


def test_an_admin_sets_the_lock_date_on_the_configuration_page(client):
    client.force_login(AdminFactory())
    url = reverse("core:configuration")
    assert 'name="timesheets_locked_up_to"' in client.get(url).content.decode()
    on = {"timesheets_enabled": "on", "uom_enabled": "on"}

    future = timezone.localdate() + datetime.timedelta(days=1)
    refused = client.post(url, {**on, "timesheets_locked_up_to": future.isoformat()})
    assert refused.status_code == 200
    assert "cannot be after today" in str(refused.context["form"].errors)
    assert timesheets_locked_up_to() is None

    saved = client.post(url, {**on, "timesheets_locked_up_to": DAY.isoformat()})
    assert saved.status_code == 302
    assert timesheets_locked_up_to() == DAY
    assert AppSettings.load().timesheets_enabled is True


def test_the_lock_date_is_in_the_settings_api_for_admins_to_change():
    api = token_client(AdminFactory())
    response = api.patch(
        "/api/v1/settings/", {"timesheets_locked_up_to": DAY.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["timesheets_locked_up_to"] == DAY.isoformat()
    assert timesheets_locked_up_to() == DAY
    manager = token_client(ManagerFactory())
    refused = manager.patch("/api/v1/settings/", {"timesheets_locked_up_to": None}, format="json")
    assert refused.status_code == 403
    assert timesheets_locked_up_to() == DAY


def test_year_one_is_refused_on_an_empty_database_too(manager):
    draft = a_draft()

    response = token_client(manager).post(
        f"/api/v1/invoices/{draft.pk}/validate/", {"invoice_date": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "2000-01-01 or later" in response.json()["invoice_date"][0]
    assert_nothing_posted(draft)
    assert not Sequence.objects.filter(code="INV", year=1).exists()
