"""Timesheets pages: the entries panel of a ticket (its Timesheets tab) and of a task and
an entry's billed time (`entries`), My Timesheets (the week grid, `week`), All
Timesheets with CSV export (`lists`) and Approvals (`approvals`); what their rows share
is in `rows`.

Writes go through timesheets.services; their ValidationErrors are shown on the form.
"""

from timesheets.views.approvals import approvals, approve
from timesheets.views.entries import (
    entries_panel,
    entry_add,
    entry_billed,
    entry_delete,
    entry_edit,
)
from timesheets.views.lists import all_entries, export_csv
from timesheets.views.week import my_week, week_cell

__all__ = [
    "all_entries",
    "approvals",
    "approve",
    "entries_panel",
    "entry_add",
    "entry_billed",
    "entry_delete",
    "entry_edit",
    "export_csv",
    "my_week",
    "week_cell",
]
