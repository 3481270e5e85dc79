"""Draft invoices: create from an order, edit, cancel; the invoiced figure of order lines.

Lock order, everywhere in invoicing (and `sales.services`, which takes the first step):

1. an existing invoice being changed (`invoice_lock`), when the write starts from one;
2. its sale order(s), by pk (`_lock_orders`; `sales.services._lock_order` for one);
3. their order lines, by pk (`_lock_order_lines`);
4. timesheet entries, by pk, skipping locked ones.

Every write that depends on an order's state (cancel, confirm, line edits, Create
Invoice, the billing run, validation) locks the order row and reads the state again
after the lock: so Cancel and Create Invoice on one order are serialised, and the one
that comes second sees what the first did (a draft counts as invoiced, so Cancel is
refused; a cancelled order is not invoiced). Entries being changed by a timesheet
service right now are skipped (`skip_locked`), not waited for: they are billed by the
next invoice, and invoicing can never deadlock with a timesheet edit.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery, Sum

from core.errors import ConflictError
from core.history import attribute_to, history_record_created
from invoicing.models import Invoice, InvoiceLine
from invoicing.services.common import (
    ZERO,
    actor_user,
    check_amounts_fit,
    invoice_lock,
    invoice_set_totals,
    invoiced_by_sale_line,
    invoiced_quantity,
    line_amounts,
    line_set_amounts,
    parse_date,
    parse_decimal,
    require_draft,
    written_down_quantity,
)
from sales.models import (
    LINE_QUANTITY_MAX,
    PRICE_UNIT_MAX,
    SaleOrder,
    SaleOrderLine,
    Uom,
    WorkType,
)
from timesheets.models import TimesheetEntry


@dataclass
class PlannedLine:
    """What one order line would put on the next invoice."""

    sale_line: SaleOrderLine
    quantity: Decimal
    entry_ids: list[int] = field(default_factory=list)
    minutes: int = 0  # billed minutes of the entries (rule 28), not worked minutes

    @property
    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        return line_amounts(self.quantity, self.sale_line.price_unit, self.sale_line.tax_rate)

    @property
    def hours(self) -> Decimal:
        """Hours billed: the entries' billed minutes for delivered lines, the converted
        quantity otherwise."""
        uom = self.sale_line.uom
        if self.entry_ids:
            return Decimal(self.minutes) / 60
        if uom.category.name == "Working time":
            return uom.qty_to_hours(self.quantity)
        return ZERO


def invoice_period(
    *, up_to: date | None, period_start: date | None, period_end: date | None
) -> tuple[date | None, date | None]:
    """`up_to` is the end of an open period; giving both it and `period_end` is ambiguous."""
    up_to = parse_date(up_to, field="up_to") if up_to else None
    period_start = parse_date(period_start, field="period_start") if period_start else None
    period_end = parse_date(period_end, field="period_end") if period_end else None
    if up_to and period_end and up_to != period_end:
        raise ValidationError({"up_to": "Give either an end date (up to) or a period, not both."})
    end = period_end or up_to
    if period_start and end and period_start > end:
        raise ValidationError({"period_start": "The period starts after it ends."})
    return period_start, end


def billable_entries() -> QuerySet[TimesheetEntry]:
    """The entries an invoice may bill (DOMAIN.md rules 27, 28, 33): not marked
    non-billable, of a work type that is not Non-billable, not waiting for approval.

    No-charge and written-off entries (billed 0:00) are billable in this sense: the
    invoice links them, so its appendix shows them to the customer. The work types
    come from an uncorrelated `IN (SELECT ...)` over a handful of rows, evaluated once
    per statement: the entries' query joins nothing and costs no extra round trip.
    """
    work_types = WorkType.objects.exclude(billing=WorkType.NON_BILLABLE).values("pk")
    return TimesheetEntry.objects.filter(non_billable=False, work_type_id__in=work_types).exclude(
        approval_state=TimesheetEntry.TO_APPROVE
    )


def plan_lines(
    lines: list[SaleOrderLine], *, start: date | None, end: date | None, lock: bool
) -> list[PlannedLine]:
    """DOMAIN.md rules 19-20 and 28 for lines of confirmed orders (uom, order selected).

    Ordered policy: ordered - invoiced, no entries. Delivered policy: the billable
    entries (`billable_entries`) not yet billed in the period, and a quantity that
    brings invoiced up to the billed minutes of every billed entry (these included)
    summed and converted once: no rounding drift. Only lines with a positive quantity
    are planned: entries billed 0:00 on a line with nothing else to bill wait for the
    line's next invoice.
    """
    delivered_ids = [line.pk for line in lines if not line.is_prepaid]
    unbilled = billable_entries().filter(sale_line_id__in=delivered_ids, invoice_line__isnull=True)
    if start:
        unbilled = unbilled.filter(date__gte=start)
    if end:
        unbilled = unbilled.filter(date__lte=end)
    if lock:
        unbilled = unbilled.select_for_update(skip_locked=True, of=("self",))
    new_entries: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for entry_id, line_id, minutes in unbilled.order_by("pk").values_list(
        "pk", "sale_line_id", "billed_minutes"
    ):
        new_entries[line_id].append((entry_id, minutes))
    billed_minutes = dict(
        TimesheetEntry.objects.filter(sale_line_id__in=delivered_ids, invoice_line__isnull=False)
        .order_by()
        .values("sale_line_id")
        .annotate(minutes=Sum("billed_minutes"))
        .values_list("sale_line_id", "minutes")
    )
    invoiced = invoiced_by_sale_line([line.pk for line in lines])

    planned = []
    for line in lines:
        invoiced_before = invoiced.get(line.pk, ZERO)
        if line.is_prepaid:
            planned_line = PlannedLine(sale_line=line, quantity=line.quantity - invoiced_before)
        else:
            entries = new_entries.get(line.pk, [])
            minutes = sum(m for _, m in entries)
            total = (billed_minutes.get(line.pk) or 0) + minutes
            planned_line = PlannedLine(
                sale_line=line,
                quantity=line.uom.minutes_to_qty(total) - invoiced_before,
                entry_ids=[pk for pk, _ in entries],
                minutes=minutes,
            )
        if planned_line.quantity > 0:
            planned.append(planned_line)
    return planned


def _nothing_to_invoice(order: SaleOrder, start: date | None, end: date | None) -> str:
    period = ""
    if start and end:
        period = f" from {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    elif end:
        period = f" up to {end:%Y-%m-%d}"
    elif start:
        period = f" from {start:%Y-%m-%d}"
    return f"Nothing to invoice on {order}{period}: every line is invoiced already."


def invoice_create_from_order(
    *,
    order: SaleOrder,
    up_to: date | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    actor=None,
) -> Invoice:
    """One draft invoice with a line per order line that has something to invoice.

    The order is locked first and its state read again, then its lines (by pk): so
    concurrent invoicing of one order is serialised and bills every entry exactly once,
    and a concurrent Cancel either comes first (this is refused) or waits and sees the
    draft (it is refused).
    """
    start, end = invoice_period(up_to=up_to, period_start=period_start, period_end=period_end)
    with transaction.atomic():
        orders = _lock_orders([order.pk])
        if order.pk not in orders:
            raise ValidationError("This order does not exist (any more).")
        order = orders[order.pk]
        lines = _lock_order_lines([order.pk], orders=orders)
        if order.state != SaleOrder.SALE:
            raise ConflictError(
                f"{order} is {order.get_state_display().lower()}: "
                "only confirmed sale orders are invoiced."
            )
        planned = plan_lines(lines, start=start, end=end, lock=True)
        if not planned:
            raise ValidationError(_nothing_to_invoice(order, start, end))
        (invoice,) = _create_drafts(planned, start=start, end=end, actor=actor)
    return invoice


def invoices_create_from_orders(
    *, order_ids, start: date | None, end: date | None, actor=None
) -> list[Invoice]:
    """A draft per given order that is confirmed and has something to invoice in the
    period, set-based and in one transaction (the billing run's batches): a fixed
    number of queries per batch, whatever its size. Other orders are skipped.

    The orders are locked (by pk) and their state read under the lock, as
    `invoice_create_from_order` does, so an order cancelled meanwhile is skipped."""
    with transaction.atomic():
        orders = _lock_orders(order_ids)
        confirmed = [pk for pk, order in orders.items() if order.state == SaleOrder.SALE]
        lines = _lock_order_lines(confirmed, orders=orders)
        planned = plan_lines(lines, start=start, end=end, lock=True)
        if not planned:
            return []
        return _create_drafts(planned, start=start, end=end, actor=actor)


def _lock_orders(order_ids) -> dict[int, SaleOrder]:
    """The orders under a row lock, taken in pk order (step 2 of the lock order), by pk.

    Their state is the one to decide on: it cannot change until this transaction ends.
    """
    orders = SaleOrder.objects.select_for_update().filter(pk__in=list(order_ids)).order_by("pk")
    return {order.pk: order for order in orders}


def _lock_order_lines(order_ids, *, orders: dict[int, SaleOrder]) -> list[SaleOrderLine]:
    """The lines of these (locked) orders under a row lock, in pk order (step 3), with
    their order and unit (units from one small query, not joined per line)."""
    if not order_ids:
        return []
    lines = list(
        SaleOrderLine.objects.select_for_update()
        .filter(order_id__in=list(order_ids))
        .order_by("pk")
    )
    uoms = Uom.objects.select_related("category").in_bulk({line.uom_id for line in lines})
    for line in lines:
        line.order = orders[line.order_id]
        line.uom = uoms[line.uom_id]
    return lines


# Entries linked per UPDATE: bounded so the statement stays under the parameter limits
# of PostgreSQL (65,535) and SQLite (32,766).
LINK_CHUNK = 10_000


def _create_drafts(
    planned: list[PlannedLine], *, start: date | None, end: date | None, actor
) -> list[Invoice]:
    """Drafts for planned lines of locked order lines: one invoice per order, in bulk.

    Inserts invoices (with their history rows) and invoice lines in bulk, links the
    planned entries with one UPDATE per chunk, then writes the lines' invoiced figure.
    """
    by_order: dict[int, list[PlannedLine]] = defaultdict(list)
    for plan in planned:
        by_order[plan.sale_line.order_id].append(plan)
    user = actor_user(actor)
    currency = getattr(settings, "CURRENCY", "EUR")

    invoices, lines_of = [], []
    for order_id in sorted(by_order):
        plans = by_order[order_id]
        order = plans[0].sale_line.order
        lines = []
        for index, plan in enumerate(plans, start=1):
            sale_line = plan.sale_line
            untaxed, tax, total = plan.amounts
            lines.append(
                InvoiceLine(
                    sequence=index * 10,
                    sale_line=sale_line,
                    description=sale_line.description,
                    quantity=plan.quantity,
                    uom=sale_line.uom,
                    uom_name=sale_line.uom.name,
                    uom_code=sale_line.uom.unece_code,
                    price_unit=sale_line.price_unit,
                    # The order line's VAT as rule 43 set it (sales.vat.line_vat).
                    tax_rate=sale_line.tax_rate,
                    vat_category=sale_line.vat_category,
                    vat_exemption_reason=sale_line.vat_exemption_reason,
                    amount_untaxed=untaxed,
                    amount_tax=tax,
                    amount_total=total,
                )
            )
        invoice = Invoice(
            customer_id=order.customer_id,
            sale_order_id=order.pk,
            period_start=start,
            period_end=end,
            currency=currency,
            created_by=user,
        )
        invoice_set_totals(invoice, lines)
        check_amounts_fit(invoice, lines, what=f"the invoice of {order}")
        invoices.append(invoice)
        lines_of.append(lines)

    invoices = Invoice.objects.bulk_create(invoices)
    history_record_created(Invoice, [invoice.pk for invoice in invoices], user=user)
    invoice_lines = []
    for invoice, lines in zip(invoices, lines_of, strict=True):
        for line in lines:
            line.invoice = invoice
            invoice_lines.append(line)
    invoice_lines = InvoiceLine.objects.bulk_create(invoice_lines)

    # Each order line has at most one new invoice line, so an entry's new invoice line
    # is found by its order line: one UPDATE per chunk of entries, not one per line.
    new_line_ids = [line.pk for line in invoice_lines]
    # In pk order: each chunk then touches neighbouring table pages, not the whole table.
    entry_ids = sorted(pk for plan in planned for pk in plan.entry_ids)
    for offset in range(0, len(entry_ids), LINK_CHUNK):
        TimesheetEntry.objects.filter(pk__in=entry_ids[offset : offset + LINK_CHUNK]).update(
            invoice_line=Subquery(
                InvoiceLine.objects.filter(
                    pk__in=new_line_ids, sale_line_id=OuterRef("sale_line_id")
                ).values("pk")[:1]
            )
        )
    sale_lines_recompute_invoiced(line_ids=[plan.sale_line.pk for plan in planned])
    return invoices


def sale_lines_recompute_invoiced(*, line_ids) -> None:
    """Write `qty_invoiced` (rule 15 as rule 31 refines it) and `qty_written_down` of
    these order lines from their invoice lines, under a lock on the lines, in one
    set-based UPDATE: idempotent, so it also heals a wrong figure."""
    line_ids = sorted({int(pk) for pk in line_ids if pk is not None})
    if not line_ids:
        return
    # No savepoint of its own: every caller is one transaction that fails whole.
    with transaction.atomic(savepoint=False):
        # Lock in pk order first (the lock order everywhere); an UPDATE alone would lock
        # in whatever order its plan visits the rows.
        list(
            SaleOrderLine.objects.select_for_update()
            .filter(pk__in=line_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        SaleOrderLine.objects.filter(pk__in=line_ids).update(
            qty_invoiced=invoiced_quantity(), qty_written_down=written_down_quantity()
        )


def invoice_cancel(*, invoice: Invoice, actor=None) -> Invoice:
    """Cancel a draft: its entries are freed for the next invoice (rule 22)."""
    with transaction.atomic():
        invoice = invoice_lock(invoice_id=invoice.pk)
        require_draft(invoice, action="cancelled")
        TimesheetEntry.objects.filter(invoice_line__invoice=invoice).update(invoice_line=None)
        invoice.state = Invoice.CANCEL
        attribute_to(invoice, actor)
        invoice.save(update_fields=["state", "updated_at"])
        sale_lines_recompute_invoiced(line_ids=invoice.lines.values_list("sale_line_id", flat=True))
    return invoice


def _draft_line_for_change(line: InvoiceLine, *, action: str) -> tuple[Invoice, InvoiceLine]:
    invoice = invoice_lock(invoice_id=line.invoice_id)
    require_draft(invoice, action=action)
    try:
        return invoice, InvoiceLine.objects.select_related("uom", "sale_line__uom").get(pk=line.pk)
    except InvoiceLine.DoesNotExist:
        raise ValidationError("This invoice line does not exist (any more).") from None


def _invoice_save_totals(invoice: Invoice) -> None:
    invoice_set_totals(invoice, invoice.lines.all())
    invoice.save(
        update_fields=["amount_untaxed", "amount_tax", "amount_total", "amount_due", "updated_at"]
    )


def _made_by_entries(line: InvoiceLine) -> Decimal | None:
    """What the entries a Delivered-policy draft line bills make of it (rule 20): the
    billed minutes of every entry billed on the order line, converted once, minus what
    the order line's other invoice lines account for. None for a line billing no
    entries (prepaid, or a Delivered line without entries)."""
    sale_line = line.sale_line
    if sale_line is None or sale_line.is_prepaid:
        return None
    if not TimesheetEntry.objects.filter(invoice_line=line).exists():
        return None
    billed = TimesheetEntry.objects.filter(
        sale_line_id=sale_line.pk, invoice_line__isnull=False
    ).aggregate(total=Sum("billed_minutes"))["total"]
    others = invoiced_by_sale_line([sale_line.pk]).get(sale_line.pk, ZERO) - (
        line.quantity + line.qty_written_down
    )
    return sale_line.uom.minutes_to_qty(billed or 0) - others


def invoice_line_update(
    *,
    line: InvoiceLine,
    quantity=None,
    price_unit=None,
    description: str | None = None,
) -> InvoiceLine:
    """Edit a line of a draft.

    On a Delivered-policy line billing entries, what its entries make of it stays
    invoiced (`_made_by_entries`, normally quantity + written down): a lower quantity
    writes the difference down (rule 31; it counts as Written down once the invoice is
    posted, and is never billed again); a higher one first takes back what was written
    down, then bills more than the entries made. Give a lower price for a discount
    instead. On other lines a lower quantity leaves the difference to invoice (rule 16).
    """
    with transaction.atomic():
        invoice, line = _draft_line_for_change(line, action="edited")
        old_quantity, old_written_down = line.quantity, line.qty_written_down
        if quantity is not None:
            quantity = parse_decimal(quantity, field="quantity", label="quantity")
            if quantity <= 0:
                raise ValidationError(
                    {"quantity": "The quantity must be more than 0; delete the line instead."}
                )
            if quantity > LINE_QUANTITY_MAX:
                raise ValidationError(
                    {"quantity": f"A line's quantity is at most {LINE_QUANTITY_MAX:,}."}
                )
            made = _made_by_entries(line) if quantity != old_quantity else None
            if made is not None:
                line.qty_written_down = max(made - quantity, ZERO).quantize(Decimal("0.01"))
            line.quantity = quantity
        if price_unit is not None:
            price_unit = parse_decimal(price_unit, field="price_unit", label="unit price")
            if price_unit < 0:
                raise ValidationError({"price_unit": "The unit price cannot be negative."})
            if price_unit > PRICE_UNIT_MAX:
                raise ValidationError(
                    {"price_unit": f"A unit price is at most {PRICE_UNIT_MAX:,}."}
                )
            line.price_unit = price_unit
        if description is not None:
            if not str(description).strip():
                raise ValidationError({"description": "Describe what this line bills."})
            line.description = str(description)
        line_set_amounts(line)
        invoice_set_totals(invoice, [*invoice.lines.exclude(pk=line.pk), line])
        check_amounts_fit(invoice, [line], what=str(invoice))
        line.full_clean(exclude=["invoice", "uom", "sale_line", "reversed_line"])
        line.save()
        _invoice_save_totals(invoice)
        made_before = old_quantity + old_written_down
        if line.quantity + line.qty_written_down != made_before and line.sale_line_id:
            sale_lines_recompute_invoiced(line_ids=[line.sale_line_id])
    return line


def invoice_line_delete(*, line: InvoiceLine) -> None:
    """Remove a line from a draft; its entries are freed for the next invoice (rule 22)."""
    with transaction.atomic():
        invoice, line = _draft_line_for_change(line, action="edited")
        TimesheetEntry.objects.filter(invoice_line=line).update(invoice_line=None)
        sale_line_id = line.sale_line_id
        line.delete()
        _invoice_save_totals(invoice)
        sale_lines_recompute_invoiced(line_ids=[sale_line_id])
