"""Receivers only: each calls one service (or, for a question a lower app asks, one selector).

A receiver names the arguments it uses; the rest (`sender` among them) land in **kwargs.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from helpdesk import events as helpdesk_events
from projects import events as project_events
from sales import events as sales_events
from sales.models import WorkType
from timesheets import selectors, services
from timesheets.models import TimesheetEntry


@receiver(post_save, sender=TimesheetEntry, dispatch_uid="timesheets_rollup_on_save")
def rollup_on_save(instance: TimesheetEntry, **kwargs):
    services.rollup_entry(entry=instance)


@receiver(post_delete, sender=TimesheetEntry, dispatch_uid="timesheets_rollup_on_delete")
def rollup_on_delete(instance: TimesheetEntry, **kwargs):
    services.rollup_entry(entry=instance)


@receiver(helpdesk_events.ticket_task_changed, dispatch_uid="timesheets_follow_ticket")
def follow_ticket_task(ticket, actor=None, **kwargs):
    services.entries_follow_ticket(ticket=ticket, actor=actor)


@receiver(helpdesk_events.ticket_team_changed, dispatch_uid="timesheets_follow_ticket_team")
def follow_ticket_team(ticket, actor=None, **kwargs):
    services.entries_follow_ticket(ticket=ticket, actor=actor)


@receiver(project_events.task_sale_line_changed, dispatch_uid="timesheets_follow_task")
def follow_task_sale_line(task, old_sale_line_id, **kwargs):
    services.entries_follow_task(task=task, old_sale_line_id=old_sale_line_id)


@receiver(helpdesk_events.week_minutes_by_team, dispatch_uid="timesheets_week_minutes_by_team")
def week_minutes_by_team(monday, sunday, **kwargs) -> dict[int, int]:
    return selectors.week_minutes_by_team(monday=monday, sunday=sunday)


@receiver(sales_events.line_billing_changed, dispatch_uid="timesheets_rebill_lines")
def rebill_lines(line_ids, **kwargs):
    services.entries_rebill(line_ids=line_ids)


@receiver(post_save, sender=WorkType, dispatch_uid="timesheets_rebill_work_type")
def rebill_work_type(instance: WorkType, created: bool, **kwargs):
    if not created:
        services.entries_rebill(work_type_ids=[instance.pk])
