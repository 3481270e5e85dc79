from django.core.management.base import BaseCommand

from invoicing.services.peppol import peppol_handover_send_pending


class Command(BaseCommand):
    help = (
        "Retry every pending Peppol hand-over that is due (the outbox); for cron where no "
        "Celery beat runs. Safe to run while another sender runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=1000, help="at most this many attempts (default 1000)"
        )

    def handle(self, *args, limit: int, **options):
        run = peppol_handover_send_pending(limit=limit)
        self.stdout.write(f"Peppol: {run.handed_over} handed over, {run.failed} failed attempt(s).")
