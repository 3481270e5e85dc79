"""Payments and refunds (DOMAIN.md rule 32, issue finding 6).

The same payment submitted twice is recorded once (also from two threads at once on
PostgreSQL); a payment entered by mistake is cancelled by a manager with a reason and
stays in the history; a credit note first settles what is still due on its invoice
and the rest, the invoice having been paid, is a refund owed, recorded with Register
Refund and never more than owed.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.errors import ConflictError
from invoicing import services as invoicing
from invoicing.models import Invoice, Payment
from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world
from tests.factories import ManagerFactory, StaffUserFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db
D = Decimal
PAID_ON = datetime.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _no_pdf(settings):
    settings.INVOICE_PDF_ON_VALIDATE = False


@pytest.fixture
def manager():
    return ManagerFactory()


def posted_invoice() -> Invoice:
    """5 h at 100 with 21% tax: 605.00, validated."""
    draft = build_ticket_world(employee=StaffUserFactory(), invoiced=True).invoice
    return invoicing.invoice_validate(invoice=draft, invoice_date=DAY)


def pay(invoice: Invoice, amount: str, reference: str = "", actor=None) -> Payment:
    return invoicing.payment_register(
        invoice=invoice, amount=amount, date=PAID_ON, reference=reference, actor=actor
    )


def fresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def figures(invoice: Invoice) -> tuple:
    invoice = fresh(invoice)
    return invoice.payment_state, invoice.amount_paid, invoice.amount_due


# --- The same payment twice -----------------------------------------------------------


def test_the_register_payment_form_submitted_twice_records_one_payment(client, manager):
    invoice = posted_invoice()
    client.force_login(manager)
    url = reverse("invoicing:payment_register", args=[invoice.pk])
    half = {"amount": "302.50", "date": PAID_ON.isoformat(), "method": "bank", "reference": ""}

    client.post(url, half)
    second = client.post(url, half, follow=True)

    assert Payment.objects.count() == 1
    assert figures(invoice) == (Invoice.PARTIAL, D("302.50"), D("302.50"))
    assert "recorded once" in second.content.decode()
    # Another reference is another payment: the rest gets paid.
    client.post(url, {**half, "reference": "TX-2"})
    assert Payment.objects.count() == 2
    assert figures(invoice) == (Invoice.PAID, D("605.00"), D("0.00"))


def test_the_api_answers_a_repeated_payment_with_the_invoice_and_records_it_once(manager):
    invoice = posted_invoice()
    api = token_client(manager)
    url = f"/api/v1/invoices/{invoice.pk}/payments/"
    body = {"amount": "100.00", "date": PAID_ON.isoformat(), "reference": "TX-1"}

    first = api.post(url, body, format="json")
    again = api.post(url, body, format="json")

    assert first.status_code == 201 and again.status_code == 200, again.content
    assert len(again.json()["payments"]) == 1
    assert again.json()["amount_due"] == "505.00"
    assert Payment.objects.count() == 1
    # A different amount is a new payment, and overpaying is still refused.
    over = api.post(url, {**body, "amount": "505.01"}, format="json")
    assert over.status_code == 400 and "Overpayment" in over.json()["amount"][0]
    assert Payment.objects.count() == 1


def test_the_same_payment_a_minute_later_is_a_new_payment(monkeypatch):
    invoice = posted_invoice()
    first = pay(invoice, "100.00", "TX-1")
    later = timezone.now() + datetime.timedelta(minutes=1, seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)

    second = pay(invoice, "100.00", "TX-1")

    assert second.pk != first.pk and not second.recorded_before
    assert figures(invoice)[1:] == (D("200.00"), D("405.00"))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_of_one_payment_record_it_once(postgres_only):
    invoice = posted_invoice()

    results = run_together(
        [lambda: pay(Invoice.objects.get(pk=invoice.pk), "100.00", "TX-1") for _ in range(2)]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0].pk == results[1].pk
    assert sorted(r.recorded_before for r in results) == [False, True]
    assert Payment.objects.count() == 1
    assert figures(invoice) == (Invoice.PARTIAL, D("100.00"), D("505.00"))


# --- Cancelling a payment -------------------------------------------------------------


def test_a_manager_cancels_a_payment_with_a_reason_and_it_stays_in_the_history(client, manager):
    invoice = posted_invoice()
    payment = pay(invoice, "605.00", "TX-1")
    assert figures(invoice)[0] == Invoice.PAID

    with pytest.raises(ValidationError) as no_reason:
        invoicing.payment_cancel(payment=payment, reason="  ", actor=manager)
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(PermissionDenied):
        invoicing.payment_cancel(payment=payment, reason="typo", actor=StaffUserFactory())
    assert fresh(invoice).payment_state == Invoice.PAID

    cancelled = invoicing.payment_cancel(
        payment=payment, reason="Entered on the wrong invoice", actor=manager
    )

    payment.refresh_from_db()
    assert (payment.state, payment.cancel_reason) == (Payment.CANCELLED, cancelled.cancel_reason)
    assert payment.cancelled_by == manager and payment.cancelled_at is not None
    assert figures(invoice) == (Invoice.NOT_PAID, D("0.00"), D("605.00"))
    with pytest.raises(ConflictError, match="cancelled"):
        invoicing.payment_cancel(payment=payment, reason="again", actor=manager)
    with pytest.raises(ConflictError):
        payment.delete()
    assert [row.state for row in payment.history.order_by("history_id")] == [
        Payment.POSTED,
        Payment.CANCELLED,
    ]
    client.force_login(manager)
    audit = client.get(reverse("core:history", args=["invoicing.payment", payment.pk]))
    assert "Entered on the wrong invoice" in audit.content.decode()
    # A cancelled payment is no duplicate: the right one can be entered again at once.
    again = pay(invoice, "605.00", "TX-1")
    assert again.pk != payment.pk
    assert figures(invoice)[0] == Invoice.PAID


def test_the_invoice_page_cancels_a_payment_with_a_reason(client, manager):
    invoice = posted_invoice()
    payment = pay(invoice, "300.00", "TX-1")
    client.force_login(manager)
    detail = reverse("invoicing:invoice_detail", args=[invoice.pk])
    url = reverse("invoicing:payment_cancel", args=[payment.pk])
    assert url in client.get(detail).content.decode()

    refused = client.post(url, {"reason": ""}, follow=True)
    assert "Say why" in refused.content.decode()
    assert fresh(invoice).payment_state == Invoice.PARTIAL

    page = client.post(url, {"reason": "Bounced cheque"}, follow=True)

    html = page.content.decode()
    assert "Bounced cheque" in html and "Not paid" in html
    assert figures(invoice) == (Invoice.NOT_PAID, D("0.00"), D("605.00"))
    staff = StaffUserFactory()
    client.force_login(staff)
    other = pay(invoice, "10.00", "TX-2")
    assert (
        client.post(
            reverse("invoicing:payment_cancel", args=[other.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    assert Payment.objects.get(pk=other.pk).state == Payment.POSTED


def test_the_api_cancels_a_payment(manager):
    invoice = posted_invoice()
    payment = pay(invoice, "605.00", "TX-1")
    api = token_client(manager)
    url = f"/api/v1/payments/{payment.pk}/cancel/"

    assert api.post(url, {}, format="json").status_code == 400
    assert token_client(StaffUserFactory()).post(url, {"reason": "x"}).status_code == 403
    response = api.post(url, {"reason": "Duplicate of TX-0"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    assert response.json()["cancel_reason"] == "Duplicate of TX-0"
    shown = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert shown["payment_state"] == "not_paid" and shown["amount_due"] == "605.00"
    assert [p["state"] for p in shown["payments"]] == ["cancelled"]
    assert api.post(url, {"reason": "again"}, format="json").status_code == 409


# --- Credit notes and refunds ---------------------------------------------------------


def test_a_credit_note_of_a_paid_invoice_is_a_refund_owed_registered_up_to_that(client, manager):
    invoice = posted_invoice()
    pay(invoice, "605.00", "TX-1")
    note = invoicing.invoice_credit(invoice=invoice)

    assert fresh(invoice).payment_state == Invoice.REVERSED
    assert figures(note) == (Invoice.NOT_PAID, D("0.00"), D("605.00"))
    client.force_login(manager)
    detail = client.get(reverse("invoicing:invoice_detail", args=[note.pk])).content.decode()
    assert "Register Refund" in detail and "Refund owed" in detail

    url = reverse("invoicing:refund_register", args=[note.pk])
    form = client.get(url)
    assert form.context["form"].initial["amount"] == D("605.00")
    client.post(url, {"amount": "600.00", "date": PAID_ON.isoformat(), "method": "bank"})
    assert figures(note) == (Invoice.PARTIAL, D("600.00"), D("5.00"))

    too_much = client.post(url, {"amount": "10.00", "date": PAID_ON.isoformat(), "method": "bank"})
    assert too_much.status_code == 400
    assert "Refund refused" in str(too_much.context["form"].errors["amount"])

    api = token_client(manager)
    done = api.post(
        f"/api/v1/invoices/{note.pk}/register-refund/",
        {"amount": "5.00", "reference": "REF-2"},
        format="json",
    )
    assert done.status_code == 201, done.content
    assert done.json()["payment_state"] == "paid" and done.json()["amount_due"] == "0.00"
    again = api.post(
        f"/api/v1/invoices/{note.pk}/register-refund/",
        {"amount": "5.00", "reference": "REF-2"},
        format="json",
    )
    assert again.status_code == 200
    assert Payment.objects.filter(invoice=note).count() == 2
    page = client.get(reverse("invoicing:invoice_detail", args=[note.pk])).content.decode()
    assert "Register Refund" not in page


def test_a_credit_note_first_settles_what_is_still_due():
    invoice = posted_invoice()
    pay(invoice, "300.00", "TX-1")

    note = invoicing.invoice_credit(invoice=invoice)

    # 605 credited: 305 settle what was due, 300 (what was paid) are owed back.
    assert figures(note) == (Invoice.PARTIAL, D("0.00"), D("300.00"))
    assert fresh(invoice).amount_due == D("0.00")
    with pytest.raises(ValidationError, match="owes the customer 300.00"):
        invoicing.refund_register(credit_note=note, amount="300.01", date=PAID_ON)
    invoicing.refund_register(credit_note=note, amount="300.00", date=PAID_ON)
    assert figures(note) == (Invoice.PAID, D("300.00"), D("0.00"))


def test_a_credit_note_of_an_unpaid_invoice_owes_no_refund():
    invoice = posted_invoice()
    note = invoicing.invoice_credit(invoice=invoice)

    assert figures(note) == (Invoice.PAID, D("0.00"), D("0.00"))
    with pytest.raises(ValidationError, match="Refund refused"):
        invoicing.refund_register(credit_note=note, amount="1.00", date=PAID_ON)
    with pytest.raises(ConflictError):
        invoicing.refund_register(credit_note=invoice, amount="1.00", date=PAID_ON)
    assert not Payment.objects.exists()


def test_a_payment_whose_refund_was_paid_out_is_cancelled_after_the_refund_only(manager):
    invoice = posted_invoice()
    payment = pay(invoice, "605.00", "TX-1")
    note = invoicing.invoice_credit(invoice=invoice)
    refund = invoicing.refund_register(credit_note=note, amount="605.00", date=PAID_ON)

    with pytest.raises(ConflictError, match="cancel the refund first"):
        invoicing.payment_cancel(payment=payment, reason="Never received", actor=manager)
    assert Payment.objects.get(pk=payment.pk).state == Payment.POSTED

    invoicing.payment_cancel(payment=refund, reason="Sent twice by mistake", actor=manager)
    assert figures(note) == (Invoice.NOT_PAID, D("0.00"), D("605.00"))
    invoicing.payment_cancel(payment=payment, reason="Never received", actor=manager)
    # Nothing was paid: the credit note settles the whole invoice, nothing is owed.
    assert figures(note) == (Invoice.PAID, D("0.00"), D("0.00"))
    assert fresh(invoice).payment_state == Invoice.REVERSED
