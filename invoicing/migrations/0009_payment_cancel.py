"""Payments are cancelled, never deleted (DOMAIN.md rule 32).

On PostgreSQL the payment guard of 0003 refused every UPDATE; it now lets exactly one
change through: a posted payment becoming cancelled, with when and why, nothing else
of it changing. DELETE is still refused.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PAYMENT_GUARD = """
CREATE OR REPLACE FUNCTION invoicing_payment_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.state = 'posted' AND NEW.state = 'cancelled'
       AND NEW.cancelled_at IS NOT NULL AND NEW.cancel_reason <> ''
       AND (to_jsonb(NEW) - ARRAY['state','cancelled_at','cancelled_by_id','cancel_reason'])
           = (to_jsonb(OLD) - ARRAY['state','cancelled_at','cancelled_by_id','cancel_reason']) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'payments are never edited or deleted (a posted one may be cancelled)'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

PAYMENT_GUARD_BEFORE = """
CREATE OR REPLACE FUNCTION invoicing_payment_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payments are never edited or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def allow_cancelling(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PAYMENT_GUARD, params=None)


def refuse_every_update(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PAYMENT_GUARD_BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0008_tamper_guards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalpayment",
            name="cancel_reason",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason for cancelling"
            ),
        ),
        migrations.AddField(
            model_name="historicalpayment",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalpayment",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalpayment",
            name="state",
            field=models.CharField(
                choices=[("posted", "Posted"), ("cancelled", "Cancelled")],
                default="posted",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="cancel_reason",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason for cancelling"
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="state",
            field=models.CharField(
                choices=[("posted", "Posted"), ("cancelled", "Cancelled")],
                default="posted",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["invoice", "state"], name="invoicing_p_invoice_48df65_idx"),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("cancelled_at__isnull", True), ("state", "posted")),
                    models.Q(
                        ("cancelled_at__isnull", False),
                        ("state", "cancelled"),
                        models.Q(("cancel_reason", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="invoicing_payment_cancelled_has_reason",
            ),
        ),
        migrations.RunPython(allow_cancelling, refuse_every_update),
    ]
