from django.core.management.base import BaseCommand, CommandError

from invoicing.services.integrity import invoices_verify


class Command(BaseCommand):
    help = "Recompute the hash chain of posted invoices and credit notes; name any altered one."

    def handle(self, *args, **options):
        problems = invoices_verify()
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(f"{len(problems)} integrity problem(s) in posted invoices.")
        self.stdout.write(self.style.SUCCESS("Posted invoices: the hash chain is intact."))
