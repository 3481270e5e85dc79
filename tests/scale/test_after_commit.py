"""Validation queues its PDF and mail only after commit; with no broker they run in-process."""

import smtplib
from datetime import date

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import transaction

from config.celery import app as celery_app
from core.errors import ConflictError
from invoicing.models import Invoice, InvoiceEmail
from invoicing.services import invoice_create_from_order, invoice_validate
from invoicing.services.mail import invoice_send_email
from invoicing.tasks import (
    billing_run_customer,
    billing_run_fanout,
    render_invoice_pdf,
    send_invoice_email,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_broker():
    """This process sends tasks to a broker instead of running them (no worker here)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def queued(with_broker, monkeypatch) -> list[tuple[str, dict]]:
    """What would be sent to the broker (tasks and the tasks chained after them)."""
    sent: list[tuple[str, dict]] = []

    def send_task(name, args=None, kwargs=None, **options):
        sent.append((name, kwargs))
        sent.extend((link["task"], link["kwargs"]) for link in reversed(options.get("chain") or []))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    return sent


@pytest.fixture
def draft(make_line, log) -> Invoice:
    line = make_line()
    log(line, hours=2)
    return invoice_create_from_order(order=line.order)


def test_a_rolled_back_validation_queues_nothing(draft, queued, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invoice_validate(invoice=draft)
        raise RuntimeError("the request failed after validating")

    assert callbacks == []
    assert queued == []
    draft.refresh_from_db()
    assert draft.state == Invoice.DRAFT


def test_a_committed_validation_queues_the_pdf_and_the_mail(
    draft, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        invoice_validate(invoice=draft)
        assert queued == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()
    assert queued == [
        ("invoicing.tasks.render_invoice_pdf", {"invoice_id": draft.pk}),
        ("invoicing.tasks.send_invoice_email", {"invoice_id": draft.pk}),
    ]


def test_a_broker_down_at_commit_never_undoes_the_validation(
    draft, with_broker, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(celery_app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft)

    invoice.refresh_from_db()
    assert invoice.state == Invoice.POSTED and invoice.number
    assert "redis is down" in caplog.text
    assert mail.outbox == []


def test_with_no_broker_validation_stores_the_pdf_and_mails_it_once(
    draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft)

    invoice.refresh_from_db()
    assert invoice.pdf.name.endswith(f"{invoice.number.replace('/', '-')}.pdf")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    record = InvoiceEmail.objects.get(invoice=invoice)
    assert sent.to == [invoice.customer_email]
    assert sent.extra_headers["Message-ID"] == record.message_id
    assert sent.message()["Message-ID"] == record.message_id
    assert invoice.number in sent.subject
    (filename, content, mimetype), _ubl = sent.attachments
    assert (filename, mimetype) == (f"{invoice.number.replace('/', '-')}.pdf", "application/pdf")
    assert content == invoice.pdf.read()
    assert record.sent_at is not None

    # The same tasks delivered again produce nothing new.
    rendered_at = invoice.pdf_rendered_at
    send_invoice_email.delay(invoice_id=invoice.pk)
    render_invoice_pdf.delay(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert len(mail.outbox) == 1
    assert invoice.pdf_rendered_at == rendered_at


def test_a_refused_mail_is_not_recorded_as_sent_and_goes_out_on_retry(draft, monkeypatch, settings):
    settings.INVOICE_PDF_ON_VALIDATE = False
    invoice = invoice_validate(invoice=draft)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    with pytest.raises(smtplib.SMTPException):
        invoice_send_email(invoice=invoice)
    record = InvoiceEmail.objects.get(invoice=invoice)
    assert record.sent_at is None
    assert mail.outbox == []

    monkeypatch.undo()
    assert invoice_send_email(invoice=invoice) == record.message_id
    assert invoice_send_email(invoice=invoice) == record.message_id
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == record.message_id


def test_a_draft_is_never_mailed(draft):
    with pytest.raises(ConflictError):
        invoice_send_email(invoice=draft)
    assert not InvoiceEmail.objects.exists()
    assert mail.outbox == []


def test_the_billing_run_of_a_customer_creates_nothing_new_when_run_twice(make_line, log):
    customer = CustomerFactory()
    lines = [make_line(customer=customer) for _ in range(2)]
    for line in lines:
        log(line, hours=3, date=date(2026, 3, 2))
    other = make_line()
    log(other, hours=1, date=date(2026, 3, 2))

    first = billing_run_customer.delay(customer_id=customer.pk, up_to="2026-03-31").get()
    again = billing_run_customer.delay(customer_id=customer.pk, up_to="2026-03-31").get()

    assert len(first) == 2 and again == []
    assert set(Invoice.objects.values_list("sale_order_id", flat=True)) == {
        line.order_id for line in lines
    }


def test_the_billing_run_fans_out_one_task_per_customer(make_line, log):
    lines = [make_line() for _ in range(3)]
    for line in lines:
        log(line, hours=1, date=date(2026, 3, 2))

    customer_ids = billing_run_fanout.delay(up_to="2026-03-31").get()
    billing_run_fanout.delay(up_to="2026-03-31").get()

    assert customer_ids == sorted(line.order.customer_id for line in lines)
    assert Invoice.objects.filter(state=Invoice.DRAFT).count() == 3
