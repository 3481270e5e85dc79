"""Sales pages: roles, constant query counts, every button through its service."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from projects.models import Task
from sales.models import InvoiceStatus, SaleOrder
from tests.builders import build_order, log_time
from tests.factories import (
    CustomerFactory,
    ManagerFactory,
    ProductFactory,
    StaffUserFactory,
    uom,
)
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = ManagerFactory()
    client.force_login(user)
    return user


@pytest.fixture
def product():
    return ProductFactory(list_price=Decimal("100.00"), tax_rate=Decimal("21.00"))


def make_order(*, customer=None, product=None, lines=1, confirm=False, quantity="10"):
    line = {"product": product or ProductFactory(), "quantity": quantity}
    return build_order(customer=customer, lines=[line] * lines, confirm=confirm)


def log_hours(order, hours, date=None, employee=None):
    return log_time(
        employee=employee or ManagerFactory(),
        date=date or datetime.date.today(),
        hours=hours,
        line=order.lines.get(),
    )


def sales_urls(order):
    line = order.lines.first()
    return [
        ("get", reverse("sales:order_list")),
        ("get", reverse("sales:order_create")),
        ("get", reverse("sales:order_detail", args=[order.pk])),
        ("get", reverse("sales:order_lines", args=[order.pk])),
        ("get", reverse("invoicing:billing_run")),
        ("post", reverse("sales:order_confirm", args=[order.pk])),
        ("post", reverse("sales:order_cancel", args=[order.pk])),
        ("post", reverse("invoicing:order_invoice", args=[order.pk])),
        ("post", reverse("sales:line_add", args=[order.pk])),
        ("post", reverse("sales:line_update", args=[line.pk])),
        ("post", reverse("sales:line_delete", args=[line.pk])),
    ]


def test_helpdesk_user_gets_403_on_every_sales_page_and_action(client):
    order = make_order()
    client.force_login(StaffUserFactory())
    for method, url in sales_urls(order):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert b"You may not do this" in response.content
    order.refresh_from_db()
    assert order.state == SaleOrder.DRAFT
    assert order.lines.count() == 1


def test_anonymous_is_sent_to_login(client):
    order = make_order()
    for method, url in sales_urls(order):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("core:login"))


def test_manager_sees_sales_in_the_navigation(client, manager):
    response = client.get(reverse("sales:order_list"))
    assert response.status_code == 200
    assert b'href="/sales/"' in response.content


# --- list --------------------------------------------------------------------------------


def test_list_shows_state_and_invoice_status(client, manager):
    quotation = make_order()
    order = make_order(confirm=True)
    log_hours(order, 2)
    response = client.get(reverse("sales:order_list"))
    html = response.content.decode()
    assert quotation.name in html and order.name in html
    assert "Quotation" in html and "Sales Order" in html
    assert "To invoice" in html


@pytest.mark.parametrize("status", InvoiceStatus.values)
def test_invoice_status_filter_matches_the_order_property(client, manager, status):
    from invoicing.services import invoice_create_from_order

    quotation = make_order()
    to_invoice = make_order(confirm=True)
    log_hours(to_invoice, 3)
    nothing = make_order(confirm=True)
    invoiced = make_order(confirm=True)
    log_hours(invoiced, 10)
    invoice_create_from_order(order=invoiced)
    prepaid = ProductFactory(invoice_policy="order")
    upselling = make_order(product=prepaid, confirm=True)
    invoice_create_from_order(order=upselling)
    log_hours(upselling, 11)
    orders = SaleOrder.objects.filter(
        pk__in=[o.pk for o in (quotation, to_invoice, nothing, invoiced, upselling)]
    )
    expected = {o.name for o in orders if o.invoice_status == status}
    assert expected  # every status has at least one order here

    response = client.get(reverse("sales:order_list"), {"invoice_status": status})
    assert {o.name for o in response.context["orders"]} == expected


def test_list_filters_by_state_customer_and_search(client, manager):
    acme = CustomerFactory(name="Acme Printing")
    mine = make_order(customer=acme, confirm=True)
    other = make_order()
    url = reverse("sales:order_list")
    assert {o.pk for o in client.get(url, {"state": "sale"}).context["orders"]} == {mine.pk}
    assert {o.pk for o in client.get(url, {"customer": acme.pk}).context["orders"]} == {mine.pk}
    assert {o.pk for o in client.get(url, {"q": "acme"}).context["orders"]} == {mine.pk}
    assert {o.pk for o in client.get(url, {"q": other.name}).context["orders"]} == {other.pk}


def test_list_paginates(client, manager):
    product = ProductFactory()
    customer = CustomerFactory()
    for _ in range(30):
        make_order(customer=customer, product=product)
    first = client.get(reverse("sales:order_list"))
    assert len(first.context["orders"]) == 25
    second = client.get(reverse("sales:order_list"), {"page": 2})
    assert len(second.context["orders"]) == 5
    assert b"Page 2 of 2" in second.content


@pytest.mark.parametrize("rows", [1, 50])
def test_list_runs_a_constant_number_of_queries(
    client, manager, product, rows, django_assert_max_num_queries
):
    customer = CustomerFactory()
    for _ in range(rows):
        make_order(customer=customer, product=product, lines=2, confirm=True)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("sales:order_list"), {"invoice_status": "no"})
    assert response.status_code == 200


# --- order form ----------------------------------------------------------------------------


def test_create_quotation_then_add_a_line_inline(client, manager, product):
    customer = CustomerFactory()
    response = client.post(
        reverse("sales:order_create"),
        {"customer": customer.pk, "date_order": "2026-03-01", "note": ""},
    )
    order = SaleOrder.objects.get(customer=customer)
    assert response.status_code == 302
    assert response.url == reverse("sales:order_detail", args=[order.pk])

    response = client.post(
        reverse("sales:line_add", args=[order.pk]),
        {"new-product": product.pk, "new-quantity": "2.5", "new-description": "Support"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="order-lines"' in html and "<html" not in html
    assert 'hx-swap-oob="true"' in html  # the message comes along
    line = order.lines.get()
    assert line.quantity == Decimal("2.50")
    assert line.price_unit == Decimal("100.00")  # the product's, as the field was empty
    assert "2.50" in html


def test_create_quotation_without_customer_shows_the_error(client, manager):
    response = client.post(reverse("sales:order_create"), {"date_order": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    assert not SaleOrder.objects.exists()


def test_bad_quantity_is_shown_on_the_line_form(client, manager, product):
    order = make_order(product=product)
    response = client.post(
        reverse("sales:line_add", args=[order.pk]),
        {"new-product": product.pk, "new-quantity": "1.234"},
    )
    assert response.status_code == 400
    assert response.context["line_form"].errors["quantity"]
    assert order.lines.count() == 1


def test_edit_a_line_inline(client, manager, product):
    order = make_order(product=product, confirm=True)
    line = order.lines.get()
    response = client.get(reverse("sales:order_lines", args=[order.pk]), {"edit": line.pk}, **HTMX)
    assert f'name="line{line.pk}-quantity"' in response.content.decode()
    response = client.post(
        reverse("sales:line_update", args=[line.pk]),
        {
            f"line{line.pk}-description": "More support",
            f"line{line.pk}-quantity": "12",
            f"line{line.pk}-price_unit": "90",
            f"line{line.pk}-tax_rate": "21",
        },
        **HTMX,
    )
    assert response.status_code == 200
    line.refresh_from_db()
    assert (line.quantity, line.price_unit, line.description) == (
        Decimal("12.00"),
        Decimal("90.00"),
        "More support",
    )
    assert Task.objects.get(sale_line=line).allocated_hours == Decimal("12.00")


def test_deleting_a_confirmed_line_is_refused_with_a_message(client, manager):
    order = make_order(confirm=True)
    line = order.lines.get()
    response = client.post(reverse("sales:line_delete", args=[line.pk]), follow=True)
    assert response.status_code == 200
    assert order.lines.count() == 1
    assert "quantity to 0" in response.content.decode()


def test_deleting_a_quotation_line(client, manager):
    order = make_order(lines=2)
    line = order.lines.first()
    response = client.post(reverse("sales:line_delete", args=[line.pk]), **HTMX)
    assert response.status_code == 200
    assert order.lines.count() == 1


def test_confirm_creates_the_task_and_links_it(client, manager):
    order = make_order()
    response = client.post(reverse("sales:order_confirm", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.state == SaleOrder.SALE
    task = Task.objects.get(sale_line__order=order)
    html = response.content.decode()
    assert task.name in html
    assert ">Confirm<" not in html
    assert "Create Invoice" not in html  # nothing delivered yet

    log_hours(order, 1)
    html = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert "Create Invoice" in html


def test_an_invoiced_order_offers_no_cancel(client, manager):
    from invoicing.services import invoice_create_from_order

    order = make_order(confirm=True)
    html = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert ">Cancel<" in html
    log_hours(order, 1)
    invoice_create_from_order(order=order)
    html = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert ">Cancel<" not in html


def test_confirm_twice_shows_a_message_not_an_error(client, manager):
    order = make_order(confirm=True)
    response = client.post(reverse("sales:order_confirm", args=[order.pk]), follow=True)
    assert response.status_code == 200
    assert "already" in response.content.decode()


def test_cancel_an_order(client, manager):
    order = make_order(confirm=True)
    client.post(reverse("sales:order_cancel", args=[order.pk]))
    order.refresh_from_db()
    assert order.state == SaleOrder.CANCEL


def test_detail_shows_delivered_invoiced_and_to_invoice(client, manager):
    product = ProductFactory(uom=uom("Days"), list_price=Decimal("800"))
    order = make_order(product=product, quantity="2", confirm=True)
    for hours in (3, 5, 4):
        log_hours(order, hours)
    response = client.get(reverse("sales:order_detail", args=[order.pk]))
    line = response.context["lines"][0]
    assert (line.qty_delivered, line.qty_invoiced, line.qty_to_invoice) == (
        Decimal("1.50"),
        Decimal("0"),
        Decimal("1.50"),
    )
    html = response.content.decode()
    for label in ("Delivered", "Invoiced", "To invoice", "Days", "1.50"):
        assert label in html


def test_prepaid_line_shows_remaining_hours(client, manager):
    product = ProductFactory(invoice_policy="order", list_price=Decimal("90"))
    order = make_order(product=product, quantity="10", confirm=True)
    log_hours(order, 11)
    html = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert "Remaining hours" in html
    assert "-1:00" in html


@pytest.mark.parametrize("rows", [1, 50])
def test_detail_runs_a_constant_number_of_queries(
    client, manager, product, rows, django_assert_max_num_queries
):
    order = make_order(product=product, lines=rows, confirm=True)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("sales:order_detail", args=[order.pk]))
    assert response.status_code == 200
    assert len(response.context["lines"]) == rows


# --- invoicing an order ---------------------------------------------------------------------


def test_create_invoice_redirects_to_the_draft(client, manager):
    order = make_order(confirm=True)
    log_hours(order, 3)
    response = client.post(reverse("invoicing:order_invoice", args=[order.pk]), {})
    invoice = Invoice.objects.get(sale_order=order)
    assert response.status_code == 302
    assert response.url == reverse("invoicing:invoice_detail", args=[invoice.pk])
    assert invoice.state == Invoice.DRAFT
    assert invoice.amount_untaxed == Decimal("300.00")


def test_create_invoice_up_to_a_date(client, manager):
    order = make_order(confirm=True)
    log_hours(order, 2, date=datetime.date(2026, 3, 1))
    log_hours(order, 5, date=datetime.date(2026, 3, 6))
    client.post(reverse("invoicing:order_invoice", args=[order.pk]), {"up_to": "2026-03-02"})
    assert Invoice.objects.get(sale_order=order).amount_untaxed == Decimal("200.00")


def test_create_invoice_with_nothing_to_invoice_shows_the_error(client, manager):
    order = make_order(confirm=True)
    response = client.post(reverse("invoicing:order_invoice", args=[order.pk]), {})
    assert response.status_code == 400
    assert response.context["invoice_form"].errors
    assert not Invoice.objects.exists()


def test_create_invoice_refuses_a_date_and_a_period_together(client, manager):
    order = make_order(confirm=True)
    log_hours(order, 2)
    response = client.post(
        reverse("invoicing:order_invoice", args=[order.pk]),
        {"up_to": "2026-03-02", "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    assert response.status_code == 400
    assert not Invoice.objects.exists()


def test_billing_run_previews_then_creates_the_drafts(client, manager):
    first = make_order(confirm=True)
    second = make_order(confirm=True)
    log_hours(first, 2, date=datetime.date(2026, 3, 1))
    log_hours(second, 3, date=datetime.date(2026, 3, 10))
    url = reverse("invoicing:billing_run")

    preview = client.get(url, {"up_to": "2026-03-05"})
    assert [row.order_name for row in preview.context["rows"]] == [first.name]
    assert not Invoice.objects.exists()

    response = client.post(url, {"up_to": "2026-03-05"})
    assert response.status_code == 302
    assert list(Invoice.objects.values_list("sale_order", flat=True)) == [first.pk]


@pytest.mark.parametrize("rows", [1, 50])
def test_billing_run_preview_runs_a_constant_number_of_queries(
    client, manager, product, rows, django_assert_max_num_queries
):
    customer = CustomerFactory()
    employee = ManagerFactory()
    for _ in range(rows):
        order = make_order(customer=customer, product=product, confirm=True)
        log_hours(order, 0.25, date=datetime.date(2026, 3, 1), employee=employee)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("invoicing:billing_run"), {"up_to": "2026-03-31"})
    assert len(response.context["rows"]) == rows
