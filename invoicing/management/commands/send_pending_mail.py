from django.core.management.base import BaseCommand

from invoicing.services.mail import invoice_mail_send_pending


class Command(BaseCommand):
    help = (
        "Send every pending invoice mail that is due (the outbox); for cron where no "
        "Celery beat runs. Safe to run while another sender runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=1000, help="at most this many attempts (default 1000)"
        )

    def handle(self, *args, limit: int, **options):
        run = invoice_mail_send_pending(limit=limit)
        self.stdout.write(f"Invoice mail: {run.sent} sent, {run.failed} failed attempt(s).")
