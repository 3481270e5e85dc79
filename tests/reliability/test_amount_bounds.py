"""One order line can no longer block all billing (reliability finding 2).

What a line stores is bounded (sales.models: LINE_QUANTITY_MAX, PRICE_UNIT_MAX,
TAX_RATE_MAX, and its amount with tax at most AMOUNT_MAX), on every way in; and the
billing run skips and reports an order that cannot be invoiced (rows stored before the
bounds existed are planted with a queryset update) instead of stopping.
"""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from invoicing import services as invoicing_services
from invoicing.models import Invoice
from sales import services as sales_services
from sales.models import AMOUNT_MAX, Product, SaleOrder, SaleOrderLine
from tests.api.conftest import token_client
from tests.builders import build_order, build_untracked_product
from tests.factories import AdminFactory, ManagerFactory, ProductFactory, uom

pytestmark = pytest.mark.django_db

HUGE = "9999999999.99"  # the quantity of the issue: accepted before, at 90 per hour
UP_TO = datetime.date(2026, 3, 31)


def _prepaid_product(price="90", tax="21") -> Product:
    return build_untracked_product(unit="Hours", price=price, tax=tax)


def _order(*, quantity="10", lines=1, confirm=True, product=None) -> SaleOrder:
    line = {"product": product or _prepaid_product(), "quantity": quantity}
    return build_order(lines=[line] * lines, confirm=confirm)


def _plant_oversize_line(order: SaleOrder) -> None:
    """A line stored before the bounds existed: its amount with tax overflows."""
    SaleOrderLine.objects.filter(order=order).update(quantity=Decimal(HUGE))


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


# --- what a line may hold ---------------------------------------------------------------


def test_the_service_refuses_the_issues_quantity_on_its_field():
    order = _order(confirm=False)
    with pytest.raises(ValidationError) as refused:
        sales_services.order_line_add(order=order, product=_prepaid_product(), quantity=HUGE)
    assert "at most 1,000,000" in refused.value.message_dict["quantity"][0]
    assert order.lines.count() == 1


def test_a_line_whose_amount_with_tax_would_overflow_is_refused_though_each_figure_fits():
    order = _order(confirm=False)
    product = _prepaid_product(price="10000000", tax="21")
    with pytest.raises(ValidationError, match="with tax would be 12,100,000,000,000.00"):
        sales_services.order_line_add(order=order, product=product, quantity="1000000")
    line = order.lines.get()
    with pytest.raises(ValidationError, match="at most 999,999,999,999.99"):
        sales_services.order_line_update(line=line, quantity="1000000", price_unit="10000000")
    line.refresh_from_db()
    assert line.quantity == Decimal("10.00")


def test_an_order_whose_total_would_overflow_refuses_the_line_that_tips_it():
    product = _prepaid_product(price="10000000", tax="0")
    order = _order(quantity="60000", product=product, confirm=False)  # 600,000,000,000.00
    with pytest.raises(ValidationError, match="The total of SO"):
        sales_services.order_line_add(order=order, product=product, quantity="60000")
    assert order.lines.count() == 1
    assert order.amount_total <= AMOUNT_MAX


def test_a_unit_price_or_tax_over_its_bound_is_refused_on_its_field():
    line = _order(confirm=False).lines.get()
    with pytest.raises(ValidationError) as refused:
        sales_services.order_line_update(line=line, price_unit="10000000.01")
    assert "price_unit" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        sales_services.order_line_update(line=line, tax_rate="100.01")
    assert "tax_rate" in refused.value.message_dict


def test_the_line_form_page_shows_the_bound_and_stores_nothing(manager_client):
    order = _order(confirm=False)
    product = _prepaid_product()
    response = manager_client.post(
        reverse("sales:line_add", args=[order.pk]),
        {"new-product": product.pk, "new-quantity": HUGE},
    )
    assert response.status_code == 400
    assert response.context["line_form"].errors["quantity"]
    response = manager_client.post(
        reverse("sales:line_add", args=[order.pk]),
        {"new-product": product.pk, "new-quantity": "1000000", "new-price_unit": "10000000"},
    )
    assert response.status_code == 400
    assert "with tax would be" in str(response.context["line_form"].errors)
    assert order.lines.count() == 1


def test_the_api_answers_400_for_the_issues_line_and_the_order_stays_readable():
    order = _order()
    product = _prepaid_product()
    api = token_client(ManagerFactory())
    response = api.post(
        f"/api/v1/orders/{order.pk}/lines/",
        {"product": product.pk, "quantity": HUGE, "price_unit": "90"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "quantity" in response.json()
    line = order.lines.get()
    response = api.patch(
        f"/api/v1/order-lines/{line.pk}/",
        {"quantity": "1000000", "price_unit": "10000000"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "with tax would be" in json.dumps(response.json())
    assert api.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    created = api.post(
        "/api/v1/orders/",
        {"customer": order.customer_id, "lines": [{"product": product.pk, "quantity": HUGE}]},
        format="json",
    )
    assert created.status_code == 400, created.content


def test_the_admin_refuses_the_issues_line_with_a_message(client):
    client.force_login(AdminFactory())
    order = _order(confirm=False)
    line = order.lines.get()
    response = client.post(
        reverse("admin:sales_saleorder_change", args=[order.pk]),
        {
            "customer": order.customer.pk,
            "date_order": order.date_order.isoformat(),
            "note": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-id": line.pk,
            "lines-0-order": order.pk,
            "lines-0-product": line.product.pk,
            "lines-0-description": line.description,
            "lines-0-quantity": "1000000",
            "lines-0-price_unit": "10000000",
            "lines-0-tax_rate": "21",
        },
    )
    assert response.status_code == 200
    assert "with tax would be" in response.content.decode()
    line.refresh_from_db()
    assert (line.quantity, line.price_unit) == (Decimal("10.00"), Decimal("90.00"))


def test_a_product_price_over_the_bound_is_refused():
    product = ProductFactory.build(uom=uom("Hours"), list_price=Decimal("10000000.01"))
    with pytest.raises(ValidationError) as refused:
        product.full_clean(exclude=["project"])
    assert "list_price" in refused.value.message_dict


# --- invoices ---------------------------------------------------------------------------


def test_an_invoice_line_edit_whose_total_would_overflow_is_refused_cleanly():
    order = _order(quantity="10", lines=2)
    invoice = invoicing_services.invoice_create_from_order(order=order)
    first, second = invoice.lines.order_by("pk")
    # Each line fits the amount column; the invoice's total would not.
    invoicing_services.invoice_line_update(line=first, price_unit="10000000", quantity="50000")
    with pytest.raises(ValidationError, match="The total of"):
        invoicing_services.invoice_line_update(line=second, price_unit="10000000", quantity="50000")
    with pytest.raises(ValidationError) as refused:
        invoicing_services.invoice_line_update(line=second, quantity="1000000.01")
    assert "quantity" in refused.value.message_dict
    invoice.refresh_from_db()
    assert invoice.amount_total == Decimal("605000000000.00") + Decimal("1089.00")


def test_create_invoice_on_an_oversize_order_is_a_clear_error_on_the_page_and_the_api(
    manager_client,
):
    order = _order()
    _plant_oversize_line(order)
    with pytest.raises(ValidationError, match="a line can be at most"):
        invoicing_services.invoice_create_from_order(order=order)

    response = manager_client.post(reverse("invoicing:order_invoice", args=[order.pk]), {})
    assert response.status_code == 400
    assert "a line can be at most" in response.content.decode()

    response = token_client(ManagerFactory()).post(
        f"/api/v1/orders/{order.pk}/create-invoice/", {}, format="json"
    )
    assert response.status_code == 400, response.content
    assert not Invoice.objects.filter(sale_order=order).exists()


# --- the billing run --------------------------------------------------------------------


@pytest.fixture
def run_orders():
    """Three orders to invoice; the middle one holds a line stored before the bounds."""
    good_first, bad, good_last = _order(), _order(), _order()
    _plant_oversize_line(bad)
    return good_first, bad, good_last


def _assert_good_invoiced_bad_reported(run_orders, invoices, failed):
    good_first, bad, good_last = run_orders
    assert sorted(i.sale_order_id for i in invoices) == [good_first.pk, good_last.pk]
    assert [(f.order_id, f.order_name) for f in failed] == [(bad.pk, bad.name)]
    assert "a line can be at most" in failed[0].reason
    assert not Invoice.objects.filter(sale_order=bad).exists()
    assert SaleOrderLine.objects.get(order=bad).qty_invoiced == 0
    for order in (good_first, good_last):
        assert SaleOrderLine.objects.get(order=order).qty_invoiced == Decimal("10.00")


@pytest.mark.parametrize("batch_orders", [None, 1, 2])
def test_the_billing_run_skips_and_reports_the_bad_order_and_invoices_the_rest(
    run_orders, batch_orders
):
    result = invoicing_services.billing_run(up_to=UP_TO, batch_orders=batch_orders)
    _assert_good_invoiced_bad_reported(run_orders, result, result.failed)
    # Again: nothing new for the good orders, the bad one reported again.
    again = invoicing_services.billing_run(up_to=UP_TO, batch_orders=batch_orders)
    assert again == [] and [f.order_id for f in again.failed] == [run_orders[1].pk]


def test_the_billing_run_page_lists_the_order_it_could_not_invoice(manager_client, run_orders):
    response = manager_client.post(reverse("invoicing:billing_run"), {"up_to": UP_TO.isoformat()})
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "2 draft invoice(s) created." in texts
    (error,) = [t for t in texts if "was not invoiced" in t]
    assert error.startswith(f"{run_orders[1].name} was not invoiced: ")
    assert Invoice.objects.count() == 2


def test_the_billing_run_api_lists_the_skipped_order_in_a_header(run_orders):
    response = token_client(ManagerFactory()).post(
        "/api/v1/invoices/invoice-all/", {"up_to": UP_TO.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(invoice["sale_order"] for invoice in body) == [
        run_orders[0].pk,
        run_orders[2].pk,
    ]
    (failed,) = json.loads(response["Billing-Run-Failed"])
    assert (failed["order"], failed["name"]) == (run_orders[1].pk, run_orders[1].name)
    assert "a line can be at most" in failed["reason"]


def test_the_billing_run_command_reports_the_order_it_could_not_invoice(run_orders):
    out, err = StringIO(), StringIO()
    call_command("billing_run", "--up-to", UP_TO.isoformat(), stdout=out, stderr=err)
    assert "Created 2 draft invoice(s)." in out.getvalue()
    assert f"{run_orders[1].name} was not invoiced: " in err.getvalue()
    assert "1 order(s) not invoiced" in err.getvalue()
