"""Drafts, validation, credit notes and payments (DOMAIN.md rules 19, 22-25)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone

from core.errors import ConflictError
from invoicing.models import Invoice, InvoiceLine
from invoicing.services import (
    invoice_cancel,
    invoice_create_from_order,
    invoice_credit,
    invoice_line_delete,
    invoice_line_update,
    invoice_validate,
    payment_register,
    sale_lines_recompute_invoiced,
)
from sales.models import SaleOrderLine
from sales.services import order_line_add
from tests.builders import build_untracked_product, day, refreshed
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _assert_invoiced_matches_invoice_lines() -> None:
    """Issue 4's invariant: invoiced = non-cancelled invoice lines - posted credit notes."""
    for line in SaleOrderLine.objects.all():
        lines = InvoiceLine.objects.filter(sale_line=line)
        invoiced = lines.filter(
            Q(invoice__move_type=Invoice.INVOICE) & ~Q(invoice__state=Invoice.CANCEL)
        ).aggregate(q=Sum("quantity"))["q"] or D(0)
        credited = lines.filter(
            invoice__move_type=Invoice.CREDIT_NOTE, invoice__state=Invoice.POSTED
        ).aggregate(q=Sum("quantity"))["q"] or D(0)
        assert line.qty_invoiced == invoiced - credited, line


@pytest.fixture
def posted(make_line, log):
    """A posted invoice of two lines: 10 h at 100 (21% tax) and 2 h prepaid at 50 (6%)."""
    line = make_line(unit="Hours", price="100", quantity="10", tax="21")
    log(line, hours=6, date=day(1))
    log(line, hours=4, date=day(2))
    prepaid = build_untracked_product(unit="Hours", price="50", tax="6")
    order_line_add(order=line.order, product=prepaid, quantity=2)
    return invoice_validate(
        invoice=invoice_create_from_order(order=line.order), invoice_date=day(3)
    )


# --- create -------------------------------------------------------------------------


def test_a_quotation_cannot_be_invoiced(make_line):
    line = make_line(confirm=False)
    with pytest.raises(ConflictError, match="only confirmed sale orders"):
        invoice_create_from_order(order=line.order)
    assert not Invoice.objects.exists()


def test_nothing_to_invoice_is_a_clear_error_and_writes_nothing(make_line):
    line = make_line()
    with pytest.raises(ValidationError, match=r"Nothing to invoice on SO\d+"):
        invoice_create_from_order(order=line.order)
    assert not Invoice.objects.exists()


def test_an_up_to_date_and_a_different_period_end_are_refused(make_line, log):
    line = make_line()
    log(line, hours=1)
    with pytest.raises(ValidationError) as error:
        invoice_create_from_order(order=line.order, up_to=day(1), period_end=day(2))
    assert "up_to" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        invoice_create_from_order(order=line.order, period_start=day(5), period_end=day(2))
    assert "period_start" in error.value.message_dict


def test_the_draft_copies_the_order_line_and_belongs_to_the_order_customer(make_line, log):
    line = make_line(unit="Hours", price="80", tax="6")
    log(line, hours=2)
    invoice = invoice_create_from_order(order=line.order)

    assert invoice.state == Invoice.DRAFT
    assert invoice.number is None
    assert invoice.customer_id == line.order.customer_id
    assert invoice.sale_order_id == line.order_id
    invoice_line = invoice.lines.get()
    assert (invoice_line.description, invoice_line.uom_id) == (line.description, line.uom_id)
    assert (invoice_line.price_unit, invoice_line.tax_rate) == (D("80.00"), D("6.00"))
    assert (invoice_line.amount_untaxed, invoice_line.amount_tax) == (D("160.00"), D("9.60"))
    assert refreshed(line).qty_invoiced == D("2.00")


# --- validate -----------------------------------------------------------------------


def test_validation_numbers_dates_and_freezes_the_invoice(posted):
    assert posted.state == Invoice.POSTED
    assert posted.number == "INV/2026/00001"
    assert posted.invoice_date == day(3)
    assert posted.due_date == day(3) + datetime.timedelta(days=30)
    customer = posted.customer
    assert posted.customer_name == customer.name
    assert posted.customer_vat == customer.vat
    assert posted.customer_address == "12 Client Road\n9000 Ghent\nBelgium"
    assert posted.seller_name == "Billable Support Ltd"
    assert [row["hours"] for row in posted.appendix] == ["6:00", "4:00"]
    assert posted.amount_untaxed == D("1100.00")
    assert posted.amount_tax == D("216.00")
    assert posted.amount_total == posted.amount_due == D("1316.00")
    assert len(posted.content_hash) == 64


def test_validation_defaults_to_today_and_the_customer_payment_terms(make_line, log):
    line = make_line(customer=CustomerFactory(payment_terms_days=15))
    log(line, hours=1)
    invoice = invoice_validate(invoice=invoice_create_from_order(order=line.order))
    today = timezone.localdate()
    assert invoice.invoice_date == today
    assert invoice.due_date == today + datetime.timedelta(days=15)


def test_renaming_the_customer_later_leaves_the_posted_invoice_unchanged(posted):
    customer = posted.customer
    customer.name = "Renamed SA"
    customer.save()
    posted.refresh_from_db()
    assert posted.customer_name != "Renamed SA"


def test_validating_twice_is_refused_as_already_validated(posted):
    with pytest.raises(ConflictError, match="already validated"):
        invoice_validate(invoice=posted)


def test_a_cancelled_draft_cannot_be_validated(make_line, log):
    line = make_line()
    log(line, hours=1)
    invoice = invoice_cancel(invoice=invoice_create_from_order(order=line.order))
    with pytest.raises(ConflictError, match="cancelled"):
        invoice_validate(invoice=invoice)


def test_an_invoice_cannot_be_dated_before_the_last_number_of_its_series(posted, make_line, log):
    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)
    with pytest.raises(ValidationError) as error:
        invoice_validate(invoice=draft, invoice_date=day(2))
    assert "invoice_date" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.state == Invoice.DRAFT
    assert invoice_validate(invoice=draft, invoice_date=day(3)).number == "INV/2026/00002"


def test_an_empty_draft_cannot_be_validated(make_line, log):
    line = make_line()
    log(line, hours=1)
    invoice = invoice_create_from_order(order=line.order)
    invoice_line_delete(line=invoice.lines.get())
    with pytest.raises(ValidationError, match="without lines"):
        invoice_validate(invoice=invoice)


# --- edit and cancel drafts ------------------------------------------------------------


def test_editing_a_draft_line_recomputes_amounts_totals_and_invoiced(make_line, log):
    line = make_line(unit="Hours", price="100", tax="21")
    log(line, hours=3)
    invoice = invoice_create_from_order(order=line.order)

    invoice_line_update(
        line=invoice.lines.get(), quantity="2.5", price_unit="90", description="Support"
    )

    invoice.refresh_from_db()
    invoice_line = invoice.lines.get()
    assert invoice_line.description == "Support"
    assert invoice_line.amount_untaxed == D("225.00")
    assert invoice.amount_untaxed == D("225.00")
    assert invoice.amount_tax == D("47.25")
    assert invoice.amount_total == D("272.25")
    # Rule 31: a Delivered line's lower quantity writes the difference down, so nothing
    # is left to invoice; it counts as written down once the invoice is posted.
    assert invoice_line.qty_written_down == D("0.50")
    line = refreshed(line)
    assert line.qty_invoiced == D("3.00")
    assert line.qty_to_invoice == 0
    assert line.qty_written_down == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "1.234"}, "quantity"),
        ({"price_unit": "-1"}, "price_unit"),
        ({"description": "  "}, "description"),
    ],
)
def test_bad_draft_line_edits_are_refused_with_a_field_error(make_line, log, changes, field):
    line = make_line()
    log(line, hours=1)
    invoice_line = invoice_create_from_order(order=line.order).lines.get()
    with pytest.raises(ValidationError) as error:
        invoice_line_update(line=invoice_line, **changes)
    assert field in error.value.message_dict
    assert InvoiceLine.objects.get(pk=invoice_line.pk).quantity == D("1.00")


def test_cancelling_a_draft_frees_its_entries_and_its_invoiced_quantity(make_line, log):
    line = make_line()
    entry = log(line, hours=5)
    invoice = invoice_create_from_order(order=line.order)

    invoice_cancel(invoice=invoice)

    invoice.refresh_from_db()
    entry.refresh_from_db()
    assert invoice.state == Invoice.CANCEL
    assert entry.invoice_line_id is None
    assert refreshed(line).qty_invoiced == 0
    with pytest.raises(ConflictError, match="cancelled"):
        invoice_cancel(invoice=invoice)
    assert invoice_create_from_order(order=line.order).amount_untaxed == D("500.00")


def test_a_posted_invoice_is_not_cancelled_but_credited(posted):
    with pytest.raises(ConflictError, match="credit note"):
        invoice_cancel(invoice=posted)


# --- credit notes --------------------------------------------------------------------


def test_a_partial_credit_note_credits_the_chosen_lines_only(posted):
    hours_line, prepaid_line = posted.lines.order_by("pk")

    note = invoice_credit(invoice=posted, lines=[hours_line.pk])

    assert note.number == "RINV/2026/00001"
    assert note.state == Invoice.POSTED
    (credit_line,) = note.lines.all()
    assert credit_line.reversed_line_id == hours_line.pk
    assert note.amount_total == D("1210.00")
    assert [row["hours"] for row in note.appendix] == ["6:00", "4:00"]
    posted.refresh_from_db()
    assert posted.payment_state == Invoice.PARTIAL
    assert posted.amount_due == D("106.00")
    assert refreshed(hours_line.sale_line).qty_invoiced == 0
    assert refreshed(prepaid_line.sale_line).qty_invoiced == D("2.00")
    assert not hours_line.timesheets.exists()

    with pytest.raises(ConflictError, match="credited already"):
        invoice_credit(invoice=posted, lines=[hours_line])
    invoice_credit(invoice=posted)  # the rest
    posted.refresh_from_db()
    assert posted.payment_state == Invoice.REVERSED
    assert posted.amount_due == 0
    _assert_invoiced_matches_invoice_lines()


def test_credit_notes_refuse_drafts_foreign_lines_and_full_recredit(posted, make_line, log):
    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)
    with pytest.raises(ConflictError):
        invoice_credit(invoice=draft)
    with pytest.raises(ValidationError) as error:
        invoice_credit(invoice=posted, lines=[draft.lines.get().pk])
    assert "lines" in error.value.message_dict
    with pytest.raises(ValidationError):
        invoice_credit(invoice=posted, lines=[])
    note = invoice_credit(invoice=posted)
    with pytest.raises(ConflictError, match="fully credited"):
        invoice_credit(invoice=posted)
    with pytest.raises(ConflictError):
        invoice_credit(invoice=note)


# --- payments ------------------------------------------------------------------------


def test_payments_move_the_invoice_from_not_paid_to_partial_to_paid(posted):
    assert posted.payment_state == Invoice.NOT_PAID
    payment_register(invoice=posted, amount="316.00", date=day(4), reference="T-1")
    posted.refresh_from_db()
    assert (posted.payment_state, posted.amount_due) == (Invoice.PARTIAL, D("1000.00"))

    payment_register(invoice=posted, amount=D("1000"), date=day(5), method="card")
    posted.refresh_from_db()
    assert (posted.payment_state, posted.amount_due) == (Invoice.PAID, D("0.00"))
    assert posted.amount_paid == D("1316.00")


def test_overpayment_is_refused_and_records_nothing(posted):
    with pytest.raises(ValidationError) as error:
        payment_register(invoice=posted, amount="1316.01", date=day(4))
    assert "Overpayment" in error.value.message_dict["amount"][0]
    assert not posted.payments.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": "1", "date": None}, "date"),
        ({"amount": "1", "date": "31/02/2026"}, "date"),
        ({"amount": "1", "method": "bitcoin"}, "method"),
    ],
)
def test_bad_payments_are_refused_with_a_field_error(posted, kwargs, field):
    kwargs = {"date": day(4), **kwargs}
    with pytest.raises(ValidationError) as error:
        payment_register(invoice=posted, **kwargs)
    assert field in error.value.message_dict


def test_payments_are_refused_on_drafts_and_credit_notes(posted, make_line, log):
    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)
    with pytest.raises(ConflictError):
        payment_register(invoice=draft, amount="1", date=day(4))
    note = invoice_credit(invoice=posted)
    with pytest.raises(ConflictError):
        payment_register(invoice=note, amount="1", date=day(4))


def test_a_paid_invoice_credited_in_full_is_reversed_and_owes_a_refund(posted):
    payment_register(invoice=posted, amount=posted.amount_total, date=day(4))
    note = invoice_credit(invoice=posted)
    posted.refresh_from_db()
    assert posted.payment_state == Invoice.REVERSED
    assert note.amount_due == D("1316.00")  # to refund


# --- the invoiced figure --------------------------------------------------------------


def test_recompute_invoiced_heals_a_wrong_stored_figure(posted):
    sale_line = posted.lines.first().sale_line
    SaleOrderLine.objects.filter(pk=sale_line.pk).update(qty_invoiced=D("99"))
    sale_lines_recompute_invoiced(line_ids=[sale_line.pk])
    assert refreshed(sale_line).qty_invoiced == D("10.00")


def test_invoiced_always_equals_live_invoice_lines_minus_posted_credits(make_line, log):
    line = make_line(unit="Days", quantity="5")
    for n in range(1, 5):
        log(line, hours=3, date=day(n))
    first = invoice_validate(
        invoice=invoice_create_from_order(order=line.order, up_to=day(1)), invoice_date=day(5)
    )
    invoice_cancel(invoice=invoice_create_from_order(order=line.order, up_to=day(2)))
    invoice_credit(invoice=first)
    invoice_create_from_order(order=line.order, up_to=day(3))
    invoice_create_from_order(order=line.order)
    _assert_invoiced_matches_invoice_lines()
    line = refreshed(line)
    assert line.qty_invoiced == line.qty_delivered == D("1.50")
