"""InvoiceEmail becomes the outbox of invoice mail: state, attempts, last error, next attempt.

Rows already sent become "sent"; the others (a send that failed before this change)
stay "pending" and are due at once, so the periodic sender sends them.
"""

import django.utils.timezone
from django.db import migrations, models


def mark_sent(apps, schema_editor):
    InvoiceEmail = apps.get_model("invoicing", "InvoiceEmail")
    InvoiceEmail.objects.filter(sent_at__isnull=False).update(state="sent")


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0006_alter_invoiceline_description'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='invoiceemail',
            options={'verbose_name': 'invoice mail'},
        ),
        migrations.AddField(
            model_name='invoiceemail',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='invoiceemail',
            name='last_attempt_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='invoiceemail',
            name='last_error',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='invoiceemail',
            name='next_attempt_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='invoiceemail',
            name='state',
            field=models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=10),
        ),
        migrations.RunPython(mark_sent, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='invoiceemail',
            index=models.Index(condition=models.Q(('state', 'pending')), fields=['next_attempt_at'], name='invoicing_mail_pending_due'),
        ),
        migrations.AddConstraint(
            model_name='invoiceemail',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('sent_at__isnull', False), ('state', 'sent')), models.Q(models.Q(('state', 'sent'), _negated=True), ('sent_at__isnull', True)), _connector='OR'), name='invoicing_mail_sent_has_sent_at'),
        ),
    ]
