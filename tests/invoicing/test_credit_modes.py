"""DOMAIN.md rule 31: a credit note line reverses its line (entries freed, billed again)
or writes a quantity of it down (entries stay billed, never billed again); a draft line
lowered writes the difference down. Figures are read back from the database."""

import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core.errors import ConflictError
from invoicing.models import Invoice, InvoiceLine
from invoicing.services import (
    invoice_cancel,
    invoice_create_from_order,
    invoice_credit,
    invoice_line_update,
    invoice_validate,
    payment_register,
)
from invoicing.services.integrity import invoices_verify
from tests.builders import DAY, build_ticket_world, refreshed
from tests.factories import StaffUserFactory
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db


def ten_hours_posted():
    """Worked example 6's start: 10 h at 100 invoiced and validated (1,000.00)."""
    world = build_ticket_world(employee=StaffUserFactory(), hours=10, invoiced=True)
    world.invoice = invoice_validate(invoice=world.invoice)
    assert world.invoice.amount_untaxed == D("1000.00")
    return world, world.invoice.lines.get()


def figures(line) -> tuple[D, D, D]:
    """(invoiced, to invoice, written down) of the order line as stored now."""
    line = refreshed(line)
    return line.qty_invoiced, line.qty_to_invoice, line.qty_written_down


def write_down(quantity: str, line: InvoiceLine) -> dict:
    return {"line": line.pk, "mode": InvoiceLine.WRITE_DOWN, "quantity": quantity}


# --- the rule's example --------------------------------------------------------------------


def test_a_write_down_then_a_reversal_as_rule_31_says():
    world, line = ten_hours_posted()

    note = invoice_credit(invoice=world.invoice, lines=[write_down("1.50", line)])

    assert note.amount_untaxed == D("150.00") and note.number.startswith("RINV/")
    (credit,) = note.lines.all()
    assert (credit.credit_mode, credit.quantity, credit.reversed_line_id) == (
        InvoiceLine.WRITE_DOWN,
        D("1.50"),
        line.pk,
    )
    assert figures(world.line) == (D("10.00"), 0, D("1.50"))
    world.entry.refresh_from_db()
    assert world.entry.invoice_line_id == line.pk  # still billed, still locked
    assert note.appendix == []  # no entry moves
    world.invoice.refresh_from_db()
    assert world.invoice.payment_state == Invoice.PARTIAL
    assert world.invoice.amount_due == world.invoice.amount_total - note.amount_total

    reversal = invoice_credit(invoice=world.invoice, lines=[line.pk])

    assert reversal.amount_untaxed == D("1000.00")  # the whole line
    assert reversal.lines.get().credit_mode == InvoiceLine.REVERSAL
    assert [row["entry"] for row in reversal.appendix] == [world.entry.pk]
    assert figures(world.line) == (0, D("10.00"), D("1.50"))
    world.entry.refresh_from_db()
    assert world.entry.invoice_line_id is None
    world.invoice.refresh_from_db()
    assert (world.invoice.payment_state, world.invoice.amount_due) == (Invoice.REVERSED, 0)
    # Credited 1,150.00 (and tax) on 1,000.00: the reversal settles what is still due,
    # the rest is owed back to the customer (rule 32), never a negative figure.
    reversal.refresh_from_db()
    note.refresh_from_db()
    assert (note.amount_due, note.payment_state) == (0, Invoice.PAID)
    assert (reversal.amount_due, reversal.payment_state) == (note.amount_total, Invoice.PARTIAL)

    again = invoice_create_from_order(order=world.order)
    assert again.amount_untaxed == D("1000.00")
    assert list(again.lines.get().timesheets.values_list("pk", flat=True)) == [world.entry.pk]
    assert figures(world.line) == (D("10.00"), 0, D("1.50"))
    assert invoices_verify() == []


def test_plain_ids_and_invoice_lines_still_reverse():
    world, line = ten_hours_posted()

    note = invoice_credit(invoice=world.invoice, lines=[str(line.pk)])

    assert note.lines.get().credit_mode == InvoiceLine.REVERSAL
    assert figures(world.line) == (0, D("10.00"), 0)
    world.entry.refresh_from_db()
    assert world.entry.invoice_line_id is None
    world.invoice.refresh_from_db()
    assert world.invoice.payment_state == Invoice.REVERSED


def test_a_paid_invoice_written_down_owes_the_customer_the_write_down():
    world, line = ten_hours_posted()
    payment_register(invoice=world.invoice, amount=world.invoice.amount_total, date=DAY)

    note = invoice_credit(invoice=world.invoice, lines=[write_down("1.50", line)])

    note.refresh_from_db()
    world.invoice.refresh_from_db()
    assert (world.invoice.payment_state, world.invoice.amount_due) == (Invoice.PAID, 0)
    assert (note.amount_due, note.payment_state) == (note.amount_total, Invoice.NOT_PAID)
    assert note.amount_untaxed == D("150.00")
    assert invoices_verify() == []


# --- what a write-down may credit ------------------------------------------------------------


def test_a_write_down_takes_at_most_what_is_left_of_the_line():
    world, line = ten_hours_posted()
    with pytest.raises(ValidationError, match="at most 10.00") as error:
        invoice_credit(invoice=world.invoice, lines=[write_down("10.01", line)])
    assert "lines" in error.value.message_dict

    invoice_credit(invoice=world.invoice, lines=[write_down("6", line)])
    with pytest.raises(ValidationError, match="at most 4.00"):
        invoice_credit(invoice=world.invoice, lines=[write_down("4.01", line)])
    invoice_credit(invoice=world.invoice, lines=[write_down("4.00", line)])

    assert figures(world.line) == (D("10.00"), 0, D("10.00"))
    with pytest.raises(ValidationError, match="at most 0.00"):
        invoice_credit(invoice=world.invoice, lines=[write_down("0.01", line)])
    world.invoice.refresh_from_db()
    # Written down in full is not reversed: the entries stay billed.
    assert world.invoice.payment_state == Invoice.PAID
    assert world.invoice.amount_due == 0


def test_a_reversed_line_is_never_credited_again():
    world, line = ten_hours_posted()
    invoice_credit(invoice=world.invoice, lines=[line])

    with pytest.raises(ConflictError, match="credited already"):
        invoice_credit(invoice=world.invoice, lines=[write_down("1", line)])
    with pytest.raises(ConflictError, match="credited already"):
        invoice_credit(invoice=world.invoice, lines=[{"line": line.pk, "mode": "reversal"}])
    with pytest.raises(ConflictError, match="fully credited"):
        invoice_credit(invoice=world.invoice)
    assert Invoice.objects.filter(move_type=Invoice.CREDIT_NOTE).count() == 1


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([{"line": 0, "mode": "write_down"}], "Give the quantity"),
        ([{"mode": "write_down", "quantity": "1"}], "Give the lines"),
        ([{"line": 0, "mode": "discount"}], "not a credit mode"),
        ([{"line": 0, "mode": "write_down", "quantity": "0"}], "more than 0"),
        ([{"line": 0, "mode": "write_down", "quantity": "-1"}], "more than 0"),
        ([{"line": 0, "mode": "write_down", "quantity": "1.234"}], "two decimals"),
        ([{"line": 0, "mode": "write_down", "quantity": "abc"}], "Enter a number"),
        ([{"line": 0, "mode": "write_down", "quantity": "1"}, 0], "given twice"),
        ([True], "Give the lines"),
        ("12", "Give the lines"),
        ([], "at least one line"),
    ],
)
def test_bad_credit_requests_are_refused_with_a_lines_error(lines, message):
    world, line = ten_hours_posted()

    def real(item):
        if isinstance(item, dict) and item.get("line") == 0:
            return {**item, "line": line.pk}
        return line.pk if item == 0 and not isinstance(item, bool) else item

    requests = [real(item) for item in lines] if isinstance(lines, list) else lines
    with pytest.raises(ValidationError, match=message) as error:
        invoice_credit(invoice=world.invoice, lines=requests)
    assert "lines" in error.value.message_dict
    assert not Invoice.objects.filter(move_type=Invoice.CREDIT_NOTE).exists()


def test_lines_of_another_invoice_are_refused():
    world, _line = ten_hours_posted()
    _other, foreign = ten_hours_posted()
    with pytest.raises(ValidationError, match="not lines of"):
        invoice_credit(invoice=world.invoice, lines=[write_down("1", foreign)])


# --- a draft line lowered --------------------------------------------------------------------


def test_a_lowered_draft_line_writes_the_difference_down_once_posted():
    world = build_ticket_world(employee=StaffUserFactory(), hours=10, invoiced=True)
    line = world.invoice.lines.get()

    line = invoice_line_update(line=line, quantity="8")

    assert (line.quantity, line.qty_written_down, line.amount_untaxed) == (
        D("8.00"),
        D("2.00"),
        D("800.00"),
    )
    # Nothing left to invoice; written down only once posted.
    assert figures(world.line) == (D("10.00"), 0, 0)
    with pytest.raises(ValidationError, match="Nothing to invoice"):
        invoice_create_from_order(order=world.order)

    # Raising takes back what was written down first, then bills more.
    assert invoice_line_update(line=line, quantity="9").qty_written_down == D("1.00")
    assert figures(world.line) == (D("10.00"), 0, 0)
    raised = invoice_line_update(line=line, quantity="11")
    assert raised.qty_written_down == 0
    assert figures(world.line) == (D("11.00"), D("-1.00"), 0)
    # Lowered again: written down is what the entries made (10) minus what it bills.
    assert invoice_line_update(line=line, quantity="8").qty_written_down == D("2.00")
    assert figures(world.line) == (D("10.00"), 0, 0)

    invoice_validate(invoice=world.invoice)

    assert figures(world.line) == (D("10.00"), 0, D("2.00"))
    # A write-down on it takes at most its quantity, what it bills.
    with pytest.raises(ValidationError, match="at most 8.00"):
        invoice_credit(invoice=world.invoice, lines=[write_down("8.50", line)])

    # Its reversal undoes what it wrote down too: everything is billed again.
    reversal = invoice_credit(invoice=world.invoice)
    assert reversal.lines.get().qty_written_down == D("2.00")
    assert reversal.amount_untaxed == D("800.00")
    assert figures(world.line) == (0, D("10.00"), 0)
    assert invoice_create_from_order(order=world.order).amount_untaxed == D("1000.00")
    assert invoices_verify() == []


def test_cancelling_a_lowered_draft_leaves_nothing_written_down():
    world = build_ticket_world(employee=StaffUserFactory(), hours=10, invoiced=True)
    invoice_line_update(line=world.invoice.lines.get(), quantity="7.5")

    invoice_cancel(invoice=world.invoice)

    assert figures(world.line) == (0, D("10.00"), 0)
    world.entry.refresh_from_db()
    assert world.entry.invoice_line_id is None
    assert invoice_create_from_order(order=world.order).amount_untaxed == D("1000.00")


def test_a_prepaid_draft_line_lowered_leaves_the_rest_to_invoice():
    world = build_ticket_world(prepaid=True, quantity="10")
    draft = invoice_create_from_order(order=world.order)

    line = invoice_line_update(line=draft.lines.get(), quantity="6")

    assert line.qty_written_down == 0
    assert figures(world.line) == (D("6.00"), D("4.00"), 0)


# --- the database guard --------------------------------------------------------------------


def test_on_postgresql_a_write_down_never_frees_an_entry(postgres_trigger):
    world, line = ten_hours_posted()
    invoice_credit(invoice=world.invoice, lines=[write_down("1.50", line)])

    with pytest.raises(DatabaseError), transaction.atomic():
        TimesheetEntry.objects.filter(pk=world.entry.pk).update(invoice_line=None)
    with pytest.raises(DatabaseError), transaction.atomic():
        TimesheetEntry.objects.filter(pk=world.entry.pk).update(billed_minutes=1)

    invoice_credit(invoice=world.invoice, lines=[line])  # a reversal frees it
    world.entry.refresh_from_db()
    assert world.entry.invoice_line_id is None


def test_verify_names_an_entry_whose_billed_minutes_changed_after_posting():
    world, _line = ten_hours_posted()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE timesheets_timesheetentry SET billed_minutes = 30 WHERE id = %s",
            [world.entry.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")

    assert [str(problem) for problem in invoices_verify()] == [
        f"{world.invoice.number}: billed entry {world.entry.pk} bills 30 minutes, "
        "its appendix says 600"
    ]


# --- e-invoices ------------------------------------------------------------------------------


def test_a_write_down_credit_note_passes_the_en16931_validation():
    pytest.importorskip("invoicing.einvoice.validation")
    world, line = ten_hours_posted()
    invoice_credit(invoice=world.invoice, lines=[write_down("1.50", line)])

    out = io.StringIO()
    call_command("validate_einvoices", stdout=out)

    assert "2 invoice(s), 4 e-invoice(s) checked: 0 invoice(s) failed" in out.getvalue()
