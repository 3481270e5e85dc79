"""The invoice PDF (DOMAIN.md rule 26), read back with pdftotext."""

import shutil
import subprocess

import pytest

from invoicing.models import Invoice
from invoicing.pdf import InvoicePdfRenderer
from invoicing.services import (
    invoice_create_from_order,
    invoice_credit,
    invoice_pdf_bytes,
    invoice_validate,
)
from sales.services import order_line_add
from tests.builders import build_untracked_product, day
from tests.factories import StaffUserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing"),
]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return result.stdout.decode()


@pytest.fixture
def posted(make_line, log, make_ticket):
    """Delivered hours at 21% on two tickets, plus a prepaid line at 6%."""
    line = make_line(unit="Hours", price="100", quantity="20", tax="21")
    printer = make_ticket(line, subject="Printer on fire")
    mail = make_ticket(line, subject="Mail bounces")
    bob = StaffUserFactory(first_name="Bob", last_name="Jones")
    log(line, hours="1.5", date=day(1), ticket=printer)
    log(line, minutes=45, date=day(2), ticket=printer, who=bob)
    log(line, hours=3, date=day(2), ticket=mail)
    prepaid = build_untracked_product(unit="Hours", price="50", tax="6", name="Onboarding pack")
    order_line_add(order=line.order, product=prepaid, quantity=2)
    draft = invoice_create_from_order(order=line.order)
    return invoice_validate(invoice=draft, invoice_date=day(3))


def test_the_pdf_shows_number_parties_lines_tax_per_rate_totals_and_appendix(posted):
    text = pdf_text(invoice_pdf_bytes(invoice=posted))

    assert "Invoice INV/2026/00001" in text
    assert "Billable Support Ltd" in text and posted.customer_name in text
    assert posted.customer_vat in text
    assert "2026-03-03" in text and "2026-04-02" in text  # invoice and due dates
    assert "5.25" in text and "525.00" in text  # 5:15 h at 100
    assert "Onboarding pack" in text and "100.00" in text
    assert "VAT 21%" in text and "110.25" in text  # tax on 525.00
    assert "VAT 6%" in text and "6.00" in text  # tax on 100.00
    assert "625.00" in text  # untaxed
    assert "116.25" in text  # tax
    assert "741.25 EUR" in text  # total and amount due
    # Appendix grouped by ticket, with H:MM hours and employees.
    assert "Printer on fire" in text and "Mail bounces" in text
    assert "1:30" in text and "0:45" in text and "3:00" in text
    assert "Bob Jones" in text and "Ann Smith" in text
    assert "Total 5:15 hours" in text


def test_example_8_figures_are_the_same_in_the_pdf(example_8_invoice):
    invoice = example_8_invoice
    text = pdf_text(invoice_pdf_bytes(invoice=invoice))

    assert "VAT 25%" in text
    assert "0.30" in text and "0.09" in text and "0.39 EUR" in text


def test_the_posted_pdf_is_stored_once_and_served_as_is(posted):
    first = invoice_pdf_bytes(invoice=posted)
    posted.refresh_from_db()
    assert posted.pdf and posted.pdf_rendered_at

    customer = posted.customer
    customer.name = "Renamed Later SA"
    customer.save()
    second = invoice_pdf_bytes(invoice=posted)

    assert second == first
    assert "Renamed Later SA" not in pdf_text(second)


def test_a_draft_pdf_says_draft_and_is_not_stored(make_line, log):
    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)

    text = pdf_text(invoice_pdf_bytes(invoice=draft))

    assert "Draft Invoice" in text and "DRAFT" in text
    draft.refresh_from_db()
    assert not draft.pdf


def test_validation_renders_the_pdf_after_commit(
    make_line, log, django_capture_on_commit_callbacks
):
    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice_validate(invoice=draft)

    assert len(callbacks) == 1
    stored = Invoice.objects.get(pk=draft.pk)
    assert stored.pdf.name.endswith(f"{stored.number.replace('/', '-')}.pdf")
    assert stored.pdf.read().startswith(b"%PDF-")


def test_a_failing_pdf_render_never_undoes_the_validation(
    make_line, log, monkeypatch, django_capture_on_commit_callbacks
):
    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)

    def broken(self, invoice):
        raise OSError("fonts are gone")

    monkeypatch.setattr(InvoicePdfRenderer, "render", broken)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(invoice=draft)

    invoice.refresh_from_db()
    assert invoice.state == Invoice.POSTED
    assert not invoice.pdf
    monkeypatch.undo()
    assert pdf_text(invoice_pdf_bytes(invoice=invoice)).count(invoice.number) >= 1


def test_the_html_uses_no_external_assets(posted, tmp_path):
    (tmp_path / "invoice.pdf").write_bytes(invoice_pdf_bytes(invoice=posted))
    html = InvoicePdfRenderer().html(posted)
    assert "http://" not in html and "https://" not in html
    assert "size: A4" in html


def test_a_credit_note_pdf_names_the_invoice_it_corrects(posted):
    note = invoice_credit(invoice=posted, lines=[posted.lines.order_by("pk").first()])

    text = pdf_text(invoice_pdf_bytes(invoice=note))

    assert "Credit Note RINV/" in text
    assert "Credit note for invoice INV/2026/00001" in text
    assert "525.00" in text and "635.25 EUR" in text
    assert "Printer on fire" in text and "Total 5:15 hours" in text


def test_the_appendix_prints_every_entry_with_its_task_and_description(
    make_line, make_ticket, employee
):
    from timesheets.services import timesheet_log

    line = make_line()
    ticket = make_ticket(line, subject="Printer on fire")
    for n in range(60):
        timesheet_log(
            employee=employee, date=day(1), minutes=5, ticket=ticket, description=f"Step {n:02d}"
        )
    draft = invoice_create_from_order(order=line.order)

    text = pdf_text(invoice_pdf_bytes(invoice=draft))

    task = ticket.task.name
    assert all(f"{task}: Step {n:02d}" in text for n in range(60))
    # Worked and billed, per entry (rule 28).
    assert text.count(" 0:05") == 120 and "Total 5:00 hours worked, 5:00 billed" in text


def test_rendering_restores_the_garbage_collector_thresholds(make_line, log, monkeypatch):
    import gc

    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)
    before = gc.get_threshold()
    invoice_pdf_bytes(invoice=draft)
    assert gc.get_threshold() == before

    def broken(self, invoice):
        assert gc.get_threshold()[0] >= 100_000  # collects rarely while rendering
        raise OSError("fonts are gone")

    monkeypatch.setattr(InvoicePdfRenderer, "render", broken)
    with pytest.raises(OSError):
        invoice_pdf_bytes(invoice=draft)
    assert gc.get_threshold() == before
