from django.core.management.base import BaseCommand, CommandError

from timesheets.services import BilledDifference, LineDifference, recompute_all_delivered


class Command(BaseCommand):
    help = (
        "Recompute every order line's Delivered, every task's logged minutes and every "
        "project's minutes without a task from the timesheet entries, report each "
        "difference and fix it. With --check, only report (exit 1 on any difference)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, check: bool = False, **options):
        differences = recompute_all_delivered(fix=not check)
        for diff in differences:
            self.stdout.write(str(diff))
        if not differences:
            self.stdout.write(
                self.style.SUCCESS(
                    "Billed minutes: no difference. Delivered quantities: no difference. "
                    "Logged minutes: no difference."
                )
            )
            return
        lines = sum(1 for diff in differences if isinstance(diff, LineDifference))
        entries = sum(1 for diff in differences if isinstance(diff, BilledDifference))
        counted = f"{lines} line(s)"
        if entries:
            counted = f"{entries} entry(ies) billed differently, {counted}"
        if len(differences) > lines + entries:
            counted += f" and {len(differences) - lines - entries} task / project figure(s)"
        if check:
            raise CommandError(f"{counted} differ from their timesheet entries.")
        self.stdout.write(self.style.WARNING(f"Fixed {counted}."))
