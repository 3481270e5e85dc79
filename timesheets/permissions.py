"""Who may change which entry: a Helpdesk User their own, a Manager everyone's."""

from core import roles
from timesheets.models import TimesheetEntry


def can_change_entry(user, entry: TimesheetEntry) -> bool:
    if roles.is_manager(user):
        return True
    return roles.is_helpdesk_user(user) and entry.employee_id == user.pk


def can_log_for(user, employee) -> bool:
    """Managers log time for anyone; others only for themselves."""
    return roles.is_manager(user) or (roles.is_helpdesk_user(user) and employee.pk == user.pk)
