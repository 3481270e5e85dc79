"""Signals projects sends for upper apps (timesheets)."""

from django.dispatch import Signal

# task=<Task>, old_sale_line_id=<int | None>: the task now bills another order line.
task_sale_line_changed = Signal()
