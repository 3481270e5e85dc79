"""The billed-entry guard of 0008 for billing rules (DOMAIN.md rules 28, 31).

- An entry billed by a posted invoice also keeps its billed minutes, its work type and
  its non-billable mark (what its invoice line's quantity was made of).
- Only a posted credit note that *reverses* its line frees it: a write-down credits a
  quantity and leaves the entries billed. Credit note lines from before this migration
  have no mode; every one of them was a reversal, and still counts as one.
"""

import importlib

from django.db import migrations

_GUARDS = importlib.import_module("invoicing.migrations.0008_tamper_guards")
_START = _GUARDS.CREATE.index("CREATE OR REPLACE FUNCTION timesheets_entry_billed_guard()")
_OLD = _GUARDS.CREATE[_START : _GUARDS.CREATE.index("$$ LANGUAGE plpgsql;", _START)] + (
    "$$ LANGUAGE plpgsql;"
)
_FROZEN = (
    "(NEW.minutes, NEW.date, NEW.employee_id, NEW.task_id, NEW.ticket_id, NEW.sale_line_id)\n"
    "           IS DISTINCT FROM (OLD.minutes, OLD.date, OLD.employee_id, OLD.task_id, "
    "OLD.ticket_id, OLD.sale_line_id)"
)
_FREED_BY = "WHERE c.reversed_line_id = OLD.invoice_line_id AND n.state = 'posted'"
assert _FROZEN in _OLD and _FREED_BY in _OLD
NEW = _OLD.replace(
    _FROZEN,
    "(NEW.minutes, NEW.date, NEW.employee_id, NEW.task_id, NEW.ticket_id, NEW.sale_line_id,\n"
    "            NEW.billed_minutes, NEW.work_type_id, NEW.non_billable)\n"
    "           IS DISTINCT FROM (OLD.minutes, OLD.date, OLD.employee_id, OLD.task_id, "
    "OLD.ticket_id, OLD.sale_line_id,\n"
    "            OLD.billed_minutes, OLD.work_type_id, OLD.non_billable)",
).replace(_FREED_BY, _FREED_BY + " AND c.credit_mode <> 'write_down'")


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # "%" in the plpgsql is not a placeholder

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0011_credit_modes"),
        ("timesheets", "0009_entries_work_type_billed"),
    ]

    operations = [migrations.RunPython(_run(NEW), _run(_OLD), elidable=False)]
