"""Who created, changed or deleted an entry, order, invoice or payment, visible to managers."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing import services as invoicing_services
from sales import services as sales_services
from tests.factories import (
    CustomerFactory,
    ManagerFactory,
    ProductFactory,
    StaffUserFactory,
    TeamFactory,
)
from timesheets import services as timesheet_services
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db


def _history_url(record):
    label = f"{record._meta.app_label}.{record._meta.model_name}"
    return reverse("core:history", args=[label, record.pk])


def test_an_entry_edited_through_a_page_names_the_user_and_the_change(client):
    team = TeamFactory()
    staff = StaffUserFactory()
    entry = timesheet_services.timesheet_log(
        employee=staff, date=datetime.date(2026, 3, 2), minutes=60, project=team.project
    )
    client.force_login(staff)
    # Edits made in a request record the request's user.
    from django.test import RequestFactory
    from simple_history.middleware import HistoryRequestMiddleware

    request = RequestFactory().post("/")
    request.user = staff

    def edit(_request):
        timesheet_services.timesheet_update(entry=entry, minutes=90)
        return None

    HistoryRequestMiddleware(edit)(request)

    manager = ManagerFactory()
    client.force_login(manager)
    page = client.get(_history_url(entry)).content.decode()
    assert "Created" in page and "Changed" in page
    assert "minutes" in page and "60 → 90" in page
    assert (staff.get_full_name() or staff.username) in page


def test_a_deleted_entry_keeps_its_history(client):
    team = TeamFactory()
    staff = StaffUserFactory()
    entry = timesheet_services.timesheet_log(
        employee=staff, date=datetime.date(2026, 3, 2), minutes=30, project=team.project
    )
    pk = entry.pk
    timesheet_services.timesheet_delete(entry=entry)
    assert not TimesheetEntry.objects.filter(pk=pk).exists()
    client.force_login(ManagerFactory())
    response = client.get(reverse("core:history", args=["timesheets.timesheetentry", pk]))
    assert response.status_code == 200
    assert "Deleted" in response.content.decode()


def test_orders_invoices_and_payments_are_audited(client):
    team = TeamFactory()
    product = ProductFactory(project=team.project, invoice_policy="order")
    order = sales_services.order_create(
        customer=CustomerFactory(), lines=[{"product": product, "quantity": 2}]
    )
    sales_services.order_confirm(order=order)
    invoice = invoicing_services.invoice_create_from_order(order=order)
    invoicing_services.invoice_validate(invoice=invoice)
    payment = invoicing_services.payment_register(
        invoice=invoice, amount=Decimal("10.00"), date=datetime.date(2026, 3, 3)
    )
    client.force_login(ManagerFactory())
    for record in (order, invoice, payment):
        assert client.get(_history_url(record)).status_code == 200
    page = client.get(_history_url(order)).content.decode()
    assert "state" in page and "draft → sale" in page


def test_the_audit_trail_is_for_managers_only(client):
    team = TeamFactory()
    staff = StaffUserFactory()
    entry = timesheet_services.timesheet_log(
        employee=staff, date=datetime.date(2026, 3, 2), minutes=30, project=team.project
    )
    client.force_login(staff)
    assert client.get(_history_url(entry)).status_code == 403
    client.logout()
    assert client.get(_history_url(entry)).status_code == 302


def test_unknown_kinds_of_record_have_no_history_page(client):
    client.force_login(ManagerFactory())
    assert client.get(reverse("core:history", args=["auth.user", 1])).status_code == 404


def test_the_order_and_invoice_pages_link_their_history_for_managers_only(client):
    team = TeamFactory()
    product = ProductFactory(project=team.project, invoice_policy="order")
    order = sales_services.order_create(
        customer=CustomerFactory(), lines=[{"product": product, "quantity": 1}]
    )
    sales_services.order_confirm(order=order)
    invoice = invoicing_services.invoice_create_from_order(order=order)
    client.force_login(ManagerFactory())
    for page, record in (
        (reverse("sales:order_detail", args=[order.pk]), order),
        (reverse("invoicing:invoice_detail", args=[invoice.pk]), invoice),
    ):
        assert _history_url(record) in client.get(page).content.decode()
