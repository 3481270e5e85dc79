"""Invoice mail is written to an outbox in the validation's transaction (finding 9).

A process that dies between the commit and the queueing, or a broker that is down,
loses no mail: the row stays pending and the periodic sender sends it, once, even with
several senders at once; a refusing mail server is retried with backoff, then the mail
is failed, listed on "Unsent invoices" with its error, and can be sent again.
"""

import socket
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from invoicing.models import Invoice, InvoiceEmail
from invoicing.services import invoice_create_from_order, invoice_validate
from invoicing.services.mail import invoice_mail_send_pending, invoice_send_email
from invoicing.tasks import send_pending_invoice_mail
from tests.factories import AdminFactory, CustomerFactory, ManagerFactory, StaffUserFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_draft(make_line, log):  # noqa: F811
    def _make(**customer) -> Invoice:
        line = make_line(customer=CustomerFactory(**customer)) if customer else make_line()
        log(line, hours=2)
        return invoice_create_from_order(order=line.order)

    return _make


class BrokerDown:
    """This process queues to a broker that refuses every connection, until `restore()`
    (then tasks run in-process again)."""

    def __init__(self):
        self.eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = False
        celery_app.send_task = self.refuse  # an instance attribute over the method

    @staticmethod
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    def restore(self) -> None:
        celery_app.__dict__.pop("send_task", None)
        celery_app.conf.task_always_eager = self.eager


@pytest.fixture
def broker_down():
    down = BrokerDown()
    yield down
    down.restore()


@pytest.fixture
def smtp_refusing(settings):
    """A real SMTP backend pointed at a localhost port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return settings


def validate_and_die(draft: Invoice, capture) -> Invoice:
    """Validate and commit, then "die": the after-commit kick never runs."""
    with capture(execute=False):
        return invoice_validate(invoice=draft)


def time_passes(hours: int = 3) -> None:
    InvoiceEmail.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(hours=hours))


def _mails_about(invoice: Invoice) -> list:
    return [message for message in mail.outbox if invoice.number in message.subject]


def test_validation_writes_the_mail_in_its_own_transaction_and_a_rollback_leaves_none(
    make_draft, django_capture_on_commit_callbacks
):
    draft = make_draft()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invoice_validate(invoice=draft)
        record = InvoiceEmail.objects.get(invoice=draft)  # before any commit
        assert record.state == InvoiceEmail.PENDING and record.attempts == 0
        raise RuntimeError("the request failed after validating")

    assert callbacks == []
    assert not InvoiceEmail.objects.exists()
    draft.refresh_from_db()
    assert draft.state == Invoice.DRAFT and mail.outbox == []


def test_mail_lost_after_commit_stays_pending_and_the_periodic_sender_sends_it_once(
    make_draft, django_capture_on_commit_callbacks
):
    invoice = validate_and_die(make_draft(), django_capture_on_commit_callbacks)
    record = InvoiceEmail.objects.get(invoice=invoice)
    assert record.state == InvoiceEmail.PENDING and record.recipient == invoice.customer_email

    call_command("send_pending_mail")  # the kick still has its grace time
    assert mail.outbox == []

    time_passes()
    call_command("send_pending_mail")
    call_command("send_pending_mail")

    [sent] = mail.outbox
    record.refresh_from_db()
    assert record.state == InvoiceEmail.SENT and record.sent_at and record.attempts == 1
    assert sent.to == [invoice.customer_email]
    assert sent.extra_headers["Message-ID"] == record.message_id
    (filename, _content, mimetype), _ubl = sent.attachments
    assert (filename, mimetype) == (f"{invoice.number.replace('/', '-')}.pdf", "application/pdf")
    # The kick delivered late, after all, sends nothing more.
    assert invoice_send_email(invoice=invoice) == record.message_id
    assert len(mail.outbox) == 1


def test_a_broker_down_at_commit_leaves_the_mail_pending_for_the_beat_task(
    make_draft, broker_down, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=make_draft())

    assert "redis is down" in caplog.text
    assert InvoiceEmail.objects.get(invoice=invoice).state == InvoiceEmail.PENDING
    assert mail.outbox == []

    broker_down.restore()  # the broker is back; its beat task runs (here in-process)
    time_passes()
    assert send_pending_invoice_mail.delay().get() == {"sent": 1, "failed": 0}
    assert send_pending_invoice_mail.delay().get() == {"sent": 0, "failed": 0}
    assert len(_mails_about(invoice)) == 1
    assert InvoiceEmail.objects.get(invoice=invoice).state == InvoiceEmail.SENT


@pytest.mark.django_db(transaction=True)
def test_senders_running_at_once_send_each_pending_mail_exactly_once(
    postgres_only, make_draft, broker_down
):
    invoices = [invoice_validate(invoice=make_draft()) for _ in range(6)]
    assert InvoiceEmail.objects.filter(state=InvoiceEmail.PENDING).count() == 6
    assert mail.outbox == []
    time_passes()

    senders = [invoice_mail_send_pending for _ in range(4)]
    kicks = [lambda invoice=invoice: invoice_send_email(invoice=invoice) for invoice in invoices]
    results = run_together(senders + kicks)

    assert not [r for r in results if isinstance(r, Exception)], results
    for invoice in invoices:
        assert len(_mails_about(invoice)) == 1, invoice
    assert len(mail.outbox) == 6
    records = InvoiceEmail.objects.all()
    assert {r.state for r in records} == {InvoiceEmail.SENT}
    assert {r.attempts for r in records} == {1}
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        r.message_id for r in records
    )


@pytest.mark.django_db(transaction=True)
def test_a_sender_skips_the_mail_another_sender_is_sending_instead_of_waiting(
    postgres_only, make_draft, broker_down
):
    invoices = [invoice_validate(invoice=make_draft()) for _ in range(3)]
    time_passes()
    busy = InvoiceEmail.objects.get(invoice=invoices[0])
    holding, release = threading.Event(), threading.Event()

    def other_sender():  # holds the first mail's row lock, as a slow send would
        with transaction.atomic():
            InvoiceEmail.objects.select_for_update().get(pk=busy.pk)
            holding.set()
            release.wait(timeout=30)
        connection.close()

    thread = threading.Thread(target=other_sender)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        # Back within 10 s while the row is still locked, or run_together fails as stuck.
        run = run_together([invoice_mail_send_pending], timeout=10)[0]
    finally:
        release.set()
        thread.join(timeout=30)

    assert run.sent == 2
    assert [len(_mails_about(invoice)) for invoice in invoices] == [0, 1, 1]
    assert InvoiceEmail.objects.get(pk=busy.pk).state == InvoiceEmail.PENDING


def test_a_refusing_mail_server_is_retried_with_backoff_then_failed_with_its_error(
    make_draft, smtp_refusing, django_capture_on_commit_callbacks
):
    smtp_refusing.INVOICE_MAIL_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):  # the kick: the first attempt
        invoice = invoice_validate(invoice=make_draft())

    record = InvoiceEmail.objects.get(invoice=invoice)
    assert (record.state, record.attempts) == (InvoiceEmail.PENDING, 1)
    assert "Connection refused" in record.last_error or "ConnectionRefused" in record.last_error
    assert record.next_attempt_at - record.last_attempt_at == timedelta(minutes=1)

    assert invoice_mail_send_pending().sent == 0  # not due yet: nothing tried
    record.refresh_from_db()
    assert record.attempts == 1

    later = timezone.now() + timedelta(minutes=2)
    assert invoice_mail_send_pending(now=later).failed == 1
    record.refresh_from_db()
    assert (record.state, record.attempts) == (InvoiceEmail.PENDING, 2)
    assert record.next_attempt_at - record.last_attempt_at == timedelta(minutes=2)

    much_later = timezone.now() + timedelta(hours=1)
    invoice_mail_send_pending(now=much_later)
    invoice_mail_send_pending(now=much_later + timedelta(hours=1))  # failed is not retried
    record.refresh_from_db()
    assert (record.state, record.attempts, record.sent_at) == (InvoiceEmail.FAILED, 3, None)
    assert record.last_error
    assert mail.outbox == []


def test_a_refused_attempt_keeps_the_pdf_it_rendered(
    make_draft, smtp_refusing, django_capture_on_commit_callbacks
):
    invoice = validate_and_die(make_draft(), django_capture_on_commit_callbacks)
    time_passes()
    assert invoice_mail_send_pending().failed == 1

    invoice.refresh_from_db()
    assert invoice.pdf and invoice.pdf_rendered_at
    rendered = (invoice.pdf.name, invoice.pdf_rendered_at)
    smtp_refusing.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_passes()
    assert invoice_mail_send_pending().sent == 1
    invoice.refresh_from_db()
    assert (invoice.pdf.name, invoice.pdf_rendered_at) == rendered
    [sent] = mail.outbox
    assert sent.attachments[0][1] == invoice.pdf.read()


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


def test_unsent_invoices_lists_pending_and_failed_mail_and_send_again_sends_it(
    make_draft, manager_client, settings, smtp_refusing, django_capture_on_commit_callbacks
):
    settings.INVOICE_MAIL_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        failed = invoice_validate(invoice=make_draft())  # refused: failed at once
    pending = validate_and_die(make_draft(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):  # the PDF alone is queued
        no_address = invoice_validate(invoice=make_draft(email=""))
    assert Invoice.objects.get(pk=no_address.pk).pdf
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        mailed = invoice_validate(invoice=make_draft())
    assert not InvoiceEmail.objects.filter(invoice=no_address).exists()

    url = reverse("invoicing:unsent_invoices")
    response = manager_client.get(url)
    html = response.content.decode()
    assert [m.invoice_id for m in response.context["mails"]] == [failed.pk, pending.pk]
    assert failed.number in html and pending.number in html
    assert mailed.number not in html and no_address.number not in html
    error = InvoiceEmail.objects.get(invoice=failed).last_error
    assert error and error in html
    assert "Failed" in html and "Pending" in html
    assert (
        reverse("invoicing:unsent_invoices")
        in manager_client.get(reverse("invoicing:invoice_list")).content.decode()
    )  # in the Invoicing menu

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("invoicing:invoice_send_again", args=[failed.pk]))
    assert response.status_code == 302 and response.url == url
    [sent] = _mails_about(failed)
    record = InvoiceEmail.objects.get(invoice=failed)
    assert record.state == InvoiceEmail.SENT and sent.extra_headers["Message-ID"] == (
        record.message_id
    )
    response = manager_client.get(url)
    assert [m.invoice_id for m in response.context["mails"]] == [pending.pk]

    # Sending a mail that went out already is refused with a message, not a 500.
    response = manager_client.post(
        reverse("invoicing:invoice_send_again", args=[failed.pk]), follow=True
    )
    assert "already" in response.content.decode()
    assert len(_mails_about(failed)) == 1


def test_unsent_invoices_runs_a_constant_number_of_queries(
    make_draft, manager_client, django_capture_on_commit_callbacks
):
    url = reverse("invoicing:unsent_invoices")
    manager_client.get(url)  # the first request of a session loads more
    counts = []
    for _ in range(2):
        for _ in range(3):
            validate_and_die(make_draft(), django_capture_on_commit_callbacks)
        with CaptureQueriesContext(connection) as queries:
            response = manager_client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert len(response.context["mails"]) == 6
    assert counts[0] == counts[1], counts


def test_only_managers_see_unsent_invoices_and_send_again(
    make_draft, client, django_capture_on_commit_callbacks
):
    invoice = validate_and_die(make_draft(), django_capture_on_commit_callbacks)
    client.force_login(StaffUserFactory())
    assert client.get(reverse("invoicing:unsent_invoices")).status_code == 403
    send_again = reverse("invoicing:invoice_send_again", args=[invoice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(send_again).status_code == 403
    assert mail.outbox == []
    assert InvoiceEmail.objects.get(invoice=invoice).state == InvoiceEmail.PENDING


def test_the_admin_lists_the_outbox_read_only(
    make_draft, client, django_capture_on_commit_callbacks
):
    invoice = validate_and_die(make_draft(), django_capture_on_commit_callbacks)
    record = InvoiceEmail.objects.get(invoice=invoice)
    client.force_login(AdminFactory())
    changelist = client.get(reverse("admin:invoicing_invoiceemail_changelist"))
    assert changelist.status_code == 200 and invoice.number in changelist.content.decode()
    assert (
        client.get(reverse("admin:invoicing_invoiceemail_change", args=[record.pk])).status_code
        == 200
    )
    assert client.get(reverse("admin:invoicing_invoiceemail_add")).status_code == 403
    response = client.post(
        reverse("admin:invoicing_invoiceemail_change", args=[record.pk]), {"state": "sent"}
    )
    assert response.status_code == 403
    assert InvoiceEmail.objects.get(pk=record.pk).state == InvoiceEmail.PENDING


def test_celery_beat_runs_the_pending_mail_sender_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-pending-invoice-mail"]
    assert celery_app.tasks[entry["task"]].name == send_pending_invoice_mail.name
    assert entry["schedule"] <= 60
