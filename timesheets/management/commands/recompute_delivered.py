from django.core.management.base import BaseCommand, CommandError

from timesheets.services import recompute_all_delivered


class Command(BaseCommand):
    help = (
        "Recompute every order line's Delivered from its timesheet entries, report each "
        "difference and fix it. With --check, only report (exit 1 on any difference)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, check: bool = False, **options):
        differences = recompute_all_delivered(fix=not check)
        for diff in differences:
            self.stdout.write(str(diff))
        if not differences:
            self.stdout.write(self.style.SUCCESS("Delivered quantities: no difference."))
            return
        if check:
            raise CommandError(f"{len(differences)} line(s) differ from their timesheet entries.")
        self.stdout.write(self.style.WARNING(f"Fixed {len(differences)} line(s)."))
