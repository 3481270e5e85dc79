"""Writes on timesheet entries and the delivered-quantity rollup (DOMAIN.md parts C, D).

Every create, edit, move or delete of an entry recomputes the delivered quantity of
the order lines it touched, in the same transaction, under a row lock on those lines
(the post_save / post_delete receivers in timesheets.signals call `rollup_delivered`;
bulk paths here call it themselves). Delivered = the line's minutes summed first and
converted once into the line's unit.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.dateparse import parse_date

from core.errors import ConflictError
from core.models import AppSettings
from core.numbers import format_minutes
from helpdesk.models import Ticket
from projects.models import Project, Task
from sales.models import SaleOrderLine
from timesheets.models import MAX_MINUTES_PER_DAY, TimesheetEntry

User = get_user_model()

# Fields an invoiced (locked) entry may not change (rule 21); the description may.
LOCKED_FIELDS = ("date", "minutes", "employee", "project", "task", "ticket")
UPDATABLE_FIELDS = set(LOCKED_FIELDS) | {"description"}


# --- validation helpers -------------------------------------------------------------


def _check_feature() -> None:
    if not AppSettings.load().timesheets_enabled:
        raise ValidationError("The Timesheets feature is off (Configuration > Settings).")


def _clean_minutes(minutes: Any) -> int:
    if isinstance(minutes, bool):
        raise ValidationError({"minutes": "Enter a duration in minutes."})
    try:
        value = Decimal(str(minutes).strip())
    except Exception:
        raise ValidationError({"minutes": f"“{minutes}” is not a duration."}) from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValidationError({"minutes": "A duration is a whole number of minutes."})
    value = int(value)
    if value <= 0:
        raise ValidationError({"minutes": "A duration must be more than 0."})
    if value > MAX_MINUTES_PER_DAY:
        raise ValidationError({"minutes": "A duration is at most 24 hours."})
    return value


def _clean_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    parsed = parse_date(str(value)) if value else None
    if parsed is None:
        raise ValidationError({"date": f"“{value}” is not a date (YYYY-MM-DD)."})
    return parsed


def _resolve_target(
    *, project: Project | None, task: Task | None, ticket: Ticket | None, lock: bool = False
) -> tuple[Project, Task | None, Ticket | None]:
    """Where an entry belongs: a ticket's entry goes to its team's project and its task.

    The ticket and the task are read again rather than trusted from the caller, whose
    objects may be stale (a ticket passed on after `ticket_set_task`, a task after
    `task_update`). With `lock`, they are also locked, so a concurrent task change on
    the ticket or a new order line on the task either waits for this entry and then
    moves it, or happens first and is seen here (rule 13).
    """
    tickets = Ticket.objects.select_related("team__project")
    tasks = Task.objects.select_related("project")
    if lock:
        tickets = tickets.select_for_update(of=("self",))
        tasks = tasks.select_for_update(of=("self",))
    if ticket is not None:
        ticket = tickets.get(pk=ticket.pk)
        team = ticket.team
        if not team.use_timesheets:
            raise ValidationError(
                {"ticket": f"Team {team} does not use Timesheet on Ticket; time can't be logged."}
            )
        if project is not None and project.pk != team.project_id:
            raise ValidationError(
                {"project": f"A ticket's time goes to its team's project ({team.project})."}
            )
        if task is not None and task.pk != ticket.task_id:
            raise ValidationError({"task": "A ticket's time goes to the ticket's task."})
        project = team.project
        task = tasks.get(pk=ticket.task_id) if ticket.task_id else None
    elif task is not None:
        task = tasks.get(pk=task.pk)
        if project is not None and project.pk != task.project_id:
            raise ValidationError({"task": f"Task “{task}” is not in project {project}."})
        project = task.project
    if project is None:
        raise ValidationError({"project": "Choose a project, a task or a ticket."})
    if not project.allow_timesheets:
        raise ValidationError({"project": f"Project {project} does not allow timesheets."})
    return project, task, ticket


def _check_day_total(
    *, employee, date: datetime.date, minutes: int, exclude_pk: int | None = None
) -> None:
    # The employee's row lock serialises their concurrent entries, so the total holds.
    User.objects.select_for_update().filter(pk=employee.pk).first()
    logged = (
        TimesheetEntry.objects.filter(employee=employee, date=date)
        .exclude(pk=exclude_pk)
        .aggregate(total=Sum("minutes"))["total"]
        or 0
    )
    if logged + minutes > MAX_MINUTES_PER_DAY:
        raise ValidationError(
            {
                "minutes": f"{employee} already has {format_minutes(logged)} on {date}; "
                "one day holds at most 24:00."
            }
        )


# --- entries --------------------------------------------------------------------------


@transaction.atomic
def timesheet_log(
    *,
    employee,
    date: Any,
    minutes: Any,
    description: str = "",
    project: Project | None = None,
    task: Task | None = None,
    ticket: Ticket | None = None,
    actor=None,
) -> TimesheetEntry:
    """Log time on a ticket, a task or a project; the order line's Delivered follows."""
    _check_feature()
    if employee is None:
        raise ValidationError({"employee": "Choose an employee."})
    minutes = _clean_minutes(minutes)
    date = _clean_date(date)
    project, task, ticket = _resolve_target(project=project, task=task, ticket=ticket, lock=True)
    _check_day_total(employee=employee, date=date, minutes=minutes)
    entry = TimesheetEntry(
        date=date,
        employee=employee,
        project=project,
        task=task,
        ticket=ticket,
        description=description or "",
        minutes=minutes,
        sale_line_id=task.sale_line_id if task else None,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def timesheet_update(*, entry: TimesheetEntry, actor=None, **changes: Any) -> TimesheetEntry:
    """Edit an entry. An invoiced entry only takes a new description (rule 21)."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown timesheet fields: {', '.join(sorted(unknown))}.")
    entry = (
        TimesheetEntry.objects.select_for_update(of=("self",))
        .select_related("ticket__team__project", "task", "project", "employee")
        .get(pk=entry.pk)
    )
    if "minutes" in changes:
        changes["minutes"] = _clean_minutes(changes["minutes"])
    if "date" in changes:
        changes["date"] = _clean_date(changes["date"])
    changed = {k: v for k, v in changes.items() if _differs(entry, k, v)}
    if entry.is_locked:
        blocked = [k for k in changed if k in LOCKED_FIELDS]
        if blocked:
            raise ConflictError(
                "This entry is on an invoice: only its description can change "
                f"(refused: {', '.join(blocked)})."
            )
    if not changed:
        return entry
    _check_feature()
    if "description" in changed:
        entry.description = changed["description"] or ""
    moves = {"project", "task", "ticket"} & set(changed)
    if moves:
        ticket = changed.get("ticket", entry.ticket)
        if ticket is not None:  # the ticket decides the project and the task
            task, project = changed.get("task"), changed.get("project")
        else:  # off a ticket, or never on one: the entry keeps what is not changed
            task = changed.get("task", entry.task)
            project = changed.get("project", task.project if task else entry.project)
        # Not locked here: the entry is locked already, and ticket_set_task locks the
        # ticket before its entries; taking them in the other order could deadlock.
        entry.project, entry.task, entry.ticket = _resolve_target(
            project=project, task=task, ticket=ticket
        )
        entry.sale_line_id = entry.task.sale_line_id if entry.task else None
    for key in ("date", "minutes", "employee"):
        if key in changed:
            setattr(entry, key, changed[key])
    if {"date", "minutes", "employee"} & set(changed):
        if entry.employee is None:
            raise ValidationError({"employee": "Choose an employee."})
        _check_day_total(
            employee=entry.employee, date=entry.date, minutes=entry.minutes, exclude_pk=entry.pk
        )
    entry.full_clean()
    entry.save()
    return entry


def _differs(entry: TimesheetEntry, field: str, value: Any) -> bool:
    if field in ("employee", "project", "task", "ticket"):
        return getattr(entry, f"{field}_id") != (value.pk if value is not None else None)
    return getattr(entry, field) != value


@transaction.atomic
def timesheet_delete(*, entry: TimesheetEntry, actor=None) -> None:
    entry = TimesheetEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.is_locked:
        raise ConflictError("This entry is on an invoice and cannot be deleted.")
    entry.delete()


# --- moves that follow a ticket or a task --------------------------------------------


@transaction.atomic
def entries_follow_ticket(*, ticket: Ticket) -> int:
    """Rule 13: the ticket's uninvoiced entries move to its (new) task; invoiced ones stay."""
    entries = TimesheetEntry.objects.select_for_update().filter(
        ticket=ticket, invoice_line__isnull=True
    )
    old_line_ids = set(entries.values_list("sale_line_id", flat=True))
    task = ticket.task
    new_line_id = task.sale_line_id if task else None
    moved = entries.update(task=task, sale_line_id=new_line_id)
    rollup_delivered(line_ids=old_line_ids | {new_line_id})
    return moved


@transaction.atomic
def entries_follow_task(*, task: Task, old_sale_line_id: int | None) -> int:
    """The task bills another order line: its entries follow, unless some are invoiced."""
    entries = TimesheetEntry.objects.select_for_update().filter(task=task)
    if entries.filter(invoice_line__isnull=False).exists():
        raise ConflictError(
            f"Task “{task}” has invoiced entries; its sales order item cannot change."
        )
    moved = entries.update(sale_line_id=task.sale_line_id)
    rollup_delivered(line_ids={old_sale_line_id, task.sale_line_id})
    return moved


# --- the rollup -----------------------------------------------------------------------


def rollup_delivered(*, line_ids: Iterable[int | None]) -> None:
    """Recompute Delivered of these lines from their entries, under a lock on the lines.

    Idempotent and self-healing: it sums the source rows, it never increments. Lines
    are locked in primary-key order so two rollups never deadlock.
    """
    ids = sorted({pk for pk in line_ids if pk})
    if not ids:
        return
    with transaction.atomic():
        lines = list(
            SaleOrderLine.objects.select_for_update(of=("self",))
            .select_related("uom")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        totals = dict(
            TimesheetEntry.objects.filter(sale_line_id__in=ids)
            .values("sale_line_id")
            .annotate(total=Sum("minutes"))
            .values_list("sale_line_id", "total")
        )
        changed = []
        for line in lines:
            minutes = int(totals.get(line.pk) or 0)
            qty = line.uom.minutes_to_qty(minutes)  # summed first, converted once
            if line.delivered_minutes != minutes or line.qty_delivered != qty:
                line.delivered_minutes, line.qty_delivered = minutes, qty
                changed.append(line)
        if changed:
            SaleOrderLine.objects.bulk_update(changed, ["delivered_minutes", "qty_delivered"])


@dataclass(frozen=True)
class LineDifference:
    line_id: int
    order: str
    stored_minutes: int
    stored_qty: Decimal
    expected_minutes: int
    expected_qty: Decimal

    def __str__(self) -> str:
        return (
            f"{self.order} line {self.line_id}: stored {self.stored_qty} "
            f"({format_minutes(self.stored_minutes)}), entries say {self.expected_qty} "
            f"({format_minutes(self.expected_minutes)})"
        )


@transaction.atomic
def recompute_all_delivered(*, fix: bool = True) -> list[LineDifference]:
    """Recompute every line's Delivered from scratch, set-based: one aggregate, one update."""
    totals = dict(
        TimesheetEntry.objects.filter(sale_line__isnull=False)
        .values("sale_line_id")
        .annotate(total=Sum("minutes"))
        .values_list("sale_line_id", "total")
    )
    lines = SaleOrderLine.objects.select_related("uom", "order").only(
        "pk", "delivered_minutes", "qty_delivered", "uom", "order__name"
    )
    report: list[LineDifference] = []
    for line in lines.iterator(chunk_size=5000):
        minutes = int(totals.get(line.pk) or 0)
        qty = line.uom.minutes_to_qty(minutes)
        if line.delivered_minutes != minutes or line.qty_delivered != qty:
            report.append(
                LineDifference(
                    line.pk,
                    line.order.name,
                    line.delivered_minutes,
                    line.qty_delivered,
                    minutes,
                    qty,
                )
            )
    if fix and report:
        # Re-run under locks for just the lines that differ, so concurrent logging stays right.
        rollup_delivered(line_ids=[diff.line_id for diff in report])
    return report
