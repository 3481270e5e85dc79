"""The e-invoice fields through the API (DOMAIN.md part I): structured customers checked
with python-stdnum, the Company, customer references, VAT categories, the UBL download."""

import pytest

from core.models import Company
from invoicing.models import Invoice
from sales.models import REVERSE_CHARGE_REASON, Customer
from tests.api.conftest import token_client
from tests.builders import build_invoice, build_order, build_product, build_ticket_world
from tests.factories import CustomerFactory, uom

pytestmark = pytest.mark.django_db

DUTCH_VAT = "NL000099998B57"  # valid for python-stdnum (the Dutch test number)


# --- customers -------------------------------------------------------------------------


def test_a_customer_round_trips_its_address_and_identifiers_stored_compact(manager_api):
    response = manager_api.post(
        "/api/v1/customers/",
        {
            "name": "Brasserie Dupont",
            "email": "info@dupont.example",
            "street": "Rue de la Station 12",
            "street2": "Building B",
            "zip": "7904",
            "city": "Tourpes",
            "country": "BE",
            "vat": "BE 0123.456.749",
            "company_registration": "0123.456.749",
            "peppol_scheme": "0208",
            "peppol_id": "0123.456.749",
            "invoice_email": "invoices@dupont.example",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = manager_api.get(f"/api/v1/customers/{response.json()['id']}/").json()
    assert body == {
        "id": body["id"],
        "name": "Brasserie Dupont",
        "email": "info@dupont.example",
        "street": "Rue de la Station 12",
        "street2": "Building B",
        "zip": "7904",
        "city": "Tourpes",
        "country": "BE",
        "vat": "BE0123456749",
        "company_registration": "0123456749",
        "peppol_scheme": "0208",
        "peppol_id": "0123456749",
        "invoice_email": "invoices@dupont.example",
        "payment_terms_days": 30,
    }


def test_a_belgian_vat_number_with_a_wrong_check_digit_is_refused(manager_api):
    response = manager_api.post(
        "/api/v1/customers/",
        {"name": "Typo SA", "country": "BE", "vat": "BE0123456748"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "vat": ["BE0123456748 is not a valid BE VAT number: its check digits are wrong."]
    }
    assert not Customer.objects.filter(name="Typo SA").exists()


def test_a_wrong_vat_number_is_refused_on_patch_too(manager_api):
    customer = CustomerFactory()
    response = manager_api.patch(
        f"/api/v1/customers/{customer.pk}/", {"vat": "BE0123456748"}, format="json"
    )
    assert response.status_code == 400
    assert "check digits" in response.json()["vat"][0]
    customer.refresh_from_db()
    assert customer.vat != "BE0123456748"


@pytest.mark.parametrize("country", ["XX", "Belgium", "be", "BEL"])
def test_a_country_that_is_not_an_iso_code_is_refused(manager_api, country):
    response = manager_api.post(
        "/api/v1/customers/", {"name": "Nowhere Ltd", "country": country}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "country": [f'"{country}" is not an ISO 3166-1 alpha-2 country code (e.g. BE, NL).']
    }


def test_an_electronic_address_needs_a_known_scheme(manager_api):
    response = manager_api.post(
        "/api/v1/customers/",
        {"name": "Peppol BV", "peppol_scheme": "1234", "peppol_id": "42"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"peppol_scheme"}


# --- products and order lines -----------------------------------------------------------


def _product_payload(world, **fields) -> dict:
    return {
        "name": "Training",
        "type": "service",
        "uom": uom("Hours").pk,
        "list_price": "80.00",
        "invoice_policy": "order",
        "service_tracking": "task_in_project",
        "project": world.project.pk,
        **fields,
    }


def test_a_product_round_trips_its_vat_category_and_exemption_reason(manager_api):
    world = build_ticket_world()
    reason = "Exempt: Article 44 § 2 of the Belgian VAT Code"
    response = manager_api.post(
        "/api/v1/products/",
        _product_payload(world, tax_rate="0.00", vat_category="E", vat_exemption_reason=reason),
        format="json",
    )

    assert response.status_code == 201, response.content
    body = manager_api.get(f"/api/v1/products/{response.json()['id']}/").json()
    assert (body["vat_category"], body["vat_exemption_reason"], body["tax_rate"]) == (
        "E",
        reason,
        "0.00",
    )


def test_an_exempt_product_needs_its_reason_and_a_zero_rate(manager_api):
    world = build_ticket_world()
    response = manager_api.post(
        "/api/v1/products/",
        _product_payload(world, tax_rate="21.00", vat_category="E"),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"tax_rate", "vat_exemption_reason"}


def test_a_service_line_for_an_eu_business_abroad_is_reverse_charged(manager_api):
    """Rule 43: a Belgian seller, a Dutch customer with a VAT number, a 21% service."""
    assert Company.load().country == "BE"
    world = build_ticket_world()
    dutch = CustomerFactory(country="NL", vat=DUTCH_VAT, city="Amsterdam", zip="1011 AB")
    order = manager_api.post(
        "/api/v1/orders/", {"customer": dutch.pk, "customer_reference": "PO-77"}, format="json"
    ).json()

    response = manager_api.post(
        f"/api/v1/orders/{order['id']}/lines/",
        {"product": world.product.pk, "quantity": "5"},
        format="json",
    )

    assert response.status_code == 201, response.content
    line = response.json()
    assert (line["vat_category"], line["tax_rate"]) == ("AE", "0.00")
    assert line["vat_exemption_reason"] == REVERSE_CHARGE_REASON
    totals = manager_api.get(f"/api/v1/orders/{order['id']}/").json()
    assert (totals["amount_untaxed"], totals["amount_tax"], totals["amount_total"]) == (
        "500.00",
        "0.00",
        "500.00",
    )


def test_a_line_takes_the_vat_category_given(manager_api):
    world = build_ticket_world()
    reason = "Exempt: Article 44 of the Belgian VAT Code"
    response = manager_api.post(
        f"/api/v1/orders/{world.order.pk}/lines/",
        {
            "product": world.product.pk,
            "quantity": "2",
            "tax_rate": "0",
            "vat_category": "E",
            "vat_exemption_reason": reason,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    line = response.json()
    assert (line["vat_category"], line["tax_rate"], line["vat_exemption_reason"]) == (
        "E",
        "0.00",
        reason,
    )

    patched = manager_api.patch(
        f"/api/v1/order-lines/{line['id']}/",
        {"vat_category": "S", "tax_rate": "21.00"},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["vat_category"], patched.json()["vat_exemption_reason"]) == ("S", "")


def test_an_exempt_line_without_its_reason_is_refused(manager_api):
    world = build_ticket_world()
    response = manager_api.post(
        f"/api/v1/orders/{world.order.pk}/lines/",
        {"product": world.product.pk, "quantity": "2", "tax_rate": "0", "vat_category": "E"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"vat_exemption_reason"}


def test_an_unknown_vat_category_is_refused(manager_api):
    world = build_ticket_world()
    response = manager_api.post(
        f"/api/v1/orders/{world.order.pk}/lines/",
        {"product": world.product.pk, "quantity": "2", "vat_category": "K"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"vat_category"}


# --- orders ------------------------------------------------------------------------------


def test_an_orders_customer_reference_round_trips(manager_api):
    world = build_ticket_world()
    created = manager_api.post(
        "/api/v1/orders/",
        {"customer": world.customer.pk, "customer_reference": "  PO-2026-0042 "},
        format="json",
    )
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    assert created.json()["customer_reference"] == "PO-2026-0042"

    patched = manager_api.patch(
        f"/api/v1/orders/{order_id}/", {"customer_reference": "PO-2026-0043"}, format="json"
    )
    assert patched.status_code == 200
    assert manager_api.get(f"/api/v1/orders/{order_id}/").json()["customer_reference"] == (
        "PO-2026-0043"
    )


def test_a_posted_invoice_shows_its_buyer_and_payment_references(manager_api):
    product = build_product(policy="order", tax="21.00")
    order = build_order(product=product, quantity="3", confirm=False)
    manager_api.patch(f"/api/v1/orders/{order.pk}/", {"customer_reference": "PO-9"}, format="json")
    manager_api.post(f"/api/v1/orders/{order.pk}/confirm/")
    invoice = build_invoice(order=order, validate=True)

    body = manager_api.get(f"/api/v1/invoices/{invoice.pk}/").json()

    assert body["buyer_reference"] == "PO-9"
    assert body["payment_reference"] == invoice.payment_reference != ""
    assert body["peppol"] is None
    assert body["lines"][0]["vat_category"] == "S"


# --- the company -------------------------------------------------------------------------

COMPANY_FIELDS = {
    "name", "street", "street2", "zip", "city", "country", "vat", "company_registration",
    "peppol_scheme", "peppol_id", "iban", "bic", "email", "phone", "logo",
}  # fmt: skip


def test_every_role_reads_the_company(user_api, anonymous_api, no_role_user):
    response = user_api.get("/api/v1/company/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == COMPANY_FIELDS
    assert (body["country"], body["vat"], body["logo"]) == ("BE", Company.load().vat, None)
    assert anonymous_api.get("/api/v1/company/").status_code == 401
    assert token_client(no_role_user).get("/api/v1/company/").status_code == 403


def test_only_administrators_change_the_company(user_api, manager_api, admin_api):
    change = {"name": "Helpdesk Heroes SRL"}
    assert user_api.patch("/api/v1/company/", change, format="json").status_code == 403
    assert manager_api.patch("/api/v1/company/", change, format="json").status_code == 403

    response = admin_api.patch(
        "/api/v1/company/",
        {**change, "vat": "be 0123 456 749", "iban": "BE71 0961 2345 6769", "street2": "Box 3"},
        format="json",
    )

    assert response.status_code == 200, response.content
    company = Company.load()
    assert (company.name, company.vat, company.iban, company.street2) == (
        "Helpdesk Heroes SRL",
        "BE0123456749",
        "BE71096123456769",
        "Box 3",
    )
    assert Company.objects.count() == 1


def test_a_wrong_company_identifier_is_a_field_error(admin_api):
    before = Company.load()
    response = admin_api.patch(
        "/api/v1/company/",
        {"vat": "BE0123456748", "iban": "BE00096123456769", "peppol_scheme": "1234"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"vat", "iban", "peppol_scheme"}
    assert body["vat"] == ["BE0123456748 is not a valid BE VAT number: its check digits are wrong."]
    after = Company.load()
    assert (after.vat, after.iban, after.peppol_scheme) == (
        before.vat,
        before.iban,
        before.peppol_scheme,
    )


def test_the_company_country_is_a_code(admin_api):
    response = admin_api.patch("/api/v1/company/", {"country": "Belgium"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"country"}


# --- the UBL download --------------------------------------------------------------------


def _posted_invoice() -> Invoice:
    product = build_product(policy="order", tax="21.00")
    return build_invoice(order=build_order(product=product, quantity="2"), validate=True)


def test_a_posted_invoices_ubl_is_its_stored_xml(manager_api):
    invoice = _posted_invoice()

    response = manager_api.get(f"/api/v1/invoices/{invoice.pk}/ubl/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    filename = invoice.number.replace("/", "-") + ".xml"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.content.decode() == invoice.ubl_xml != ""


def test_a_drafts_ubl_is_not_found(manager_api):
    product = build_product(policy="order", tax="21.00")
    draft = build_invoice(order=build_order(product=product, quantity="2"))

    response = manager_api.get(f"/api/v1/invoices/{draft.pk}/ubl/")

    assert response.status_code == 404
    assert response.json() == {
        "detail": f"{draft} is not validated: only a posted invoice has an e-invoice."
    }


def test_an_invoice_posted_before_einvoices_has_no_ubl(manager_api):
    product = build_product(policy="order", tax="21.00")
    draft = build_invoice(order=build_order(product=product, quantity="2"))
    # Posted the way old invoices were: no XML stored (the bench loader writes them so too).
    Invoice.objects.filter(pk=draft.pk).update(number="INV/2025/00001")
    Invoice.objects.filter(pk=draft.pk).update(state=Invoice.POSTED)

    response = manager_api.get(f"/api/v1/invoices/{draft.pk}/ubl/")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "INV/2025/00001 was posted before e-invoices existed: it has no UBL."
    }


def test_the_ubl_needs_the_manager_role(user_api):
    invoice = _posted_invoice()
    assert user_api.get(f"/api/v1/invoices/{invoice.pk}/ubl/").status_code == 403
