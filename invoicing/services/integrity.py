"""Inalterability: each posted document's hash, chained to the previous one of its series.

`invoice_content_hash` (posting) hashes the frozen content of a posted invoice or credit
note together with the hash of the previous number of the same series and year.
`invoices_audit` re-computes the chain from the stored rows and names every document
whose content, or whose place in the chain, was altered after posting. Since someone
who can switch the database's triggers off can also re-compute a whole chain, it also
checks what a chain cannot prove by itself:

- the series' counter (core.sequences): deleting the last number, or every number, of a
  series leaves the counter ahead of the last posted number;
- totals against lines: each line's amounts against its quantity, price and tax, the
  invoice's totals against its lines (a re-hashed chain keeps a total its lines no
  longer give);
- payment figures against payments and posted credit notes (`payments.invoice_figures`);
- billed entries against the frozen appendix: each entry an invoice bills is still
  linked to its line with the same worked and billed minutes, unless a posted reversal
  freed it (a write-down frees nothing), and no other entry is linked to it (an
  unlinked entry would be billed again);
- a kept copy of the first and last hash of each series (`SeriesHead`, printed by
  `verify_invoices` and written beside each backup by scripts/backup.sh): a rewritten
  chain gives other hashes for numbers the copy recorded.
"""

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from core.models import Sequence
from invoicing.models import Invoice, InvoiceLine
from invoicing.services.common import ZERO, line_amounts
from invoicing.services.payments import (
    credit_note_figures,
    credited_by_invoice,
    invoice_figures,
    paid_by_invoice,
)
from invoicing.services.posting import SEQUENCE_CODES, invoice_content_hash
from timesheets.models import TimesheetEntry

CHUNK = 500
# Ids per `IN (...)`: under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
IDS_PER_QUERY = 10_000


@dataclass(frozen=True)
class IntegrityProblem:
    number: str
    reason: str

    def __str__(self) -> str:
        return f"{self.number}: {self.reason}"


_HEAD = re.compile(
    r"^series (?P<series>\S+) count=(?P<count>\d+) "
    r"first=(?P<first_number>\S+):(?P<first_hash>[0-9a-f]{64}) "
    r"last=(?P<last_number>\S+):(?P<last_hash>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class SeriesHead:
    """First and last posted number of a series and their hashes: keep a copy away from
    the database (the backup does); a later chain must give the same hashes for them."""

    series: str
    count: int
    first_number: str
    first_hash: str
    last_number: str
    last_hash: str

    def __str__(self) -> str:
        return (
            f"series {self.series} count={self.count} "
            f"first={self.first_number}:{self.first_hash} "
            f"last={self.last_number}:{self.last_hash}"
        )

    @classmethod
    def parse_lines(cls, lines: Iterable[str]) -> list["SeriesHead"]:
        """The heads in a kept `verify_invoices` output; other lines are ignored."""
        heads = []
        for line in lines:
            match = _HEAD.match(line.strip())
            if match:
                values = match.groupdict()
                heads.append(cls(**{**values, "count": int(values["count"])}))
        return heads


@dataclass
class InvoiceAudit:
    problems: list[IntegrityProblem] = field(default_factory=list)
    series: list[SeriesHead] = field(default_factory=list)


def invoices_verify() -> list[IntegrityProblem]:
    return invoices_audit().problems


def invoices_audit(*, kept: Iterable[SeriesHead] = ()) -> InvoiceAudit:
    """Every check of the module docstring over every posted document, set-based per
    chunk of invoices; `kept`: series heads of an earlier run to compare with."""
    audit = InvoiceAudit()
    problems = audit.problems
    posted_ids = list(
        Invoice.objects.filter(state=Invoice.POSTED)
        .order_by("move_type", "sequence_year", "sequence_number", "pk")
        .values_list("pk", flat=True)
    )
    previous_hash: dict[tuple[str, int], str] = {}
    expected_number: dict[tuple[str, int], int] = {}
    heads: dict[tuple[str, int], list] = {}
    for offset in range(0, len(posted_ids), CHUNK):
        chunk = posted_ids[offset : offset + CHUNK]
        invoices = Invoice.objects.filter(pk__in=chunk).prefetch_related("lines").in_bulk()
        context = _ChunkContext.load([invoices[pk] for pk in chunk])
        for pk in chunk:
            invoice = invoices[pk]
            series = (invoice.move_type, invoice.sequence_year)
            expected = expected_number.get(series, 1)
            if invoice.sequence_number != expected:
                problems.append(
                    IntegrityProblem(invoice.number, f"number {expected} of the series is missing")
                )
            expected_number[series] = (invoice.sequence_number or 0) + 1
            if invoice.previous_hash != previous_hash.get(series, ""):
                problems.append(
                    IntegrityProblem(invoice.number, "the chain to the previous is broken")
                )
            lines = sorted(invoice.lines.all(), key=lambda line: (line.sequence, line.pk))
            if invoice_content_hash(invoice, lines) != invoice.content_hash:
                problems.append(IntegrityProblem(invoice.number, "its content was altered"))
            previous_hash[series] = invoice.content_hash
            problems += _amount_problems(invoice, lines)
            problems += _document_problems(invoice)
            problems += _payment_problems(invoice, lines, context)
            problems += _entry_problems(invoice, lines, context)
            head = heads.setdefault(series, [0, invoice, invoice])
            head[0] += 1
            head[2] = invoice
    problems += _counter_problems(
        {series: head[2].sequence_number or 0 for series, head in heads.items()}
    )
    audit.series = [
        SeriesHead(
            series=_series_name(*series),
            count=count,
            first_number=first.number,
            first_hash=first.content_hash,
            last_number=last.number,
            last_hash=last.content_hash,
        )
        for series, (count, first, last) in heads.items()
    ]
    problems += _kept_problems(list(kept))
    return audit


def _series_name(move_type: str, year: int | None) -> str:
    return f"{SEQUENCE_CODES[move_type]}/{year}"


@dataclass
class _ChunkContext:
    """What the checks of one chunk of posted invoices need, a few queries per chunk."""

    paid: dict[int, Decimal]
    credited: dict[int, Decimal]
    credited_lines: set[int]
    # entry id -> (invoice line id, worked minutes, billed minutes)
    entries: dict[int, tuple[int | None, int, int]]
    linked: dict[int, list[int]]  # invoice line id -> entry ids linked to it

    @classmethod
    def load(cls, invoices: list[Invoice]) -> "_ChunkContext":
        ids = [invoice.pk for invoice in invoices]
        customer_ids = [i.pk for i in invoices if i.move_type == Invoice.INVOICE]
        line_ids = [
            line.pk
            for invoice in invoices
            if invoice.move_type == Invoice.INVOICE
            for line in invoice.lines.all()
        ]
        appendix_ids = sorted(
            {
                row["entry"]
                for invoice in invoices
                if invoice.move_type == Invoice.INVOICE
                for row in invoice.appendix or ()
                if isinstance(row, dict) and isinstance(row.get("entry"), int)
            }
        )
        entries: dict[int, tuple[int | None, int, int]] = {}
        linked: dict[int, list[int]] = defaultdict(list)
        rows = []
        for part in _parts(appendix_ids):
            rows += TimesheetEntry.objects.filter(pk__in=part).values_list(
                "pk", "invoice_line_id", "minutes", "billed_minutes"
            )
        for part in _parts(line_ids):
            rows += TimesheetEntry.objects.filter(invoice_line_id__in=part).values_list(
                "pk", "invoice_line_id", "minutes", "billed_minutes"
            )
        for pk, line_id, minutes, billed in rows:
            entries[pk] = (line_id, minutes, billed)
        for pk, (line_id, _minutes, _billed) in entries.items():
            if line_id is not None:
                linked[line_id].append(pk)
        return cls(
            paid=paid_by_invoice(ids),
            credited=credited_by_invoice(customer_ids),
            credited_lines=set(
                # Reversals only: a write-down leaves its line's entries billed (rule 31).
                InvoiceLine.objects.filter(
                    reversed_line__invoice_id__in=customer_ids,
                    invoice__state=Invoice.POSTED,
                    invoice__move_type=Invoice.CREDIT_NOTE,
                )
                .exclude(credit_mode=InvoiceLine.WRITE_DOWN)
                .values_list("reversed_line_id", flat=True)
            ),
            entries=entries,
            linked=linked,
        )


def _parts(ids: list[int]) -> Iterable[list[int]]:
    for offset in range(0, len(ids), IDS_PER_QUERY):
        yield ids[offset : offset + IDS_PER_QUERY]


def _amount_problems(invoice: Invoice, lines: list[InvoiceLine]) -> list[IntegrityProblem]:
    problems = []
    for position, line in enumerate(lines, start=1):
        expected = line_amounts(line.quantity, line.price_unit, line.tax_rate)
        if (line.amount_untaxed, line.amount_tax, line.amount_total) != expected:
            problems.append(
                IntegrityProblem(
                    invoice.number,
                    f"line {position} amounts {line.amount_untaxed} + {line.amount_tax} do not "
                    f"match its quantity, price and tax ({expected[0]} + {expected[1]})",
                )
            )
    untaxed = sum((line.amount_untaxed for line in lines), ZERO)
    tax = sum((line.amount_tax for line in lines), ZERO)
    if (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) != (
        untaxed,
        tax,
        untaxed + tax,
    ):
        problems.append(
            IntegrityProblem(
                invoice.number,
                f"its total {invoice.amount_total} does not match its lines ({untaxed + tax})",
            )
        )
    return problems


def _document_problems(invoice: Invoice) -> list[IntegrityProblem]:
    """The stored e-invoices (and the stored PDF, once rendered) are the ones whose
    hashes posting kept: the content hash covers the XML hashes (formula 3)."""
    problems = []
    for label, text, digest in (
        ("UBL", invoice.ubl_xml, invoice.ubl_sha256),
        ("CII", invoice.cii_xml, invoice.cii_sha256),
    ):
        if (text or digest) and hashlib.sha256(text.encode()).hexdigest() != digest:
            problems.append(IntegrityProblem(invoice.number, f"its stored {label} was altered"))
    if invoice.pdf and invoice.pdf_sha256:
        try:
            with invoice.pdf.open("rb") as stored:
                content = stored.read()
        except OSError:
            return problems  # a missing PDF is rendered again from the frozen copy
        if hashlib.sha256(content).hexdigest() != invoice.pdf_sha256:
            problems.append(IntegrityProblem(invoice.number, "its stored PDF was altered"))
    return problems


def _payment_problems(
    invoice: Invoice, lines: list[InvoiceLine], context: _ChunkContext
) -> list[IntegrityProblem]:
    stored = (invoice.amount_paid, invoice.amount_due, invoice.payment_state)
    if invoice.move_type == Invoice.CREDIT_NOTE:
        # Its payments are refunds; what it neither settled nor refunded is still owed.
        refunded = context.paid.get(invoice.pk, ZERO)
        settled = invoice.amount_total - refunded - invoice.amount_due
        _, state = credit_note_figures(
            total=invoice.amount_total, settled=settled, refunded=refunded
        )
        consistent = (
            invoice.amount_paid == refunded
            and invoice.amount_due >= 0
            and ZERO <= settled <= invoice.amount_total
            and invoice.payment_state == state
        )
        if consistent:
            return []
        return [IntegrityProblem(invoice.number, "its payment status does not match its amounts")]
    paid = context.paid.get(invoice.pk, ZERO)
    line_ids = {line.pk for line in lines}
    due, state = invoice_figures(
        total=invoice.amount_total,
        paid=paid,
        credited=context.credited.get(invoice.pk, ZERO),
        fully_credited=bool(line_ids) and line_ids <= context.credited_lines,
    )
    if stored == (paid, due, state):
        return []
    label = dict(Invoice.PAYMENT_STATE_CHOICES)
    return [
        IntegrityProblem(
            invoice.number,
            f"its payment status ({label.get(stored[2], stored[2])}, paid {stored[0]}, due "
            f"{stored[1]}) does not match its payments and credit notes ({label[state]}, "
            f"paid {paid}, due {due})",
        )
    ]


def _entry_problems(
    invoice: Invoice, lines: list[InvoiceLine], context: _ChunkContext
) -> list[IntegrityProblem]:
    """The frozen appendix against the entries' links (DOMAIN.md rules 20, 21, 24)."""
    if invoice.move_type != Invoice.INVOICE:
        return []  # a credit note frees its entries by design
    problems = []
    line_ids = {line.pk for line in lines}
    listed = set()
    for row in invoice.appendix or ():
        if not isinstance(row, dict) or not isinstance(row.get("entry"), int):
            continue
        entry_id, line_id = row["entry"], row.get("line")
        listed.add(entry_id)
        if line_id in context.credited_lines:
            continue  # freed by a posted credit note; it may be billed again
        if entry_id not in context.entries:
            problems.append(IntegrityProblem(invoice.number, f"billed entry {entry_id} is gone"))
            continue
        linked_to, minutes, billed = context.entries[entry_id]
        if linked_to is None:
            problems.append(
                IntegrityProblem(
                    invoice.number,
                    f"billed entry {entry_id} was unlinked from its line: it would be billed again",
                )
            )
        elif linked_to != line_id:
            problems.append(
                IntegrityProblem(
                    invoice.number, f"billed entry {entry_id} is linked to another invoice line"
                )
            )
        elif minutes != row.get("minutes"):
            problems.append(
                IntegrityProblem(
                    invoice.number,
                    f"billed entry {entry_id} has {minutes} minutes, "
                    f"its appendix says {row.get('minutes')}",
                )
            )
        elif "billed_minutes" in row and billed != row["billed_minutes"]:
            # Rows frozen before billed minutes (rule 28) do not say; newer ones do.
            problems.append(
                IntegrityProblem(
                    invoice.number,
                    f"billed entry {entry_id} bills {billed} minutes, "
                    f"its appendix says {row['billed_minutes']}",
                )
            )
    for line_id in sorted(line_ids):
        for entry_id in sorted(context.linked.get(line_id, ())):
            if entry_id not in listed:
                problems.append(
                    IntegrityProblem(
                        invoice.number,
                        f"entry {entry_id} is linked to it but not in its frozen appendix",
                    )
                )
    return problems


def _counter_problems(last_posted: dict[tuple[str, int], int]) -> list[IntegrityProblem]:
    """Each series' counter against its last posted number: equal, since a number is
    taken in the posting's transaction and a posted document is never deleted."""
    problems = []
    codes = {code: move_type for move_type, code in SEQUENCE_CODES.items()}
    counters = {
        (codes[code], year): last
        for code, year, last in Sequence.objects.filter(code__in=list(codes)).values_list(
            "code", "year", "last_number"
        )
    }
    for series in sorted(set(counters) | set(last_posted), key=lambda s: (s[0], s[1] or 0)):
        counter, last = counters.get(series, 0), last_posted.get(series, 0)
        if counter == last:
            continue
        name = _series_name(*series)
        if counter > last:
            missing = f"{name}/{last + 1:05d}" + (
                f" to {name}/{counter:05d}" if counter > last + 1 else ""
            )
            reason = (
                f"the counter is at {counter} but the last posted number is {last}: "
                f"{missing} missing"
            )
        else:
            reason = f"the counter is at {counter} but number {last} is posted"
        problems.append(IntegrityProblem(name, reason))
    return problems


def _kept_problems(kept: list[SeriesHead]) -> list[IntegrityProblem]:
    """Numbers a kept copy recorded must still be posted with the same hash."""
    numbers = {n for head in kept for n in (head.first_number, head.last_number)}
    current = dict(
        Invoice.objects.filter(number__in=numbers, state=Invoice.POSTED).values_list(
            "number", "content_hash"
        )
    )
    problems = []
    for head in kept:
        recorded = {head.first_number: head.first_hash, head.last_number: head.last_hash}
        for number, kept_hash in recorded.items():
            if number not in current:
                problems.append(IntegrityProblem(number, "recorded in the kept copy, now missing"))
            elif current[number] != kept_hash:
                problems.append(
                    IntegrityProblem(
                        number,
                        "its hash differs from the kept copy: the chain was rewritten",
                    )
                )
    return problems
