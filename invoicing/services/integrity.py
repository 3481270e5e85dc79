"""Inalterability: each posted document's hash, chained to the previous one of its series.

`invoice_content_hash` (posting) hashes the frozen content of a posted invoice or credit
note together with the hash of the previous number of the same series and year.
Re-computing the chain from the stored rows names every document whose content,
or whose place in the chain, was altered after posting.
"""

from dataclasses import dataclass

from invoicing.models import Invoice
from invoicing.services.posting import invoice_content_hash


@dataclass(frozen=True)
class IntegrityProblem:
    number: str
    reason: str

    def __str__(self) -> str:
        return f"{self.number}: {self.reason}"


def invoices_verify() -> list[IntegrityProblem]:
    problems: list[IntegrityProblem] = []
    posted = (
        Invoice.objects.filter(state=Invoice.POSTED)
        .prefetch_related("lines__uom")
        .order_by("move_type", "sequence_year", "sequence_number")
    )
    previous_hash: dict[tuple[str, int], str] = {}
    expected_number: dict[tuple[str, int], int] = {}
    for invoice in posted.iterator(chunk_size=500):
        series = (invoice.move_type, invoice.sequence_year)
        expected = expected_number.get(series, 1)
        if invoice.sequence_number != expected:
            problems.append(
                IntegrityProblem(invoice.number, f"number {expected} of the series is missing")
            )
        expected_number[series] = (invoice.sequence_number or 0) + 1
        if invoice.previous_hash != previous_hash.get(series, ""):
            problems.append(IntegrityProblem(invoice.number, "the chain to the previous is broken"))
        lines = sorted(invoice.lines.all(), key=lambda line: (line.sequence, line.pk))
        if invoice_content_hash(invoice, lines) != invoice.content_hash:
            problems.append(IntegrityProblem(invoice.number, "its content was altered"))
        previous_hash[series] = invoice.content_hash
    return problems
