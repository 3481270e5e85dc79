"""Month-end billing run: `manage.py billing_run --up-to 2026-03-31 [--preview]`."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from invoicing.services import billing_run, billing_run_preview


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date; use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Create a draft invoice for every confirmed order with something to invoice."

    def add_arguments(self, parser):
        parser.add_argument("--up-to", required=True, type=_date, help="last day to bill")
        parser.add_argument(
            "--preview", action="store_true", help="list what would be invoiced, write nothing"
        )

    def handle(self, *args, up_to: datetime.date, preview: bool, **options):
        rows = billing_run_preview(up_to=up_to)
        if not rows:
            self.stdout.write(f"Nothing to invoice up to {up_to:%Y-%m-%d}.")
            return
        for row in rows:
            self.stdout.write(
                f"{row.order_name:<12} {row.customer_name:<30} {row.hours:>9} h "
                f"{row.amount_untaxed:>12} untaxed {row.amount_total:>12} total"
            )
        if preview:
            self.stdout.write(f"Preview: {len(rows)} order(s) would be invoiced; nothing written.")
            return
        invoices = billing_run(up_to=up_to)
        self.stdout.write(self.style.SUCCESS(f"Created {len(invoices)} draft invoice(s)."))
        for failure in invoices.failed:
            self.stderr.write(
                self.style.ERROR(f"{failure.order_name} was not invoiced: {failure.reason}")
            )
        if invoices.failed:
            self.stderr.write(f"{len(invoices.failed)} order(s) not invoiced; see above.")
