"""Every entry gets a work type ("Support", Billable: rule 27) and its billed minutes.

Before billing rules existed every minute of an entry on a sale line was billed as
logged, so billed = worked there and 0 elsewhere: the figures (Delivered, invoices)
stay exactly what they were. One UPDATE each, whatever the table's size.
"""

from django.db import migrations, models
import django.db.models.deletion


def fill(apps, schema_editor):
    WorkType = apps.get_model("sales", "WorkType")
    support, _ = WorkType.objects.get_or_create(name="Support", defaults={"billing": "billable"})
    Entry = apps.get_model("timesheets", "TimesheetEntry")
    Entry.objects.filter(work_type__isnull=True).update(work_type=support)
    Entry.objects.filter(sale_line__isnull=False).update(billed_minutes=models.F("minutes"))
    Historical = apps.get_model("timesheets", "HistoricalTimesheetEntry")
    Historical.objects.filter(work_type__isnull=True).update(work_type=support)
    Historical.objects.filter(sale_line__isnull=False).update(billed_minutes=models.F("minutes"))


class Migration(migrations.Migration):
    dependencies = [
        ("timesheets", "0008_worked_and_billed"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="timesheetentry",
            name="work_type",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="timesheet_entries",
                to="sales.worktype",
            ),
        ),
    ]
