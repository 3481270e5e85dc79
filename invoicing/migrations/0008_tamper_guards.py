"""Close the holes in the PostgreSQL guards of 0003 (DOMAIN.md rules 21, 23-25).

- An invoice line is refused when its old OR its new invoice is posted or cancelled
  (0003 looked at the old row only, so `SET invoice_id = <posted>` moved a line in).
- An invoice is inserted as a draft only; posting is the draft -> posted update.
- The payment figures of a posted invoice (amount paid, amount due, payment status)
  are written only inside `invoicing.services.common.payment_figures_write()`, which
  sets the transaction-local `billable.payment_state_write` for that one write. A
  posting starts Not paid with nothing paid.
- A timesheet entry billed by a posted invoice keeps its invoice line and its rule-21
  fields; it is freed (invoice line set to NULL) only once a posted credit note
  reverses that line, is never deleted, and no entry is newly linked to a line of a
  posted invoice.
- TRUNCATE of invoices, invoice lines, payments and timesheet entries is refused
  (statement triggers: TRUNCATE fires no row trigger) unless the transaction sets
  `billable.allow_truncate = on` (the bench's --reset, Django's test flush).

The database owner can still switch triggers off; `manage.py verify_invoices` (and a
kept copy of its series hashes) is what exposes that. On other databases (SQLite) this
migration only adds the column, as 0003 does nothing there.

`hash_version`: invoices posted before this migration keep formula 1; new ones use 2.
"""

import importlib

from django.db import migrations, models

FROZEN_EXCEPT = (
    "ARRAY['amount_paid','amount_due','payment_state','pdf','pdf_rendered_at','updated_at']"
)
POSTED = "'posted'"

CREATE = f"""
CREATE OR REPLACE FUNCTION invoicing_invoice_guard() RETURNS trigger AS $$
DECLARE
    payment_write boolean := COALESCE(current_setting('billable.payment_state_write', true), '') = 'on';
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is %: it is never deleted', COALESCE(OLD.number, OLD.id::text), OLD.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is inserted %: an invoice is never written posted, it is validated', COALESCE(NEW.number, NEW.id::text), NEW.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.state <> 'draft'
       AND (to_jsonb(NEW) - {FROZEN_EXCEPT}) IS DISTINCT FROM (to_jsonb(OLD) - {FROZEN_EXCEPT}) THEN
        RAISE EXCEPTION 'invoice % is %: it is never edited', COALESCE(OLD.number, OLD.id::text), OLD.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.state <> 'draft' AND NOT payment_write
       AND (NEW.amount_paid, NEW.amount_due, NEW.payment_state)
           IS DISTINCT FROM (OLD.amount_paid, OLD.amount_due, OLD.payment_state) THEN
        RAISE EXCEPTION 'invoice % is %: its payment status is never written by hand, it follows its payments and credit notes', COALESCE(OLD.number, OLD.id::text), OLD.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.state = 'draft' AND NEW.state <> 'draft' AND NOT payment_write
       AND (NEW.payment_state <> 'not_paid' OR NEW.amount_paid <> 0) THEN
        RAISE EXCEPTION 'invoice % is never posted already paid: payments are registered after validation', COALESCE(NEW.number, NEW.id::text)
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoicing_invoiceline_guard() RETURNS trigger AS $$
DECLARE
    parent_state text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT state INTO parent_state FROM invoicing_invoice WHERE id = OLD.invoice_id;
        IF parent_state IS NOT NULL AND parent_state <> 'draft' THEN
            RAISE EXCEPTION 'the lines of a % invoice are never changed', parent_state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.invoice_id IS DISTINCT FROM OLD.invoice_id THEN
        SELECT state INTO parent_state FROM invoicing_invoice WHERE id = NEW.invoice_id;
        IF parent_state IS NOT NULL AND parent_state <> 'draft' THEN
            RAISE EXCEPTION 'the lines of a % invoice are never changed: no line is added or moved in', parent_state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION timesheets_entry_billed_guard() RETURNS trigger AS $$
DECLARE
    old_number text;
    new_number text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.invoice_line_id IS NOT NULL THEN
        SELECT i.number INTO old_number
          FROM invoicing_invoiceline l JOIN invoicing_invoice i ON i.id = l.invoice_id
         WHERE l.id = OLD.invoice_line_id AND i.state = {POSTED};
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF old_number IS NOT NULL THEN
            RAISE EXCEPTION 'timesheet entry % is billed by %: it is never deleted', OLD.id, old_number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF old_number IS NOT NULL THEN
        IF (NEW.minutes, NEW.date, NEW.employee_id, NEW.task_id, NEW.ticket_id, NEW.sale_line_id)
           IS DISTINCT FROM (OLD.minutes, OLD.date, OLD.employee_id, OLD.task_id, OLD.ticket_id, OLD.sale_line_id) THEN
            RAISE EXCEPTION 'timesheet entry % is billed by %: it is never changed', OLD.id, old_number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.invoice_line_id IS DISTINCT FROM OLD.invoice_line_id AND (
            NEW.invoice_line_id IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM invoicing_invoiceline c JOIN invoicing_invoice n ON n.id = c.invoice_id
                 WHERE c.reversed_line_id = OLD.invoice_line_id AND n.state = {POSTED})) THEN
            RAISE EXCEPTION 'timesheet entry % is billed by %: only a posted credit note of its line frees it', OLD.id, old_number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF NEW.invoice_line_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.invoice_line_id IS DISTINCT FROM OLD.invoice_line_id) THEN
        SELECT i.number INTO new_number
          FROM invoicing_invoiceline l JOIN invoicing_invoice i ON i.id = l.invoice_id
         WHERE l.id = NEW.invoice_line_id AND i.state <> 'draft';
        IF new_number IS NOT NULL THEN
            RAISE EXCEPTION 'invoice % is validated: it bills no further timesheet entry', new_number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billable_truncate_guard() RETURNS trigger AS $$
BEGIN
    IF COALESCE(current_setting('billable.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is never truncated: posted invoices, their lines, payments and billed entries are kept', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS invoicing_invoice_guard ON invoicing_invoice;
CREATE TRIGGER invoicing_invoice_guard BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_guard();
DROP TRIGGER IF EXISTS timesheets_entry_billed_guard ON timesheets_timesheetentry;
CREATE TRIGGER timesheets_entry_billed_guard BEFORE INSERT OR UPDATE OR DELETE ON timesheets_timesheetentry
    FOR EACH ROW EXECUTE FUNCTION timesheets_entry_billed_guard();
"""

TRUNCATE_GUARDED = (
    "invoicing_invoice",
    "invoicing_invoiceline",
    "invoicing_payment",
    "timesheets_timesheetentry",
)
CREATE += "".join(
    f"""
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION billable_truncate_guard();
"""
    for table in TRUNCATE_GUARDED
)

DROP = (
    "".join(
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};\n" for table in TRUNCATE_GUARDED
    )
    + """
DROP TRIGGER IF EXISTS timesheets_entry_billed_guard ON timesheets_timesheetentry;
DROP FUNCTION IF EXISTS timesheets_entry_billed_guard();
DROP FUNCTION IF EXISTS billable_truncate_guard();
"""
)


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def restore_0003_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)
        previous = importlib.import_module("invoicing.migrations.0003_posted_invoice_guard")
        schema_editor.execute(previous.CREATE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0007_invoice_email_outbox"),
        ("timesheets", "0007_rollup_sums_index_only"),
    ]

    operations = [
        # Invoices posted before this migration were hashed with formula 1.
        migrations.AddField(
            model_name="historicalinvoice",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="invoice",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1, editable=False),
        ),
        migrations.AlterField(
            model_name="historicalinvoice",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2, editable=False),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2, editable=False),
        ),
        migrations.RunPython(create_triggers, restore_0003_triggers),
    ]
