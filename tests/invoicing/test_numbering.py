"""Gapless numbers per year (DOMAIN.md rule 23), including under concurrency on PostgreSQL."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from core.errors import ConflictError
from core.models import Sequence
from invoicing.models import Invoice
from invoicing.services import (
    invoice_create_from_order,
    invoice_credit,
    invoice_validate,
    payment_register,
)
from sales.models import SaleOrderLine
from tests.builders import day
from tests.threads import run_together
from timesheets.models import TimesheetEntry

D = Decimal


def _drafts(make_line, log, count: int) -> list[Invoice]:
    drafts = []
    for _ in range(count):
        line = make_line()
        log(line, minutes=30)
        drafts.append(invoice_create_from_order(order=line.order))
    return drafts


def _run_in_threads(target, args_list) -> list:
    """Start every thread at once; each returns ("ok", value) or ("error", exception)."""
    results = run_together([lambda args=args: target(*args) for args in args_list])
    return [("error", r) if isinstance(r, Exception) else ("ok", r) for r in results]


@pytest.mark.django_db
def test_numbers_follow_each_other_and_credit_notes_have_their_own_series(make_line, log):
    first, second = _drafts(make_line, log, 2)
    first = invoice_validate(invoice=first, invoice_date=day(1))
    second = invoice_validate(invoice=second, invoice_date=day(1))
    note = invoice_credit(invoice=first)
    assert [first.number, second.number] == ["INV/2026/00001", "INV/2026/00002"]
    assert note.number == f"RINV/{note.invoice_date.year}/00001"
    assert second.previous_hash == first.content_hash


@pytest.mark.django_db
def test_a_rollback_after_taking_a_number_leaves_no_gap(make_line, log):
    first, second = _drafts(make_line, log, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_validate(invoice=first, invoice_date=day(1))
        raise RuntimeError("the request failed after validation")
    first.refresh_from_db()
    assert first.state == Invoice.DRAFT and first.number is None

    assert invoice_validate(invoice=second, invoice_date=day(1)).number == "INV/2026/00001"
    assert invoice_validate(invoice=first, invoice_date=day(1)).number == "INV/2026/00002"


@pytest.mark.django_db
def test_the_year_boundary_starts_a_new_series_at_1(make_line, log, monkeypatch):
    december, january, later = _drafts(make_line, log, 3)
    # An invoice is never dated after today (rule 34): run on the 2nd of January 2027.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: datetime.date(2027, 1, 2)
    )
    assert (
        invoice_validate(invoice=december, invoice_date=datetime.date(2026, 12, 31)).number
        == "INV/2026/00001"
    )
    assert (
        invoice_validate(invoice=january, invoice_date=datetime.date(2027, 1, 1)).number
        == "INV/2027/00001"
    )
    assert (
        invoice_validate(invoice=later, invoice_date=datetime.date(2027, 1, 2)).number
        == "INV/2027/00002"
    )


@pytest.mark.django_db(transaction=True)
def test_30_threads_validating_30_drafts_get_numbers_1_to_30(
    postgres_only, settings, make_line, log
):
    settings.INVOICE_PDF_ON_VALIDATE = False
    drafts = _drafts(make_line, log, 30)

    results = _run_in_threads(
        lambda pk: (
            invoice_validate(invoice=Invoice.objects.get(pk=pk), invoice_date=day(10)).number
        ),
        [(draft.pk,) for draft in drafts],
    )

    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(number for _, number in results)
    assert numbers == [f"INV/2026/{n:05d}" for n in range(1, 31)]
    assert Sequence.objects.get(code="INV", year=2026).last_number == 30


@pytest.mark.django_db(transaction=True)
def test_10_threads_validating_one_draft_one_wins_nine_are_told_it_is_validated(
    postgres_only, settings, make_line, log
):
    settings.INVOICE_PDF_ON_VALIDATE = False
    (draft,) = _drafts(make_line, log, 1)

    results = _run_in_threads(
        lambda: invoice_validate(invoice=Invoice.objects.get(pk=draft.pk), invoice_date=day(10)),
        [()] * 10,
    )

    wins = [value for kind, value in results if kind == "ok"]
    errors = [value for kind, value in results if kind == "error"]
    assert len(wins) == 1 and wins[0].number == "INV/2026/00001"
    assert len(errors) == 9
    assert all(isinstance(e, ConflictError) for e in errors)
    assert all("already validated" in e.messages[0] for e in errors)
    assert Sequence.objects.get(code="INV", year=2026).last_number == 1


@pytest.mark.django_db(transaction=True)
def test_5_threads_invoicing_one_order_bill_each_entry_once(postgres_only, make_line, log):
    line = make_line(unit="Days", price="800", quantity="10")
    for n in range(1, 8):
        log(line, minutes=25 + n * 37, date=day(n))

    results = _run_in_threads(lambda: invoice_create_from_order(order=line.order), [()] * 5)

    created = [value for kind, value in results if kind == "ok"]
    refused = [value for kind, value in results if kind == "error"]
    assert len(created) == 1, results
    assert all("Nothing to invoice" in e.messages[0] for e in refused)
    line = SaleOrderLine.objects.get(pk=line.pk)
    assert not TimesheetEntry.objects.filter(sale_line=line, invoice_line__isnull=True).exists()
    assert line.qty_invoiced == line.qty_delivered
    assert sum(i.amount_untaxed for i in created) == (line.qty_delivered * 800).quantize(D("0.01"))


@pytest.mark.django_db(transaction=True)
def test_5_threads_invoicing_one_order_while_time_is_logged_bill_each_entry_once(
    postgres_only, make_line, log
):
    line = make_line(unit="Days", price="800", quantity="10")
    log(line, minutes=45, date=day(1))

    def invoice_or_log(index):
        if index % 2:
            return log(line, minutes=20 + index, date=day(index + 1))
        return invoice_create_from_order(order=line.order)

    results = _run_in_threads(invoice_or_log, [(i,) for i in range(10)])
    errors = [value for kind, value in results if kind == "error"]
    assert all("Nothing to invoice" in e.messages[0] for e in errors), errors
    with contextlib.suppress(ValidationError):
        invoice_create_from_order(order=line.order)  # what was logged after the last invoice

    line = SaleOrderLine.objects.get(pk=line.pk)
    billed = TimesheetEntry.objects.filter(sale_line=line, invoice_line__isnull=False)
    assert billed.count() == TimesheetEntry.objects.filter(sale_line=line).count()
    assert line.qty_invoiced == line.qty_delivered


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_never_overpay(postgres_only, settings, make_line, log):
    settings.INVOICE_PDF_ON_VALIDATE = False
    line = make_line(price="100", tax="0")
    log(line, hours=10)
    invoice = invoice_validate(invoice=invoice_create_from_order(order=line.order))

    # Five different payments (references): the same one twice would be recorded once.
    results = _run_in_threads(
        lambda n: payment_register(
            invoice=Invoice.objects.get(pk=invoice.pk),
            amount="300",
            date=day(2),
            reference=f"TX-{n}",
        ),
        [(n,) for n in range(5)],
    )

    assert [kind for kind, _ in results].count("ok") == 3
    refused = [value for kind, value in results if kind == "error"]
    assert all("Overpayment" in e.messages[0] for e in refused)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_due) == (D("900.00"), D("100.00"))
