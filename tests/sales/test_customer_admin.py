"""Customers, units, products and orders in the admin: the e-invoice fields (DOMAIN.md
rules 42-43)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sales.models import Customer, SaleOrder
from tests.factories import AdminFactory, CustomerFactory, ProductFactory, uom

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(username="root"))
    return client


CUSTOMER = {
    "name": "Brasserie Dupont",
    "email": "info@dupont.example",
    "street": "Rue de la Station 12",
    "street2": "",
    "zip": "7904",
    "city": "Tourpes",
    "country": "BE",
    "vat": "BE 0123.456.749",
    "company_registration": "0123.456.749",
    "peppol_scheme": "0208",
    "peppol_id": "0123456749",
    "invoice_email": "invoices@dupont.example",
    "payment_terms_days": "30",
}


def test_the_admin_saves_a_customer_with_its_identifiers_compact(admin_client):
    page = admin_client.get(reverse("admin:sales_customer_add")).content.decode()
    for legend in ("Address", "Identifiers", "Invoicing"):
        assert legend in page

    response = admin_client.post(reverse("admin:sales_customer_add"), CUSTOMER)

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get()
    assert (customer.vat, customer.company_registration, customer.country) == (
        "BE0123456749",
        "0123456749",
        "BE",
    )
    assert customer.billing_email == "invoices@dupont.example"


def test_the_admin_refuses_a_belgian_vat_number_with_a_wrong_check_digit(admin_client):
    response = admin_client.post(
        reverse("admin:sales_customer_add"), {**CUSTOMER, "vat": "BE0123456748"}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["vat"] == [
        "BE0123456748 is not a valid BE VAT number: its check digits are wrong."
    ]
    assert not Customer.objects.exists()


def test_the_admin_refuses_an_unknown_country(admin_client):
    response = admin_client.post(reverse("admin:sales_customer_add"), {**CUSTOMER, "country": "XX"})
    assert response.status_code == 200
    assert "country" in response.context["adminform"].form.errors


def test_the_unit_admin_shows_the_unece_code(admin_client):
    html = admin_client.get(reverse("admin:sales_uom_changelist")).content.decode()
    assert "HUR" in html
    page = admin_client.get(reverse("admin:sales_uom_change", args=[uom("Days").pk]))
    assert 'name="unece_code"' in page.content.decode()


def test_the_product_admin_shows_the_vat_category_and_reason(admin_client):
    product = ProductFactory()
    html = admin_client.get(reverse("admin:sales_product_change", args=[product.pk])).content
    assert b'name="vat_category"' in html and b'name="vat_exemption_reason"' in html


def test_the_order_admin_keeps_the_customer_reference_and_reverse_charges_a_dutch_line(
    admin_client,
):
    dutch = CustomerFactory(country="NL", vat="NL000099998B57")
    product = ProductFactory()

    response = admin_client.post(
        reverse("admin:sales_saleorder_add"),
        {
            "customer": dutch.pk,
            "date_order": "2026-03-01",
            "customer_reference": "PO-1",
            "note": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-product": product.pk,
            "lines-0-quantity": "5",
            "lines-0-vat_category": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    order = SaleOrder.objects.get()
    line = order.lines.get()
    assert order.customer_reference == "PO-1"
    assert (line.vat_category, line.tax_rate) == ("AE", Decimal("0"))
