"""PostgreSQL's last line of defence: posted invoices, their lines and payments never change.

On other databases (SQLite in tests and development) this migration does nothing;
the model and queryset guards in invoicing/models.py still apply there.
"""

from django.db import migrations

FROZEN_EXCEPT = "ARRAY['amount_paid','amount_due','payment_state','pdf','pdf_rendered_at','updated_at']"

CREATE = f"""
CREATE OR REPLACE FUNCTION invoicing_invoice_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is %: it is never deleted', COALESCE(OLD.number, OLD.id::text), OLD.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state <> 'draft'
       AND (to_jsonb(NEW) - {FROZEN_EXCEPT}) IS DISTINCT FROM (to_jsonb(OLD) - {FROZEN_EXCEPT}) THEN
        RAISE EXCEPTION 'invoice % is %: it is never edited', COALESCE(OLD.number, OLD.id::text), OLD.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoicing_invoiceline_guard() RETURNS trigger AS $$
DECLARE
    parent_state text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT state INTO parent_state FROM invoicing_invoice WHERE id = NEW.invoice_id;
    ELSE
        SELECT state INTO parent_state FROM invoicing_invoice WHERE id = OLD.invoice_id;
    END IF;
    IF parent_state IS NOT NULL AND parent_state <> 'draft' THEN
        RAISE EXCEPTION 'the lines of a % invoice are never changed', parent_state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoicing_payment_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payments are never edited or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS invoicing_invoice_guard ON invoicing_invoice;
CREATE TRIGGER invoicing_invoice_guard BEFORE UPDATE OR DELETE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_guard();
DROP TRIGGER IF EXISTS invoicing_invoiceline_guard ON invoicing_invoiceline;
CREATE TRIGGER invoicing_invoiceline_guard BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoiceline_guard();
DROP TRIGGER IF EXISTS invoicing_payment_guard ON invoicing_payment;
CREATE TRIGGER invoicing_payment_guard BEFORE UPDATE OR DELETE ON invoicing_payment
    FOR EACH ROW EXECUTE FUNCTION invoicing_payment_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS invoicing_payment_guard ON invoicing_payment;
DROP TRIGGER IF EXISTS invoicing_invoiceline_guard ON invoicing_invoiceline;
DROP TRIGGER IF EXISTS invoicing_invoice_guard ON invoicing_invoice;
DROP FUNCTION IF EXISTS invoicing_payment_guard();
DROP FUNCTION IF EXISTS invoicing_invoiceline_guard();
DROP FUNCTION IF EXISTS invoicing_invoice_guard();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0002_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
