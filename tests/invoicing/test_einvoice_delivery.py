"""Where the e-invoices go (issue 15): the invoice page's downloads and Peppol status,
the mail with both files attached, and the Peppol hand-over through its outbox."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice, PeppolHandover
from invoicing.peppol import FolderDropSender, peppol_sender
from invoicing.services import invoice_credit, invoice_validate
from invoicing.services.peppol import next_attempt_at, peppol_handover_send_pending
from tests.builders import build_invoice, build_order, day, log_time
from tests.factories import CustomerFactory, ManagerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

FOLDER_DROP = "invoicing.peppol.FolderDropSender"


def draft(*, customer=None) -> Invoice:
    order = build_order(customer=customer or CustomerFactory(), quantity=10)
    log_time(employee=StaffUserFactory(), hours=3, line=order.lines.get(), date=day(1))
    return build_invoice(order=order)


def peppol_customer(**fields):
    return CustomerFactory(peppol_scheme="0208", peppol_id="0000000097", **fields)


class FailingSender:
    def send(self, *, invoice, ubl):
        raise OSError("the access point is down")


@pytest.fixture
def peppol_folder(settings, tmp_path):
    settings.PEPPOL_SENDER = FOLDER_DROP
    settings.PEPPOL_DROP_DIR = str(tmp_path / "peppol-out")
    return Path(settings.PEPPOL_DROP_DIR)


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


# --- the invoice page ----------------------------------------------------------------------


def test_download_ubl_answers_the_stored_ubl_as_an_xml_attachment(manager_client):
    invoice = invoice_validate(invoice=draft(), invoice_date=day(3))

    response = manager_client.get(reverse("invoicing:invoice_ubl", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == 'attachment; filename="INV-2026-00001.xml"'
    assert response.content == invoice.ubl_xml.encode()


def test_download_ubl_is_404_for_a_draft(manager_client):
    invoice = draft()

    response = manager_client.get(reverse("invoicing:invoice_ubl", args=[invoice.pk]))

    assert response.status_code == 404


def test_download_ubl_is_404_for_an_invoice_posted_before_e_invoices(manager_client, monkeypatch):
    monkeypatch.setattr("invoicing.services.posting.einvoices_freeze", lambda *, invoice: invoice)
    invoice = invoice_validate(invoice=draft(), invoice_date=day(3))

    response = manager_client.get(reverse("invoicing:invoice_ubl", args=[invoice.pk]))
    page = manager_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk]))

    assert response.status_code == 404
    assert "Download PDF" in page.content.decode()
    assert "Download UBL" not in page.content.decode()


def test_the_invoice_page_offers_both_downloads_and_shows_the_references(manager_client):
    invoice = invoice_validate(invoice=draft(), invoice_date=day(3))

    html = manager_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content
    html = html.decode()

    assert reverse("invoicing:invoice_pdf", args=[invoice.pk]) in html
    assert reverse("invoicing:invoice_ubl", args=[invoice.pk]) in html
    assert "Download PDF" in html and "Download UBL" in html
    assert "Payment reference" in html and invoice.payment_reference in html
    assert "21%" in html  # the line's VAT


def test_a_draft_page_offers_no_ubl(manager_client):
    invoice = draft()

    html = manager_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content
    html = html.decode()

    assert "Download PDF" in html and "Download UBL" not in html
    assert 'id="peppol-status"' not in html


def test_the_invoice_page_says_when_the_buyer_has_no_peppol_address(manager_client):
    invoice = invoice_validate(invoice=draft(), invoice_date=day(3))

    html = manager_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content

    assert "No Peppol address" in html.decode()


def test_the_invoice_page_says_when_and_where_the_ubl_was_handed_over(
    manager_client, peppol_folder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft(customer=peppol_customer()), invoice_date=day(3))

    html = manager_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content
    html = html.decode()

    assert "Handed over to Peppol at" in html
    assert str(peppol_folder / "INV-2026-00001.xml") in html
    assert "0208:0000000097" in html


def test_the_invoice_page_shows_a_failed_hand_over_with_its_error(
    manager_client, settings, django_capture_on_commit_callbacks
):
    settings.PEPPOL_SENDER = f"{__name__}.FailingSender"
    settings.PEPPOL_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft(customer=peppol_customer()), invoice_date=day(3))

    html = manager_client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content

    assert "The hand-over to Peppol failed" in html.decode()
    assert "OSError: the access point is down" in html.decode()


# --- the mail ----------------------------------------------------------------------------------


def test_the_invoice_mail_attaches_the_factur_x_pdf_and_the_ubl(
    django_capture_on_commit_callbacks,
):
    customer = CustomerFactory(email="office@acme.example", invoice_email="ap@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft(customer=customer), invoice_date=day(3))

    [sent] = mail.outbox
    assert sent.to == ["ap@acme.example"]  # the invoicing e-mail, frozen at posting
    (pdf_name, pdf, pdf_type), (xml_name, xml, xml_type) = sent.attachments
    invoice.refresh_from_db()
    assert (pdf_name, pdf_type) == ("INV-2026-00001.pdf", "application/pdf")
    assert pdf == invoice.pdf.read()
    assert (xml_name, xml_type) == ("INV-2026-00001.xml", "application/xml")
    assert xml == invoice.ubl_xml.encode()


def test_a_credit_note_mail_attaches_its_ubl_too(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft(), invoice_date=day(3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        note = invoice_credit(invoice=invoice)

    [sent] = mail.outbox
    assert [name for name, _, _ in sent.attachments] == [
        "RINV-2026-00001.pdf",
        "RINV-2026-00001.xml",
    ]
    assert sent.attachments[1][1] == note.ubl_xml.encode()


# --- Peppol ------------------------------------------------------------------------------------


def test_peppol_is_off_by_default(django_capture_on_commit_callbacks):
    assert peppol_sender() is None
    with django_capture_on_commit_callbacks(execute=True):
        invoice_validate(invoice=draft(customer=peppol_customer()), invoice_date=day(3))

    assert not PeppolHandover.objects.exists()


def test_the_folder_drop_sender_writes_the_ubl_and_the_handover_is_recorded(
    peppol_folder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft(customer=peppol_customer()), invoice_date=day(3))

    dropped = peppol_folder / "INV-2026-00001.xml"
    assert dropped.read_bytes() == invoice.ubl_xml.encode()
    assert os.listdir(peppol_folder) == ["INV-2026-00001.xml"]  # no temporary file left
    handover = PeppolHandover.objects.get(invoice=invoice)
    assert handover.state == PeppolHandover.HANDED_OVER
    assert handover.handed_over_at is not None and handover.attempts == 1
    assert handover.backend == FOLDER_DROP
    assert handover.location == str(dropped)


def test_no_handover_for_a_buyer_without_an_electronic_address(
    peppol_folder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice_validate(invoice=draft(), invoice_date=day(3))

    assert not PeppolHandover.objects.exists()
    assert not peppol_folder.exists()


def test_the_handover_row_is_written_in_the_posting_and_a_lost_kick_is_retried(
    peppol_folder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the process dies at commit
        invoice = invoice_validate(invoice=draft(customer=peppol_customer()), invoice_date=day(3))
    handover = PeppolHandover.objects.get(invoice=invoice)
    assert handover.state == PeppolHandover.PENDING and handover.attempts == 0

    assert peppol_handover_send_pending().handed_over == 0  # the kick's grace time
    later = next_attempt_at(handover) + timedelta(seconds=1)
    run = peppol_handover_send_pending(now=later)

    assert run.handed_over == 1
    handover.refresh_from_db()
    assert handover.state == PeppolHandover.HANDED_OVER
    assert (peppol_folder / "INV-2026-00001.xml").exists()
    assert peppol_handover_send_pending(now=later).handed_over == 0  # once


def test_a_failing_sender_records_the_error_and_is_retried_with_backoff_then_failed(
    settings, django_capture_on_commit_callbacks
):
    settings.PEPPOL_SENDER = f"{__name__}.FailingSender"
    settings.PEPPOL_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft(customer=peppol_customer()), invoice_date=day(3))
    handover = PeppolHandover.objects.get(invoice=invoice)
    assert handover.state == PeppolHandover.PENDING and handover.attempts == 1
    assert handover.last_error == "OSError: the access point is down"
    first_retry = next_attempt_at(handover)
    assert first_retry == handover.created_at + timedelta(minutes=3)  # grace + 1 min

    assert peppol_handover_send_pending(now=first_retry - timedelta(seconds=1)).failed == 0
    assert peppol_handover_send_pending(now=first_retry).failed == 1
    handover.refresh_from_db()
    assert handover.attempts == 2 and next_attempt_at(handover) == first_retry + timedelta(
        minutes=2
    )
    peppol_handover_send_pending(now=timezone.now() + timedelta(days=1))

    handover.refresh_from_db()
    assert handover.state == PeppolHandover.FAILED and handover.attempts == 3
    assert handover.handed_over_at is None
    assert peppol_handover_send_pending(now=timezone.now() + timedelta(days=2)).failed == 0


def test_a_failing_sender_records_failed_after_its_last_attempt(
    settings, django_capture_on_commit_callbacks
):
    settings.PEPPOL_SENDER = f"{__name__}.FailingSender"
    settings.PEPPOL_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft(customer=peppol_customer()), invoice_date=day(3))

    handover = PeppolHandover.objects.get(invoice=invoice)
    assert handover.state == PeppolHandover.FAILED
    assert handover.last_error == "OSError: the access point is down"
    assert invoice.state == Invoice.POSTED  # a hand-over never undoes the posting


def test_the_folder_drop_replaces_a_file_sent_again(tmp_path):
    invoice = invoice_validate(invoice=draft(), invoice_date=day(3))
    sender = FolderDropSender(tmp_path / "drop")

    first = sender.send(invoice=invoice, ubl=b"<first/>")
    second = sender.send(invoice=invoice, ubl=invoice.ubl_xml.encode())

    assert first == second
    assert Path(second).read_bytes() == invoice.ubl_xml.encode()
    assert os.listdir(tmp_path / "drop") == ["INV-2026-00001.xml"]


def test_send_pending_peppol_command_and_beat_schedule(settings, peppol_folder):
    call_command("send_pending_peppol")
    schedule = settings.CELERY_BEAT_SCHEDULE["send-pending-peppol"]
    assert schedule["task"] == "invoicing.tasks.send_pending_peppol"
    assert schedule["schedule"] == 60.0
