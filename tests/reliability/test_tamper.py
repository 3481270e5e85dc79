"""Tamper evidence: raw SQL as the database owner, one test per hole (reliability issue,
finding 7). Each tamper is refused by a PostgreSQL trigger (invoicing migration 0008),
or, done with the triggers switched off, named by `verify_invoices`."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from invoicing import services as invoicing_services
from invoicing.models import Invoice
from invoicing.services.posting import invoice_content_hash
from tests.builders import build_order, build_product, build_team, day, log_time
from tests.factories import StaffUserFactory
from timesheets import services as timesheet_services
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db


def _order_with_hours(hours=5, customer=None):
    """A confirmed order of 10 hours with `hours` logged over 2 and 3 March."""
    order = build_order(customer=customer, product=build_product(project=build_team().project))
    for n in (2, 3):
        log_time(
            employee=StaffUserFactory(), date=day(n), minutes=hours * 30, line=order.lines.get()
        )
    return order


def _posted(count=1):
    invoices = []
    for _ in range(count):
        draft = invoicing_services.invoice_create_from_order(order=_order_with_hours())
        invoices.append(
            invoicing_services.invoice_validate(
                invoice=draft, invoice_date=datetime.date(2026, 3, 10)
            )
        )
    return invoices


def _refused(sql, params=()) -> str:
    """Run `sql` as the owner; the guard's message, or fail if the database took it."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # (TRUNCATE refuses tables with foreign-key checks still pending)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL billable.allow_truncate = 'off'")
            cursor.execute(sql, list(params))
    except DatabaseError as error:
        return str(error)
    pytest.fail(f"the database accepted: {sql}")


def _bypass(sql, params=()):
    """The same tamper with the triggers off (a superuser can): verify's turn."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, list(params))
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _verify(*args) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("verify_invoices", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def _rehash_chain(move_type=Invoice.INVOICE):
    """What someone who read posting.py does after a tamper: re-hash the whole series."""
    previous = ""
    for invoice in Invoice.objects.filter(move_type=move_type, state=Invoice.POSTED).order_by(
        "sequence_number"
    ):
        invoice.previous_hash = previous
        lines = sorted(invoice.lines.all(), key=lambda line: (line.sequence, line.pk))
        previous = invoice_content_hash(invoice, lines)
        _bypass(
            "UPDATE invoicing_invoice SET previous_hash = %s, content_hash = %s WHERE id = %s",
            [invoice.previous_hash, previous, invoice.pk],
        )


def test_an_intact_database_verifies_and_prints_each_series_first_and_last_hash():
    first, _, last = _posted(3)
    first.refresh_from_db()
    last.refresh_from_db()

    ok, out = _verify()

    assert ok, out
    assert (
        f"series INV/2026 count=3 first={first.number}:{first.content_hash} "
        f"last={last.number}:{last.content_hash}"
    ) in out


def test_a_line_cannot_be_moved_into_a_posted_invoice(postgres_trigger):
    (posted,) = _posted()
    draft = invoicing_services.invoice_create_from_order(order=_order_with_hours())

    message = _refused(
        "UPDATE invoicing_invoiceline SET invoice_id = %s WHERE invoice_id = %s",
        [posted.pk, draft.pk],
    )

    assert "never changed" in message
    assert posted.lines.count() == 1


def test_a_posted_invoice_cannot_be_set_paid_without_a_payment(postgres_trigger):
    (posted,) = _posted()

    message = _refused(
        "UPDATE invoicing_invoice SET payment_state = 'paid', amount_due = 0 WHERE id = %s",
        [posted.pk],
    )

    assert "payment status" in message
    # Registering a payment still writes the figures, through the service.
    invoicing_services.payment_register(
        invoice=posted, amount=posted.amount_total, date=datetime.date(2026, 3, 11)
    )
    posted.refresh_from_db()
    assert posted.payment_state == Invoice.PAID


def test_verify_names_a_paid_status_without_payments():
    (posted,) = _posted()
    _bypass(
        "UPDATE invoicing_invoice SET payment_state = 'paid', amount_due = 0 WHERE id = %s",
        [posted.pk],
    )

    ok, out = _verify()

    assert not ok
    assert f"{posted.number}: its payment status (Paid, paid 0.00, due 0.00)" in out


def test_a_billed_entry_cannot_be_unlinked_changed_or_deleted(postgres_trigger):
    (posted,) = _posted()
    entry = TimesheetEntry.objects.filter(invoice_line__invoice=posted).first()

    assert "credit note" in _refused(
        "UPDATE timesheets_timesheetentry SET invoice_line_id = NULL WHERE id = %s", [entry.pk]
    )
    assert "never changed" in _refused(
        "UPDATE timesheets_timesheetentry SET minutes = 1 WHERE id = %s", [entry.pk]
    )
    assert "never deleted" in _refused(
        "DELETE FROM timesheets_timesheetentry WHERE id = %s", [entry.pk]
    )
    other = TimesheetEntry.objects.filter(invoice_line__isnull=True).first() or (
        timesheet_services.timesheet_log(
            employee=StaffUserFactory(),
            date=datetime.date(2026, 3, 4),
            minutes=60,
            task=entry.task,
        )
    )
    assert "bills no further" in _refused(
        "UPDATE timesheets_timesheetentry SET invoice_line_id = %s WHERE id = %s",
        [entry.invoice_line_id, other.pk],
    )
    # Its description may still change (rule 21).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE timesheets_timesheetentry SET description = 'typo' WHERE id = %s", [entry.pk]
        )


def test_a_credit_note_still_frees_the_entries_it_credits(postgres_trigger):
    (posted,) = _posted()

    invoicing_services.invoice_credit(invoice=posted)

    assert not TimesheetEntry.objects.filter(invoice_line__invoice=posted).exists()
    posted.refresh_from_db()
    assert posted.payment_state == Invoice.REVERSED
    ok, out = _verify()
    assert ok, out


def test_verify_names_an_unlinked_billed_entry():
    (posted,) = _posted()
    entry = TimesheetEntry.objects.filter(invoice_line__invoice=posted).first()
    _bypass("UPDATE timesheets_timesheetentry SET invoice_line_id = NULL WHERE id = %s", [entry.pk])

    ok, out = _verify()

    assert not ok
    assert f"{posted.number}: billed entry {entry.pk} was unlinked from its line" in out


def test_truncate_is_refused(postgres_trigger):
    _posted()

    for table in ("invoicing_invoice", "timesheets_timesheetentry", "invoicing_payment"):
        assert "never truncated" in _refused(f"TRUNCATE {table} CASCADE")

    assert Invoice.objects.filter(state=Invoice.POSTED).count() == 1


def test_verify_notices_a_truncated_invoice_table(postgres_trigger):
    _posted(2)
    _bypass("TRUNCATE invoicing_invoice CASCADE")

    ok, out = _verify()

    assert not ok
    assert "INV/2026: the counter is at 2 but the last posted number is 0" in out


def test_verify_notices_the_last_invoice_of_a_series_deleted():
    invoices = _posted(3)
    last = invoices[-1]
    _bypass(
        "UPDATE timesheets_timesheetentry SET invoice_line_id = NULL WHERE invoice_line_id IN "
        "(SELECT id FROM invoicing_invoiceline WHERE invoice_id = %s)",
        [last.pk],
    )
    _bypass("DELETE FROM invoicing_invoiceline WHERE invoice_id = %s", [last.pk])
    _bypass("DELETE FROM invoicing_invoiceemail WHERE invoice_id = %s", [last.pk])
    _bypass("DELETE FROM invoicing_invoice WHERE id = %s", [last.pk])

    ok, out = _verify()

    assert not ok
    assert (
        "INV/2026: the counter is at 3 but the last posted number is 2: INV/2026/00003 missing"
    ) in out


def test_the_hash_covers_the_customer():
    first, second = _posted(2)
    _bypass(
        "UPDATE invoicing_invoice SET customer_id = %s WHERE id = %s",
        [second.customer_id, first.pk],
    )

    ok, out = _verify()

    assert not ok
    assert f"{first.number}: its content was altered" in out


def test_the_hash_covers_the_billed_entries_appendix():
    (posted,) = _posted()
    _bypass(
        "UPDATE invoicing_invoice SET appendix = %s WHERE id = %s",
        ["[]", posted.pk],
    )

    ok, out = _verify()

    assert not ok
    assert f"{posted.number}: its content was altered" in out


def test_a_rehashed_chain_does_not_hide_a_total_its_lines_no_longer_give():
    first, _second = _posted(2)
    _bypass(
        "UPDATE invoicing_invoiceline SET price_unit = 1, amount_untaxed = 5, amount_tax = 1.05,"
        " amount_total = 6.05 WHERE invoice_id = %s",
        [first.pk],
    )
    _rehash_chain()

    ok, out = _verify()

    assert "its content was altered" not in out and "the chain to the previous" not in out
    assert not ok
    assert f"{first.number}: its total {first.amount_total} does not match its lines (6.05)" in out


def test_a_kept_copy_exposes_a_rewritten_chain(tmp_path):
    first, *_ = _posted(3)
    kept = tmp_path / "billable-invoices.txt"
    ok, out = _verify()
    assert ok, out
    kept.write_text(out)
    _bypass("UPDATE invoicing_invoice SET customer_name = 'Someone else' WHERE id = %s", [first.pk])
    _rehash_chain()
    assert _verify()[0], "a consistent rewrite passes without the kept copy"

    ok, out = _verify("--kept", str(kept))

    assert not ok
    assert f"{first.number}: its hash differs from the kept copy" in out
    assert "INV/2026/00003: its hash differs from the kept copy" in out


def test_an_invoice_posted_under_the_first_formula_still_verifies():
    (posted,) = _posted()
    posted.refresh_from_db()
    posted.hash_version = 1
    old_hash = invoice_content_hash(posted, list(posted.lines.order_by("sequence", "pk")))
    _bypass(
        "UPDATE invoicing_invoice SET hash_version = 1, content_hash = %s WHERE id = %s",
        [old_hash, posted.pk],
    )

    ok, out = _verify()

    assert ok, out


def test_the_stored_e_invoices_cannot_change_and_verify_names_an_altered_one():
    (invoice,) = _posted()
    if connection.vendor == "postgresql":
        assert "never edited" in _refused(
            "UPDATE invoicing_invoice SET ubl_xml = 'x' WHERE id = %s", [invoice.pk]
        )
    _bypass("UPDATE invoicing_invoice SET ubl_xml = 'x' WHERE id = %s", [invoice.pk])
    ok, out = _verify()
    assert not ok
    assert f"{invoice.number}: its stored UBL was altered" in out
