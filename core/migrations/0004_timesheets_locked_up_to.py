from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0003_administrator_role")]

    operations = [
        migrations.AddField(
            model_name="appsettings",
            name="timesheets_locked_up_to",
            field=models.DateField(
                blank=True,
                help_text="No timesheet entry or invoice dated on or before this date is "
                "created or changed. Leave empty for no lock.",
                null=True,
                verbose_name="Timesheets locked up to",
            ),
        ),
    ]
