"""Invoicing pages: roles, constant query counts, every button through its service."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing import services as invoicing
from invoicing.models import Invoice, Payment
from tests.builders import build_invoice, build_order, build_product, log_time
from tests.factories import CustomerFactory, ManagerFactory, ProductFactory, StaffUserFactory
from tests.web.conftest import HTMX
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = ManagerFactory()
    client.force_login(user)
    return user


def draft_invoice(*, hours=(3,), lines=1, customer=None, product=None):
    """A confirmed order of `lines` lines, each with entries of `hours`, and its draft invoice."""
    product = product or build_product(tax="21")
    order = build_order(customer=customer, lines=[{"product": product, "quantity": "10"}] * lines)
    for line in order.lines.all():
        employee = ManagerFactory()
        for h in hours:
            log_time(employee=employee, hours=h, line=line)
    return build_invoice(order=order)


def posted_invoice(**kwargs):
    return invoicing.invoice_validate(invoice=draft_invoice(**kwargs))


def invoicing_urls(invoice):
    line = invoice.lines.first()
    return [
        ("get", reverse("invoicing:invoice_list")),
        ("get", reverse("invoicing:invoice_detail", args=[invoice.pk])),
        ("get", reverse("invoicing:invoice_lines", args=[invoice.pk])),
        ("get", reverse("invoicing:invoice_pdf", args=[invoice.pk])),
        ("get", reverse("invoicing:invoice_ubl", args=[invoice.pk])),
        ("get", reverse("invoicing:invoice_credit", args=[invoice.pk])),
        ("get", reverse("invoicing:payment_register", args=[invoice.pk])),
        ("post", reverse("invoicing:invoice_validate", args=[invoice.pk])),
        ("post", reverse("invoicing:invoice_cancel", args=[invoice.pk])),
        ("post", reverse("invoicing:invoice_credit", args=[invoice.pk])),
        ("post", reverse("invoicing:payment_register", args=[invoice.pk])),
        ("post", reverse("invoicing:line_update", args=[line.pk])),
        ("post", reverse("invoicing:line_delete", args=[line.pk])),
    ]


def test_helpdesk_user_gets_403_on_every_invoicing_page_and_action(client):
    invoice = draft_invoice()
    client.force_login(StaffUserFactory())
    for method, url in invoicing_urls(invoice):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
    invoice.refresh_from_db()
    assert invoice.state == Invoice.DRAFT
    assert invoice.lines.count() == 1


def test_anonymous_is_sent_to_login(client):
    invoice = draft_invoice()
    for method, url in invoicing_urls(invoice):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("core:login"))


# --- list ----------------------------------------------------------------------------------


def test_list_shows_number_customer_dates_totals_and_states(client, manager):
    acme = CustomerFactory(name="Acme Printing")
    posted = posted_invoice(customer=acme)
    draft = draft_invoice()
    html = client.get(reverse("invoicing:invoice_list")).content.decode()
    assert posted.number in html and "Acme Printing" in html
    assert posted.due_date.strftime("%Y-%m-%d") in html
    assert "363.00 EUR" in html  # 3 h at 100 + 21% tax
    assert "Not paid" in html and "Draft" in html
    assert f"Draft Customer Invoice ({draft.pk})" in html


def test_list_filters(client, manager):
    acme = CustomerFactory(name="Acme Printing")
    posted = posted_invoice(customer=acme)
    draft = draft_invoice()
    url = reverse("invoicing:invoice_list")
    assert [i.pk for i in client.get(url, {"state": "draft"}).context["invoices"]] == [draft.pk]
    assert [i.pk for i in client.get(url, {"customer": acme.pk}).context["invoices"]] == [posted.pk]
    assert [i.pk for i in client.get(url, {"q": "acme"}).context["invoices"]] == [posted.pk]
    shown = client.get(url, {"payment_state": "not_paid", "state": "posted"}).context["invoices"]
    assert [i.pk for i in shown] == [posted.pk]


@pytest.mark.parametrize("rows", [1, 50])
def test_list_runs_a_constant_number_of_queries(
    client, manager, rows, django_assert_max_num_queries
):
    product = ProductFactory()
    customer = CustomerFactory()
    for _ in range(rows):
        draft_invoice(product=product, customer=customer)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("invoicing:invoice_list"))
    assert response.status_code == 200
    assert len(response.context["invoices"]) == min(rows, 25)


@pytest.mark.parametrize("rows", [1, 50])
def test_detail_runs_a_constant_number_of_queries(
    client, manager, rows, django_assert_max_num_queries
):
    invoice = draft_invoice(lines=rows, hours=(1, 2))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk]))
    assert response.status_code == 200
    assert len(response.context["lines"]) == rows


# --- the invoice form -------------------------------------------------------------------------


def test_detail_shows_the_billed_entries_under_each_line(client, manager):
    invoice = draft_invoice(hours=(1.5, 2))
    html = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "2 timesheet entries billed" in html
    assert "1:30" in html and "2:00" in html


def test_draft_shows_validate_and_cancel_not_payment(client, manager):
    invoice = draft_invoice()
    html = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content.decode()
    assert ">Validate<" in html and ">Cancel<" in html
    assert "Register Payment" not in html and "Add Credit Note" not in html


def test_validate_posts_the_invoice(client, manager):
    invoice = draft_invoice()
    response = client.post(reverse("invoicing:invoice_validate", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.POSTED
    html = response.content.decode()
    assert invoice.number in html
    assert "Register Payment" in html and "Add Credit Note" in html and ">Validate<" not in html


def test_validating_twice_shows_a_message(client, manager):
    invoice = posted_invoice()
    response = client.post(reverse("invoicing:invoice_validate", args=[invoice.pk]), follow=True)
    assert response.status_code == 200
    assert b"message-error" in response.content


def test_cancel_a_draft_frees_its_entries(client, manager):
    invoice = draft_invoice()
    client.post(reverse("invoicing:invoice_cancel", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.state == Invoice.CANCEL
    assert not TimesheetEntry.objects.filter(invoice_line__isnull=False).exists()


def test_edit_a_draft_line_inline(client, manager):
    invoice = draft_invoice()
    line = invoice.lines.get()
    form = client.get(
        reverse("invoicing:invoice_lines", args=[invoice.pk]), {"edit": line.pk}, **HTMX
    )
    assert f'name="line{line.pk}-price_unit"' in form.content.decode()
    response = client.post(
        reverse("invoicing:line_update", args=[line.pk]),
        {
            f"line{line.pk}-description": "Support, March",
            f"line{line.pk}-quantity": "3",
            f"line{line.pk}-price_unit": "90",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.amount_untaxed == Decimal("270.00")
    assert "Support, March" in response.content.decode()


def test_delete_a_draft_line_frees_its_entries(client, manager):
    invoice = draft_invoice(lines=2)
    line = invoice.lines.first()
    client.post(reverse("invoicing:line_delete", args=[line.pk]), **HTMX)
    assert invoice.lines.count() == 1
    assert not TimesheetEntry.objects.filter(invoice_line_id=line.pk).exists()


def test_a_posted_line_cannot_be_edited(client, manager):
    invoice = posted_invoice()
    line = invoice.lines.get()
    response = client.post(
        reverse("invoicing:line_update", args=[line.pk]),
        {
            f"line{line.pk}-description": "x",
            f"line{line.pk}-quantity": "1",
            f"line{line.pk}-price_unit": "1",
        },
    )
    assert response.status_code == 400
    line.refresh_from_db()
    assert line.quantity == Decimal("3.00")


def test_register_payment_makes_it_paid(client, manager):
    invoice = posted_invoice()
    form = client.get(reverse("invoicing:payment_register", args=[invoice.pk]))
    assert form.context["form"].initial["amount"] == Decimal("363.00")
    response = client.post(
        reverse("invoicing:payment_register", args=[invoice.pk]),
        {"amount": "363.00", "date": "2026-03-20", "method": "bank", "reference": "TX-1"},
        follow=True,
    )
    invoice.refresh_from_db()
    assert invoice.payment_state == Invoice.PAID
    assert "Paid" in response.content.decode()
    assert "TX-1" in response.content.decode()


def test_overpayment_is_refused_on_the_form(client, manager):
    invoice = posted_invoice()
    response = client.post(
        reverse("invoicing:payment_register", args=[invoice.pk]),
        {"amount": "400.00", "date": "2026-03-20", "method": "bank"},
    )
    assert response.status_code == 400
    assert "Overpayment" in str(response.context["form"].errors["amount"])
    assert not Payment.objects.exists()


def test_credit_note_for_some_lines(client, manager):
    invoice = posted_invoice(lines=2)
    first, second = invoice.lines.order_by("pk")
    form = client.get(reverse("invoicing:invoice_credit", args=[invoice.pk]))
    assert set(form.context["form"].initial["lines"]) == {first.pk, second.pk}
    response = client.post(
        reverse("invoicing:invoice_credit", args=[invoice.pk]), {"lines": [first.pk]}
    )
    note = Invoice.objects.get(move_type=Invoice.CREDIT_NOTE)
    assert response.status_code == 302
    assert response.url == reverse("invoicing:invoice_detail", args=[note.pk])
    assert note.number.startswith("RINV/")
    assert note.amount_total == first.amount_total
    invoice.refresh_from_db()
    assert invoice.payment_state == Invoice.PARTIAL
    # The credited line is no longer offered.
    form = client.get(reverse("invoicing:invoice_credit", args=[invoice.pk]))
    assert list(form.context["form"].fields["lines"].queryset) == [second]


def test_full_credit_note_reverses_the_invoice(client, manager):
    invoice = posted_invoice()
    line = invoice.lines.get()
    client.post(reverse("invoicing:invoice_credit", args=[invoice.pk]), {"lines": [line.pk]})
    invoice.refresh_from_db()
    assert invoice.payment_state == Invoice.REVERSED


def test_credit_note_needs_a_line(client, manager):
    invoice = posted_invoice()
    response = client.post(reverse("invoicing:invoice_credit", args=[invoice.pk]), {})
    assert response.status_code == 400
    assert not Invoice.objects.filter(move_type=Invoice.CREDIT_NOTE).exists()


def test_download_pdf(client, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = posted_invoice()
    response = client.get(reverse("invoicing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "INV-" in response["Content-Disposition"]


@pytest.mark.parametrize("rows", [1, 50])
def test_credit_note_form_runs_a_constant_number_of_queries(
    client, manager, rows, django_assert_max_num_queries
):
    invoice = posted_invoice(lines=rows)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("invoicing:invoice_credit", args=[invoice.pk]))
    assert len(response.context["form"].fields["lines"].choices) == rows


def test_a_draft_pdf_downloads_as_a_draft(client, manager):
    invoice = draft_invoice()
    response = client.get(reverse("invoicing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert f'filename="draft-{invoice.pk}.pdf"' in response["Content-Disposition"]
