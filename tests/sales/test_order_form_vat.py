"""The order page's e-invoice inputs: the customer reference, and each line's VAT category
(DOMAIN.md rule 43) wherever its tax is edited. Bad input is a message on the form."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sales.models import REVERSE_CHARGE_REASON, SaleOrder
from sales.services import order_line_update, order_update
from tests.builders import build_order, build_order_line
from tests.factories import CustomerFactory, ManagerFactory, ProductFactory
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db

REASON = "Exempt: Article 44 of the Belgian VAT Code"


@pytest.fixture
def manager(client):
    user = ManagerFactory()
    client.force_login(user)
    return user


@pytest.fixture
def product():
    return ProductFactory(list_price=Decimal("100.00"), tax_rate=Decimal("21.00"))


def test_a_quotation_keeps_its_customer_reference_and_the_page_shows_it(client, manager):
    customer = CustomerFactory()
    response = client.post(
        reverse("sales:order_create"),
        {"customer": customer.pk, "date_order": "2026-03-01", "customer_reference": "PO-4711"},
    )
    order = SaleOrder.objects.get(customer=customer)
    assert response.status_code == 302
    assert order.customer_reference == "PO-4711"

    page = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert 'name="customer_reference"' in page and 'value="PO-4711"' in page

    client.post(
        reverse("sales:order_detail", args=[order.pk]),
        {"customer": customer.pk, "date_order": "2026-03-01", "customer_reference": "PO-4712"},
    )
    order.refresh_from_db()
    assert order.customer_reference == "PO-4712"


def test_a_too_long_customer_reference_is_a_form_error(client, manager):
    order = build_order(confirm=False)
    response = client.post(
        reverse("sales:order_detail", args=[order.pk]),
        {
            "customer": order.customer_id,
            "date_order": "2026-03-01",
            "customer_reference": "x" * 101,
        },
    )
    assert response.status_code == 400
    assert response.context["header_form"].errors["customer_reference"]


def test_an_exempt_line_is_added_with_its_reason_and_no_tax(client, manager, product):
    order = build_order(product=product, confirm=False)
    response = client.post(
        reverse("sales:line_add", args=[order.pk]),
        {
            "new-product": product.pk,
            "new-quantity": "2",
            "new-vat_category": "E",
            "new-vat_exemption_reason": REASON,
        },
        **HTMX,
    )
    assert response.status_code == 200
    line = order.lines.order_by("-pk").first()
    assert (line.vat_category, line.tax_rate, line.vat_exemption_reason) == (
        "E",
        Decimal("0"),
        REASON,
    )
    html = response.content.decode()
    assert f'title="Exempt from VAT: {REASON}">E</abbr>' in html


def test_an_exempt_line_without_its_reason_is_refused_on_the_form(client, manager, product):
    order = build_order(product=product, confirm=False)
    response = client.post(
        reverse("sales:line_add", args=[order.pk]),
        {"new-product": product.pk, "new-quantity": "2", "new-vat_category": "E"},
        **HTMX,
    )
    assert response.status_code == 200  # htmx swaps the form with its errors
    assert response.context["line_form"].errors["vat_exemption_reason"]
    html = response.content.decode()
    assert 'class="vat-reason shown"' in html  # the input with the error is visible
    assert order.lines.count() == 1


def test_a_line_for_a_dutch_business_is_reverse_charged(client, manager, product):
    dutch = CustomerFactory(country="NL", vat="NL000099998B57")
    order = build_order(customer=dutch, product=product, confirm=False)
    line = order.lines.get()
    assert (line.vat_category, line.tax_rate) == ("AE", Decimal("0"))
    assert line.vat_exemption_reason == REVERSE_CHARGE_REASON

    html = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert "0%&nbsp;<abbr" not in html
    assert ">AE</abbr>" in html


def test_editing_a_line_changes_its_vat_category(client, manager, product):
    order = build_order(product=product, confirm=True)
    line = order.lines.get()
    prefix = f"line{line.pk}"
    form = client.get(reverse("sales:order_lines", args=[order.pk]), {"edit": line.pk}, **HTMX)
    assert f'name="{prefix}-vat_category"' in form.content.decode()
    values = {
        f"{prefix}-description": line.description,
        f"{prefix}-quantity": "10",
        f"{prefix}-price_unit": "100",
    }

    refused = client.post(
        reverse("sales:line_update", args=[line.pk]),
        {**values, f"{prefix}-tax_rate": "21", f"{prefix}-vat_category": "Z"},
        **HTMX,
    )
    assert refused.context["edit_form"].errors["tax_rate"] == ["Zero rated has a tax rate of 0%."]

    client.post(
        reverse("sales:line_update", args=[line.pk]),
        {**values, f"{prefix}-tax_rate": "0", f"{prefix}-vat_category": "Z"},
        **HTMX,
    )
    line.refresh_from_db()
    assert (line.vat_category, line.tax_rate) == ("Z", Decimal("0"))


def test_a_category_without_a_rate_means_zero_and_a_rate_alone_means_standard():
    line = build_order_line(quantity=2, tax="21")
    line = order_line_update(line=line, vat_category="E", vat_exemption_reason="Article 44")
    assert (line.vat_category, line.tax_rate) == ("E", Decimal("0"))
    line = order_line_update(line=line, tax_rate="6")
    assert (line.vat_category, line.tax_rate) == ("S", Decimal("6"))


def test_a_quotation_given_a_customer_abroad_is_reverse_charged_and_back():
    line = build_order_line(quantity=2, tax="21", confirm=False)
    dutch = CustomerFactory(vat="NL000099998B57", country="NL")
    order_update(order=line.order, customer=dutch)
    line.refresh_from_db()
    assert (line.vat_category, line.tax_rate) == ("AE", Decimal("0"))
    order_update(order=line.order, customer=CustomerFactory())
    line.refresh_from_db()
    assert (line.vat_category, line.tax_rate) == ("S", Decimal("21.00"))
