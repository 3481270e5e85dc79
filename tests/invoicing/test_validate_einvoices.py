"""`manage.py validate_einvoices`: the EN 16931 check over stored e-invoices (rule 45).

Runs once the validator (`invoicing.einvoice.validation`) is installed in the tree."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from invoicing.services import einvoices, invoice_credit
from tests.builders import build_invoice, build_order, day, log_time
from tests.factories import StaffUserFactory

pytest.importorskip("invoicing.einvoice.validation")

pytestmark = pytest.mark.django_db


def posted(*, invoice_date):
    order = build_order(quantity=10)
    log_time(employee=StaffUserFactory(), hours=2, line=order.lines.get(), date=day(1))
    return build_invoice(order=order, validate=True, invoice_date=invoice_date)


def without_issue_date(render):
    """A UBL renderer that drops the issue date (BT-2): the document breaks BR-03."""

    def broken(document):
        return re.sub(rb"<cbc:IssueDate>[^<]*</cbc:IssueDate>", b"", render(document), count=1)

    return broken


def run(*args) -> str:
    out = io.StringIO()
    call_command("validate_einvoices", *args, stdout=out)
    return out.getvalue()


def test_every_stored_invoice_and_credit_note_passes():
    invoice = posted(invoice_date=day(3))
    invoice_credit(invoice=invoice)

    output = run()

    assert "2 invoice(s), 4 e-invoice(s) checked: 0 invoice(s) failed" in output


def test_a_broken_document_is_reported_with_its_rule_and_number_and_fails(monkeypatch):
    monkeypatch.setattr(einvoices, "ubl_xml", without_issue_date(einvoices.ubl_xml))
    broken = posted(invoice_date=day(3))
    monkeypatch.undo()

    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 invoice\(s\) failed"):
        call_command("validate_einvoices", stdout=out)
    output = out.getvalue()

    assert re.search(rf"^{re.escape(broken.number)} UBL: BR-03 ", output, re.MULTILINE)
    assert f"{broken.number} CII" not in output


def test_since_checks_only_invoices_dated_from_then(monkeypatch):
    monkeypatch.setattr(einvoices, "ubl_xml", without_issue_date(einvoices.ubl_xml))
    posted(invoice_date=day(3))
    monkeypatch.undo()
    posted(invoice_date=day(5))

    output = run("--since", day(4).isoformat())

    assert "1 invoice(s), 2 e-invoice(s) checked: 0 invoice(s) failed" in output
