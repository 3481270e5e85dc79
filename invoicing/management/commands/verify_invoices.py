from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from invoicing.services.integrity import SeriesHead, invoices_audit


class Command(BaseCommand):
    help = (
        "Recompute the hash chain of posted invoices and credit notes and check their "
        "counters, totals, payment status and billed entries; name any altered one. "
        "Prints the first and last hash of each series: keep that output away from the "
        "database (scripts/backup.sh writes it beside each backup) and pass it back with "
        "--kept to expose a rewritten chain."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kept",
            action="append",
            default=[],
            metavar="FILE",
            help="an earlier output of this command; its series hashes must still hold "
            "(may be given more than once)",
        )

    def handle(self, *args, kept: list[str], **options):
        heads = []
        for path in kept:
            try:
                text = Path(path).read_text()
            except OSError as error:
                raise CommandError(f"Cannot read the kept copy {path}: {error}") from None
            found = SeriesHead.parse_lines(text.splitlines())
            if not found and "series " in text:
                raise CommandError(f"{path} holds no series line this command can read.")
            heads += found
        audit = invoices_audit(kept=heads)
        for head in audit.series:
            self.stdout.write(str(head))
        for problem in audit.problems:
            self.stdout.write(str(problem))
        if audit.problems:
            raise CommandError(f"{len(audit.problems)} integrity problem(s) in posted invoices.")
        self.stdout.write(self.style.SUCCESS("Posted invoices: the hash chain is intact."))
