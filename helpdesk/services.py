"""Writes on helpdesk tickets."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.db import retry_on_conflict
from helpdesk import events
from helpdesk.models import HelpdeskTeam, Ticket
from helpdesk.selectors import tasks_for_ticket
from projects.models import Task
from sales.models import Customer

TICKET_FIELDS = {"team", "customer", "subject", "description", "stage", "priority", "assignee"}


def _check_task(*, team: HelpdeskTeam, customer: Customer, task: Task | None) -> None:
    if task is None:
        return
    if not tasks_for_ticket(team=team, customer=customer).filter(pk=task.pk).exists():
        if team.project_id != task.project_id:
            raise ValidationError(
                {"task": f"Task “{task}” is not in {team}'s project ({team.project or 'none'})."}
            )
        raise ValidationError(
            {"task": f"Task “{task}” belongs to an order of another customer than {customer}."}
        )


@transaction.atomic
def ticket_create(
    *,
    team: HelpdeskTeam,
    customer: Customer,
    subject: str,
    description: str = "",
    priority: str = "0",
    stage: str = Ticket.NEW,
    assignee=None,
    task: Task | None = None,
) -> Ticket:
    ticket = Ticket(
        team=team,
        customer=customer,
        subject=(subject or "").strip(),
        description=description or "",
        priority=priority,
        stage=stage,
        assignee=assignee,
        task=task,
    )
    ticket.full_clean()
    _check_task(team=team, customer=customer, task=task)
    ticket.save()
    return ticket


@retry_on_conflict
def ticket_update(*, ticket: Ticket, actor=None, **fields: Any) -> Ticket:
    """Edit a ticket; a `task` among the fields goes through `ticket_set_task`."""
    unknown = set(fields) - TICKET_FIELDS - {"task"}
    if unknown:
        raise ValidationError(f"Unknown ticket fields: {', '.join(sorted(unknown))}.")
    task_given = "task" in fields
    new_task = fields.pop("task", None)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    old_team = ticket.team
    for key, value in fields.items():
        setattr(ticket, key, value)
    ticket.full_clean()
    ticket.save()
    if task_given and (new_task.pk if new_task else None) != ticket.task_id:
        ticket = ticket_set_task(ticket=ticket, task=new_task, actor=actor)
    elif ticket.task_id:
        _check_task(team=ticket.team, customer=ticket.customer, task=ticket.task)
    if ticket.team_id != old_team.pk:
        events.ticket_team_changed.send(
            sender=Ticket, ticket=ticket, old_team=old_team, actor=actor
        )
    return ticket


@retry_on_conflict
def ticket_set_task(*, ticket: Ticket, task: Task | None, actor=None) -> Ticket:
    """Link the ticket to a task; its uninvoiced entries follow (rule 13, via timesheets)."""
    # `of`: lock the ticket only, not its team's and customer's rows (shared by many tickets).
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("team", "customer")
        .get(pk=ticket.pk)
    )
    _check_task(team=ticket.team, customer=ticket.customer, task=task)
    old_task = ticket.task
    if (task.pk if task else None) == ticket.task_id:
        return ticket
    ticket.task = task
    ticket.save(update_fields=["task", "updated_at"])
    events.ticket_task_changed.send(sender=Ticket, ticket=ticket, old_task=old_task, actor=actor)
    return ticket
