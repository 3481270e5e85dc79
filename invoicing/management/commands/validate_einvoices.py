"""`manage.py validate_einvoices [--since DATE]`: the official EN 16931 check (DOMAIN.md
rule 45) run over the e-invoices stored at posting, as the tests run it on new ones."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from invoicing.einvoice.validation import validate_xml
from invoicing.models import Invoice

FATAL = "fatal"


def _syntaxes(invoice: Invoice) -> list[tuple[str, str, str]]:
    """(label, syntax, xml) of each e-invoice the invoice has stored."""
    ubl = "ubl-creditnote" if invoice.is_credit_note else "ubl-invoice"
    documents = [("UBL", ubl, invoice.ubl_xml), ("CII", "cii", invoice.cii_xml)]
    return [(label, syntax, xml) for label, syntax, xml in documents if xml]


class Command(BaseCommand):
    help = (
        "Validate the stored UBL and CII of every posted invoice and credit note against "
        "the EN 16931 XSD and CEN schematron (offline); print each fatal failure with its "
        "rule id, and exit non-zero if any document fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            metavar="DATE",
            help="only invoices dated on or after DATE (YYYY-MM-DD)",
        )

    def handle(self, *args, since: date | None, **options):
        invoices = (
            Invoice.objects.filter(state=Invoice.POSTED)
            .exclude(ubl_xml="", cii_xml="")
            .only("pk", "number", "move_type", "invoice_date", "ubl_xml", "cii_xml")
            .order_by("invoice_date", "pk")
        )
        if since is not None:
            invoices = invoices.filter(invoice_date__gte=since)
        checked = documents = warnings = 0
        failed: set[str] = set()
        for invoice in invoices.iterator(chunk_size=200):
            checked += 1
            for label, syntax, xml in _syntaxes(invoice):
                documents += 1
                for failure in validate_xml(xml.encode(), syntax=syntax):
                    if failure.flag != FATAL:
                        warnings += 1
                        continue
                    failed.add(invoice.number)
                    where = f" at {failure.location}" if failure.location else ""
                    self.stdout.write(
                        f"{invoice.number} {label}: {failure.rule_id} {failure.text}{where}"
                    )
        summary = (
            f"{checked} invoice(s), {documents} e-invoice(s) checked: "
            f"{len(failed)} invoice(s) failed, {warnings} warning(s)."
        )
        if failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
