"""Writes on timesheet entries and the rollups (DOMAIN.md parts C, D).

Every create, edit, move or delete of an entry recomputes, in the same transaction and
under row locks, the delivered quantity of the order lines it touched and the logged
minutes of the tasks (or, for an entry without a task, of the project) it touched (the
post_save / post_delete receivers in timesheets.signals call `rollup_entries`; bulk
paths here call it themselves). Delivered = the line's minutes summed first and
converted once into the line's unit.

Lock order. Every write here, and every path that moves entries (helpdesk's
`ticket_set_task` and `ticket_update`, projects' `task_update`), takes its locks in this
order, each kind by primary key, never an earlier kind after a later one:

  1. tickets: the entry's, and the one it moves to (helpdesk locks a ticket first);
  2. tasks: the entry's, and the one it moves to (`task_update` locks its task first);
  3. entries: the one edited or deleted, or the ticket's entries that follow it;
  4. order lines, old and new;
  5. projects (entries without a task count on theirs), old and new;
  6. the employee's day (rule 12's 24:00 cap): an advisory lock on (employee, date),
     not the user row, so no foreign-key check on the user waits for it.

An entry is read without a lock to know its ticket, and again once that is locked to
know its task (which the ticket's moves no longer change); once that is locked, the
entry is; should it have moved in between, the transaction starts over
(`core.db.TransientConflict`). The rollups run after the save and take 2, 4 and 5
again: already held, they wait for nothing. Locks on rows we only recompute figures on
are FOR NO KEY UPDATE, which a foreign-key check (FOR KEY SHARE) does not wait for.
Invoicing keeps to it too (invoice, then entries, then lines). A lock race lost anyway
runs the whole transaction again (`core.db.retry_on_conflict` when the service is the
outermost block, `core.middleware.ConflictRetryMiddleware` for a request).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_date

from core.db import TransientConflict, advisory_xact_lock, retry_on_conflict
from core.errors import ConflictError
from core.history import attribute_to, history_record_changed
from core.models import AppSettings, check_not_locked, timesheets_locked_up_to
from core.numbers import LOOSE_NUMBER_MESSAGE, format_minutes, is_loose_number
from core.roles import is_manager
from helpdesk.models import Ticket
from projects.models import Project, Task
from sales.models import RoundingMode, SaleOrderLine, WorkType
from timesheets.billing import (
    approval_required,
    billed_minutes,
    default_work_type,
    line_candidates,
    route_line,
)
from timesheets.models import (
    EARLIEST_ENTRY_DATE,
    MAX_MINUTES_PER_DAY,
    TimesheetEntry,
    latest_entry_date,
)

# Advisory-lock namespace of an employee's day (lock order, step 6).
DAY_LOCK_NAMESPACE = MAX_MINUTES_PER_DAY

# Fields an invoiced (locked) entry may not change (rules 21, 28); the description may.
LOCKED_FIELDS = ("date", "minutes", "employee", "project", "task", "ticket", "work_type", "billing")
UPDATABLE_FIELDS = set(LOCKED_FIELDS) | {"description"}
# Rule 33: an employee's change to these sends an approved entry back to To approve.
APPROVAL_FIELDS = {"date", "minutes", "project", "task", "ticket", "work_type"}
BILLING_VALUES = {"billable": False, "non_billable": True}


# --- validation helpers -------------------------------------------------------------


def _check_feature() -> None:
    if not AppSettings.load().timesheets_enabled:
        raise ValidationError("The Timesheets feature is off (Configuration > Settings).")


def _clean_minutes(minutes: Any) -> int:
    if isinstance(minutes, bool):
        raise ValidationError({"minutes": "Enter a duration in minutes."})
    if isinstance(minutes, str) and is_loose_number(minutes):
        raise ValidationError({"minutes": f"“{minutes}” is not a duration. {LOOSE_NUMBER_MESSAGE}"})
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


def _clean_date(value: Any, *, current: datetime.date | None = None) -> datetime.date:
    """The entry's date, from EARLIEST_ENTRY_DATE (2000-01-01) to tomorrow (rule 34).

    `current` is the entry's date as stored: sent back unchanged (an edit form does), it
    is not checked again, so an entry imported with an older date keeps taking edits.
    """
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        parsed = value
    else:
        # parse_date reads full-width digits ("２０２６-０３-０２") too: ASCII only.
        text = str(value) if value else ""
        try:
            parsed = parse_date(text) if text.isascii() else None
        except ValueError:  # well formed but no such day (2026-02-30)
            parsed = None
        if parsed is None:
            raise ValidationError({"date": f"“{value}” is not a date (YYYY-MM-DD)."})
    if parsed == current:
        return parsed
    if parsed < EARLIEST_ENTRY_DATE:
        raise ValidationError(
            {"date": f"An entry is dated {EARLIEST_ENTRY_DATE.isoformat()} or later."}
        )
    latest = latest_entry_date()
    if parsed > latest:
        raise ValidationError(
            {"date": f"An entry may not be dated after tomorrow ({latest.isoformat()})."}
        )
    return parsed


def _check_entry_not_locked(entry: TimesheetEntry, *, action: str) -> None:
    """Rule 34: an entry dated on or before the lock date (Configuration, "Timesheets
    locked up to") is closed: not changed (its description neither: the period was
    reviewed as it is), moved or deleted."""
    locked = timesheets_locked_up_to()
    if locked is not None and entry.date <= locked:
        raise ConflictError(
            f"This entry is dated {entry.date.isoformat()}, in a locked period (everything up "
            f"to {locked.isoformat()} is locked): it cannot be {action}."
        )


def _clean_work_type(value: Any, *, current_id: int | None = None) -> WorkType:
    """A work type by instance or pk; a new choice must be active (an entry keeps an
    inactive one it already has)."""
    pk = getattr(value, "pk", value)
    try:  # read again: the caller's copy may be stale (archived meanwhile)
        work_type = WorkType.objects.get(pk=int(pk))
    except (WorkType.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"work_type": f"“{value}” is not a work type."}) from None
    if not work_type.active and work_type.pk != current_id:
        raise ValidationError({"work_type": f"Work type {work_type} is no longer in use."})
    return work_type


def _clean_billing(value: Any) -> bool:
    """The API's `billing` (billable | non_billable) as the entry's non-billable mark."""
    if value not in BILLING_VALUES:
        raise ValidationError({"billing": "Billing is “billable” or “non_billable”."})
    return BILLING_VALUES[value]


def _bill(entry: TimesheetEntry, *, task: Task | None, also: Iterable[int | None] = ()) -> None:
    """Route the entry to its line (rule 30) and set its billed minutes (rules 28-29).

    Locks the task's line, its order's rate lines and the lines in `also` (where the
    entry was) in primary-key order: step 4 of the lock order, so the rounding rule and
    rate fields read here cannot change before commit.
    """
    candidates = line_candidates(task=task, also=also, lock=True)
    line = route_line(
        candidates, task=task, work_type_id=entry.work_type_id, employee_id=entry.employee_id
    )
    entry.sale_line_id = line.pk if line else None
    entry.billed_minutes = billed_minutes(entry, line=line, work_type=entry.work_type)


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
    tickets = Ticket.objects.select_related("team__project", "team__default_work_type")
    tasks = Task.objects.select_related("project")
    if lock:
        tickets = tickets.select_for_update(of=("self",), no_key=True)
        tasks = tasks.select_for_update(of=("self",), no_key=True)
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
    # The employee's day lock (lock order, step 6) serialises their concurrent entries of
    # the day, so the total holds; it locks no row, so it blocks no one else.
    advisory_xact_lock(namespace=DAY_LOCK_NAMESPACE, key=employee.pk * 1_000_003 + date.toordinal())
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


def _lock(model, ids: Iterable[int | None]) -> None:
    """Lock these rows FOR NO KEY UPDATE, in primary-key order (a step of the lock order)."""
    ids = sorted({pk for pk in ids if pk})
    if ids:
        rows = model.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        list(rows.values_list("pk", flat=True))


def _lock_lines_and_projects(*, places: Iterable[tuple[int | None, int | None, int]]) -> None:
    """Steps 4 and 5 for entries at these (task, line, project) places, old and new: the
    rows their rollup will lock, taken now so that the day lock (step 6) comes after."""
    places = list(places)
    _lock(SaleOrderLine, [line for _, line, _ in places])
    _lock(Project, [project for task, _, project in places if task is None])


def _read_under_ticket_lock(*, pk: int, ticket_ids: Iterable[int | None] = ()) -> TimesheetEntry:
    """Step 1 for an entry: lock its ticket (and `ticket_ids`, where it moves to), then
    read it again, unlocked: its task is now the one its ticket's moves left it on, and
    stays so (the entry's lock comes after its task's)."""
    seen = TimesheetEntry.objects.get(pk=pk)
    tickets = {seen.ticket_id, *ticket_ids} - {None}
    if not tickets:
        return seen
    _lock(Ticket, tickets)
    seen = TimesheetEntry.objects.get(pk=pk)
    if seen.ticket_id is not None and seen.ticket_id not in tickets:
        raise TransientConflict(f"Timesheet entry {pk} moved while it was being locked.")
    return seen


def _lock_entry(*, pk: int, ticket_id: int | None, task_id: int | None) -> TimesheetEntry:
    """Step 3: the entry, once its ticket and task (as read unlocked) are locked. If it
    moved off them meanwhile, those locks are the wrong ones: start over."""
    entry = (
        TimesheetEntry.objects.select_for_update(of=("self",))
        .select_related("ticket__team__project", "task", "project", "employee")
        .get(pk=pk)
    )
    if (entry.ticket_id, entry.task_id) != (ticket_id, task_id):
        raise TransientConflict(f"Timesheet entry {pk} moved while it was being locked.")
    return entry


# --- entries --------------------------------------------------------------------------


@retry_on_conflict
def timesheet_log(
    *,
    employee,
    date: Any,
    minutes: Any,
    description: str = "",
    project: Project | None = None,
    task: Task | None = None,
    ticket: Ticket | None = None,
    work_type: WorkType | int | None = None,
    billing: str | None = None,
    actor=None,
) -> TimesheetEntry:
    """Log time on a ticket, a task or a project; the order line's Delivered follows.

    The entry's work type is the one given, else the ticket team's default, else
    "Support" (rule 27); its line is the most specific rate line of the task's order,
    else the task's (rule 30); its billed minutes follow (rules 28-29). Where the team
    approves time (rule 33) it starts To approve.
    """
    _check_feature()
    if employee is None:
        raise ValidationError({"employee": "Choose an employee."})
    minutes = _clean_minutes(minutes)
    date = _clean_date(date)
    non_billable = _clean_billing(billing) if billing is not None else False
    chosen_type = _clean_work_type(work_type) if work_type not in (None, "") else None
    check_not_locked(date, field="date", label="A timesheet entry")
    # Steps 1 and 2 (the ticket, its task), then 4 and 5, then the day (6).
    project, task, ticket = _resolve_target(project=project, task=task, ticket=ticket, lock=True)
    entry = TimesheetEntry(
        date=date,
        employee=employee,
        project=project,
        task=task,
        ticket=ticket,
        description=description or "",
        minutes=minutes,
        work_type=chosen_type or default_work_type(ticket=ticket),
        non_billable=non_billable,
    )
    if approval_required(project=project, ticket=ticket):
        entry.approval_state = TimesheetEntry.TO_APPROVE
    _bill(entry, task=task)  # step 4: `_bill` locked the line
    _lock(Project, [project.pk] if task is None else [])  # step 5
    _check_day_total(employee=employee, date=date, minutes=minutes)
    # The work type was read and checked above (`_clean_work_type`, or a default).
    entry.full_clean(exclude=["work_type"])
    attribute_to(entry, actor)
    entry.save()
    return entry


@retry_on_conflict
def timesheet_update(*, entry: TimesheetEntry, actor=None, **changes: Any) -> TimesheetEntry:
    """Edit an entry. An invoiced entry only takes a new description (rule 21)."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown timesheet fields: {', '.join(sorted(unknown))}.")
    if "minutes" in changes:
        changes["minutes"] = _clean_minutes(changes["minutes"])
    if "date" in changes:
        changes["date"] = _clean_date(changes["date"], current=entry.date)
    if "work_type" in changes:
        changes["work_type"] = _clean_work_type(changes["work_type"], current_id=entry.work_type_id)
    if "billing" in changes:
        changes["billing"] = _clean_billing(changes["billing"])
    new_ticket = [_pk(changes["ticket"])] if "ticket" in changes else []
    seen = _read_under_ticket_lock(pk=entry.pk, ticket_ids=new_ticket)  # step 1
    moves = {key for key in ("project", "task", "ticket") if key in changes}
    moves = {key for key in moves if _differs(seen, key, changes[key])}
    task_ids = {seen.task_id}
    if moves:
        ticket_id = _pk(changes["ticket"]) if "ticket" in moves else seen.ticket_id
        if ticket_id:  # the ticket decides the task: as it is, now that it is locked
            task_ids.add(Ticket.objects.values_list("task_id", flat=True).get(pk=ticket_id))
        else:
            task_ids.add(_pk(changes["task"]) if "task" in moves else seen.task_id)
    _lock(Task, task_ids)  # step 2
    entry = _lock_entry(pk=entry.pk, ticket_id=seen.ticket_id, task_id=seen.task_id)  # 3
    was = (entry.task_id, entry.sale_line_id, entry.project_id)
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
    _check_entry_not_locked(entry, action="changed")
    if "date" in changed:
        check_not_locked(changed["date"], field="date", label="A timesheet entry")
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
        # Its tickets and tasks are locked (steps 1, 2): this reads them as they are.
        entry.project, entry.task, entry.ticket = _resolve_target(
            project=project, task=task, ticket=ticket
        )
        if entry.task_id not in task_ids:  # steps 1, 2 locked for another move: start over
            raise TransientConflict(f"Timesheet entry {entry.pk} moved while being locked.")
    for key in ("date", "minutes", "employee", "work_type"):
        if key in changed:
            setattr(entry, key, changed[key])
    if "billing" in changed:
        entry.non_billable = changed["billing"]
    if set(changed) - {"description"}:
        _set_approval(entry, changed=set(changed), actor=actor)
        _bill(entry, task=entry.task, also=[was[1]])  # step 4: the old line and the new
    _lock_lines_and_projects(  # steps 4, 5
        places=[was, (entry.task_id, entry.sale_line_id, entry.project_id)]
    )
    if {"date", "minutes", "employee"} & set(changed):
        if entry.employee is None:
            raise ValidationError({"employee": "Choose an employee."})
        _check_day_total(  # step 6
            employee=entry.employee, date=entry.date, minutes=entry.minutes, exclude_pk=entry.pk
        )
    entry.full_clean()
    attribute_to(entry, actor)
    entry.save()
    return entry


def _differs(entry: TimesheetEntry, field: str, value: Any) -> bool:
    if field in ("employee", "project", "task", "ticket", "work_type"):
        return getattr(entry, f"{field}_id") != _pk(value)
    if field == "billing":
        return entry.non_billable != value
    return getattr(entry, field) != value


def _set_approval(entry: TimesheetEntry, *, changed: set[str], actor) -> None:
    """Rule 33 after a change: where its team approves time an entry needs approval; an
    employee's change to what was approved sends it back (a manager's change does not:
    a manager approves what they change)."""
    if not approval_required(project=entry.project, ticket=entry.ticket):
        entry.approval_state = None
    elif entry.approval_state is None or (
        entry.approval_state == TimesheetEntry.APPROVED
        and changed & APPROVAL_FIELDS
        and not (actor is not None and is_manager(actor))
    ):
        entry.approval_state = TimesheetEntry.TO_APPROVE
    if entry.approval_state != TimesheetEntry.APPROVED:
        entry.approved_by, entry.approved_at = None, None


def _pk(record) -> int | None:
    return record.pk if record is not None else None


@retry_on_conflict
def timesheet_delete(*, entry: TimesheetEntry, actor=None) -> None:
    seen = _read_under_ticket_lock(pk=entry.pk)  # step 1
    _lock(Task, [seen.task_id])  # step 2
    entry = _lock_entry(pk=entry.pk, ticket_id=seen.ticket_id, task_id=seen.task_id)  # step 3
    if entry.is_locked:
        raise ConflictError("This entry is on an invoice and cannot be deleted.")
    _check_entry_not_locked(entry, action="deleted")
    _lock_lines_and_projects(places=[(entry.task_id, entry.sale_line_id, entry.project_id)])
    attribute_to(entry, actor)
    entry.delete()


# --- billed time: adjustments and approval (rules 28, 33) -----------------------------


@retry_on_conflict
def timesheet_adjust_billed(
    *, entry: TimesheetEntry, minutes: Any, reason: str = "", actor
) -> TimesheetEntry:
    """A manager sets the billed minutes of an uninvoiced entry by hand (a write-up or a
    write-off) with a reason; `minutes=None` clears it (rule 28). Who and when are kept
    with it, and the entry's history records each change."""
    if actor is None or not is_manager(actor):
        raise PermissionDenied("Only a manager adjusts billed time.")
    if minutes is not None and minutes != "":
        if isinstance(minutes, str) and minutes.strip() == "0":
            minutes = 0
        minutes = 0 if minutes == 0 else _clean_minutes(minutes)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(
                {"adjust_reason": "Say why the billed time is adjusted (shown with it)."}
            )
        if len(reason) > 200:
            raise ValidationError({"adjust_reason": "A reason is at most 200 characters."})
    else:
        minutes, reason = None, ""
    seen = _read_under_ticket_lock(pk=entry.pk)  # step 1
    _lock(Task, [seen.task_id])  # step 2
    entry = _lock_entry(pk=entry.pk, ticket_id=seen.ticket_id, task_id=seen.task_id)  # 3
    if entry.is_locked:
        raise ConflictError("This entry is on an invoice: its billed time cannot change.")
    _check_entry_not_locked(entry, action="adjusted")
    if entry.billed_minutes_override == minutes and (
        minutes is None or entry.adjust_reason == reason
    ):
        return entry
    entry.billed_minutes_override = minutes
    entry.adjust_reason = reason
    entry.adjusted_by = actor if minutes is not None else None
    entry.adjusted_at = timezone.now() if minutes is not None else None
    _bill(entry, task=entry.task, also=[entry.sale_line_id])  # step 4, old and new line
    _lock(Project, [entry.project_id] if entry.task_id is None else [])  # step 5
    attribute_to(entry, actor)
    entry.save()
    return entry


@retry_on_conflict
def timesheets_approve(*, entries: Iterable[TimesheetEntry | int], actor) -> int:
    """Rule 33: the given entries that are To approve become Approved and are billed.

    Entries already approved, not subject to approval, invoiced or in a locked period
    are left as they are; the count approved is returned. Entries are locked in pk
    order after their tasks (lock order steps 2, 3; an approval moves no entry), then
    their lines (4), and rolled up once.
    """
    if actor is None or not is_manager(actor):
        raise PermissionDenied("Only a manager approves time.")
    try:
        ids = sorted({int(getattr(item, "pk", item)) for item in entries})
    except (TypeError, ValueError):
        raise ValidationError({"ids": "Give the ids of the entries to approve."}) from None
    if not ids:
        return 0
    pending = TimesheetEntry.objects.filter(
        pk__in=ids, approval_state=TimesheetEntry.TO_APPROVE, invoice_line__isnull=True
    )
    locked = timesheets_locked_up_to()
    if locked is not None:
        pending = pending.filter(date__gt=locked)
    with transaction.atomic():
        _lock(Task, pending.values_list("task_id", flat=True))  # step 2
        rows = list(
            pending.select_for_update(of=("self",)).select_related("work_type").order_by("pk")
        )  # step 3
        if not rows:
            return 0
        now = timezone.now()
        lines = {
            line.pk: line
            for line in line_candidates(
                task=None, also=[row.sale_line_id for row in rows], lock=True
            )
        }  # step 4
        for row in rows:
            row.approval_state = TimesheetEntry.APPROVED
            row.approved_by, row.approved_at = actor, now
            row.billed_minutes = billed_minutes(
                row, line=lines.get(row.sale_line_id), work_type=row.work_type
            )
        TimesheetEntry.objects.bulk_update(
            rows, ["approval_state", "approved_by", "approved_at", "billed_minutes"]
        )
        history_record_changed(
            TimesheetEntry, [row.pk for row in rows], user=actor, reason="Approved (rule 33)"
        )
        rollup_delivered(line_ids=[row.sale_line_id for row in rows])
    return len(rows)


def entries_rebill(*, line_ids: Iterable[int] = (), work_type_ids: Iterable[int] = ()) -> int:
    """Route and bill again the uninvoiced entries of these lines' orders, or of these
    work types (a rounding rule, a rate line or a work type's billing changed), except
    those of a locked period (rule 34), which keep what was reviewed.

    Runs inside the transaction that changed them. Entries being written right now are
    skipped, not waited for (as invoicing does): their own write routes and bills them
    under the line locks this transaction holds, so it sees the change once it commits.
    """
    line_ids = sorted({pk for pk in line_ids if pk})
    work_type_ids = sorted({pk for pk in work_type_ids if pk})
    if not line_ids and not work_type_ids:
        return 0
    with transaction.atomic():
        scope = Q()
        if line_ids:
            orders = SaleOrderLine.objects.filter(pk__in=line_ids).values("order_id")
            scope |= Q(sale_line__order_id__in=orders) | Q(task__sale_line__order_id__in=orders)
        if work_type_ids:
            scope |= Q(work_type_id__in=work_type_ids)
        entries = TimesheetEntry.objects.filter(scope, invoice_line__isnull=True)
        locked = timesheets_locked_up_to()
        if locked is not None:
            entries = entries.filter(date__gt=locked)
        rows = list(
            entries.select_for_update(of=("self",), skip_locked=True)
            .select_related("work_type", "task")
            .order_by("pk")
        )
        return _rebill_rows(rows)


def _rebill_rows(rows: list[TimesheetEntry]) -> int:
    """Route and bill these locked entries again; write and roll up those that changed."""
    if not rows:
        return 0
    tasks = {row.task_id: row.task for row in rows if row.task_id}
    candidates = {
        task_id: line_candidates(task=task, lock=False) for task_id, task in tasks.items()
    }
    changed, line_ids = [], set()
    for row in rows:
        line = route_line(
            candidates.get(row.task_id, []),
            task=row.task,
            work_type_id=row.work_type_id,
            employee_id=row.employee_id,
        )
        new_line_id = line.pk if line else None
        billed = billed_minutes(row, line=line, work_type=row.work_type)
        if (new_line_id, billed) != (row.sale_line_id, row.billed_minutes):
            line_ids |= {row.sale_line_id, new_line_id}
            row.sale_line_id, row.billed_minutes = new_line_id, billed
            changed.append(row)
    if changed:
        _lock(SaleOrderLine, line_ids)  # step 4
        TimesheetEntry.objects.bulk_update(changed, ["sale_line_id", "billed_minutes"])
        rollup_delivered(line_ids=line_ids)
    return len(changed)


# --- moves that follow a ticket or a task --------------------------------------------


@retry_on_conflict
def entries_follow_ticket(*, ticket: Ticket, actor=None) -> int:
    """Rules 10 and 13: the ticket's uninvoiced entries move to its (new) task and to its
    (new) team's project; invoiced ones stay where they were billed. Each moved entry's
    history records the move and `actor`, who made it (a bulk UPDATE writes none itself).

    The ticket's lock (step 1; helpdesk, the caller, holds it already) keeps entries from
    joining or leaving it meanwhile; the entries' tasks and the new one are locked before
    the entries (step 2).
    """
    ticket = (
        Ticket.objects.select_for_update(of=("self",), no_key=True)
        .select_related("team")
        .get(pk=ticket.pk)
    )
    entries = TimesheetEntry.objects.filter(ticket=ticket, invoice_line__isnull=True)
    locked = timesheets_locked_up_to()
    if locked is not None:  # rule 34: entries of a locked period stay where they are
        entries = entries.filter(date__gt=locked)
    task_ids = set(entries.values_list("task_id", flat=True)) | {ticket.task_id}
    _lock(Task, task_ids)  # step 2
    rows = list(  # step 3
        entries.select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "task_id", "sale_line_id", "project_id")
    )
    if not {task_id for _, task_id, _, _ in rows} <= task_ids:  # an invoice freed one
        raise TransientConflict(f"Ticket {ticket.pk}'s entries changed while being locked.")
    task = Task.objects.get(pk=ticket.task_id) if ticket.task_id else None
    new_line_id = task.sale_line_id if task else None
    # The task's project (a ticket's task is one of its team's); without a task, the
    # team's, if it has one (a team without a project leaves them where they are).
    project_id = task.project_id if task else ticket.team.project_id
    pks, places = [], []
    for pk, *place in rows:
        new_place = (ticket.task_id, new_line_id, project_id or place[2])
        if tuple(place) != new_place:
            pks.append(pk)
            places += [tuple(place), new_place]
    if not pks:
        return 0
    _lock_lines_and_projects(places=places)  # steps 4, 5
    changes = {"task": task, "sale_line_id": new_line_id}
    if project_id:
        changes["project_id"] = project_id
    moved = TimesheetEntry.objects.filter(pk__in=pks).update(**changes)
    history_record_changed(
        TimesheetEntry, pks, user=actor, reason=f"Followed ticket #{ticket.pk} (rules 10, 13)"
    )
    # On their new task: its order's rate lines and its line's rounding rule (rules 29-30).
    _rebill_rows(
        list(TimesheetEntry.objects.filter(pk__in=pks).select_related("work_type", "task"))
    )
    rollup_entries(
        task_ids=[task_id for task_id, _, _ in places],
        line_ids=[line_id for _, line_id, _ in places],
        project_ids=[project for task_id, _, project in places if task_id is None],
    )
    return moved


@transaction.atomic
def entries_follow_task(*, task: Task, old_sale_line_id: int | None) -> int:
    """The task bills another order line: its entries follow, unless some are invoiced
    or dated in a locked period (rule 34). The caller (`task_update`) holds the task's
    lock (step 2); entries, then lines."""
    entries = TimesheetEntry.objects.filter(task=task)
    rows = entries.select_for_update(of=("self",)).order_by("pk")
    rows = list(rows.values_list("invoice_line_id", "date"))
    if any(invoice_line for invoice_line, _ in rows):
        raise ConflictError(
            f"Task “{task}” has invoiced entries; its sales order item cannot change."
        )
    lock_date = timesheets_locked_up_to()
    if lock_date is not None and any(day <= lock_date for _, day in rows):
        raise ConflictError(
            f"Task “{task}” has entries dated up to {lock_date.isoformat()}, a locked period; "
            "its sales order item cannot change."
        )
    moved = entries.update(sale_line_id=task.sale_line_id)
    rollup_delivered(line_ids={old_sale_line_id, task.sale_line_id})
    # On the new line: its order's rate lines and its rounding rule (rules 29-30).
    _rebill_rows(list(entries.select_related("work_type", "task")))
    return moved


# --- the rollups ----------------------------------------------------------------------


def rollup_entries(
    *,
    task_ids: Iterable[int | None] = (),
    line_ids: Iterable[int | None] = (),
    project_ids: Iterable[int | None] = (),
) -> None:
    """After entries were written: the logged minutes of these tasks, Delivered of these
    lines and the minutes without a task of these projects, in the lock order above."""
    task_ids = sorted({pk for pk in task_ids if pk})
    project_ids = sorted({pk for pk in project_ids if pk})
    with transaction.atomic():
        _lock(Task, task_ids)
        rollup_delivered(line_ids=line_ids)
        _lock(Project, project_ids)
        _write_logged(task_ids=task_ids, project_ids=project_ids)


def rollup_entry(*, entry: TimesheetEntry) -> None:
    """After one entry was saved or deleted: recompute where it is now and where it was
    (`TimesheetEntry.loaded_place`), then remember the new place."""
    was = entry.loaded_place
    projects = set()
    if entry.task_id is None:
        projects.add(entry.project_id)
    if was is not None and was.task_id is None:
        projects.add(was.project_id)
    rollup_entries(
        task_ids={was and was.task_id, entry.task_id},
        line_ids={was and was.sale_line_id, entry.sale_line_id},
        project_ids=projects,
    )
    entry.remember_place()


def _write_logged(*, task_ids: list[int], project_ids: list[int]) -> None:
    """Task.logged_minutes (all the task's entries) and Project.untasked_minutes (the
    project's entries without a task), one UPDATE per table. Like Delivered: summed from
    the source rows, never incremented; the caller holds the row locks, so the sums see
    what a writer that held them before committed."""
    if task_ids:
        Task.objects.filter(pk__in=task_ids).update(
            logged_minutes=_minutes_of(TimesheetEntry.objects.all(), "task")
        )
    if project_ids:
        Project.objects.filter(pk__in=project_ids).update(
            untasked_minutes=_minutes_of(TimesheetEntry.objects.filter(task=None), "project")
        )


def _minutes_of(entries, group_by: str) -> Coalesce:
    """SUM(minutes) of `entries` whose `group_by` is the row being updated, 0 when none."""
    total = (
        entries.filter(**{group_by: OuterRef("pk")})
        .order_by()
        .values(group_by)
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


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
            SaleOrderLine.objects.select_for_update(of=("self",), no_key=True)
            .select_related("uom")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        # Delivered sums billed minutes (rule 28).
        totals = dict(
            TimesheetEntry.objects.filter(sale_line_id__in=ids)
            .values("sale_line_id")
            .annotate(total=Sum("billed_minutes"))
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


@dataclass(frozen=True)
class LoggedDifference:
    """A task's logged minutes, or a project's minutes without a task, that differ."""

    kind: str  # "task" or "project"
    pk: int
    name: str
    stored_minutes: int
    expected_minutes: int

    def __str__(self) -> str:
        what = "logged" if self.kind == "task" else "logged without a task"
        return (
            f"{self.kind.capitalize()} {self.pk} {self.name}: {what} stored "
            f"{format_minutes(self.stored_minutes)}, entries say "
            f"{format_minutes(self.expected_minutes)}"
        )


@dataclass(frozen=True)
class BilledDifference:
    """An uninvoiced entry whose line or billed minutes differ from what the rules say."""

    entry_id: int
    stored_line_id: int | None
    stored_billed: int
    expected_line_id: int | None
    expected_billed: int

    def __str__(self) -> str:
        line = ""
        if self.stored_line_id != self.expected_line_id:
            line = f" on line {self.stored_line_id}, rules say line {self.expected_line_id};"
        return (
            f"Entry {self.entry_id}:{line} billed {format_minutes(self.stored_billed)}, "
            f"rules say {format_minutes(self.expected_billed)}"
        )


def expected_billed_minutes() -> Case:
    """Rules 28-29 as one SQL expression over an entry (its line, its work type): what
    `timesheets.billing.billed_minutes` computes, set-based for the full-table check.
    Integer division on both databases: up = ceil(m / i) * i, nearest (half up) =
    floor((2m + i) / 2i) * i."""
    increment = F("sale_line__rounding_increment")
    up = (F("minutes") + increment - 1) / increment * increment
    nearest = (F("minutes") * 2 + increment) / (increment * 2) * increment
    rounded = Case(
        When(sale_line__rounding_mode=RoundingMode.NEAREST, then=nearest),
        default=up,
        output_field=IntegerField(),
    )
    return Case(
        When(
            Q(sale_line__isnull=True)
            | Q(non_billable=True)
            | Q(work_type__billing=WorkType.NON_BILLABLE)
            | Q(approval_state=TimesheetEntry.TO_APPROVE),
            then=Value(0),
        ),
        When(billed_minutes_override__isnull=False, then=F("billed_minutes_override")),
        When(work_type__billing=WorkType.NO_CHARGE, then=Value(0)),
        default=Greatest(F("sale_line__minimum_minutes"), rounded),
        output_field=IntegerField(),
    )


def _billed_differences(*, fix: bool) -> list[BilledDifference]:
    """Uninvoiced entries whose billed minutes differ from rules 28-29 (one query over
    the table), and those on an order with rate lines whose line differs from rule 30
    (routed again in memory: rate lines are few). With `fix`, the differing ones are
    routed and billed again under locks (entries being written right now are skipped:
    their own write bills them)."""
    uninvoiced = TimesheetEntry.objects.filter(invoice_line__isnull=True)
    wrong_billed = dict(
        uninvoiced.annotate(expected=expected_billed_minutes())
        .exclude(expected=F("billed_minutes"))
        .values_list("pk", "expected")
    )
    rate_orders = SaleOrderLine.objects.filter(
        Q(rate_work_type__isnull=False) | Q(rate_employee__isnull=False)
    ).values("order_id")
    routed = uninvoiced.filter(task__sale_line__order_id__in=rate_orders).select_related(
        "work_type", "task"
    )
    candidates: dict[int, list] = {}
    wrong_line = {}
    for row in routed.order_by("pk").iterator(chunk_size=2000):
        if row.task_id not in candidates:
            candidates[row.task_id] = line_candidates(task=row.task)
        line = route_line(
            candidates[row.task_id],
            task=row.task,
            work_type_id=row.work_type_id,
            employee_id=row.employee_id,
        )
        expected = (
            line.pk if line else None,
            billed_minutes(row, line=line, work_type=row.work_type),
        )
        if expected != (row.sale_line_id, row.billed_minutes):
            wrong_line[row.pk] = expected
    ids = sorted(set(wrong_billed) | set(wrong_line))
    stored = dict(
        (pk, (line_id, billed))
        for pk, line_id, billed in TimesheetEntry.objects.filter(pk__in=ids).values_list(
            "pk", "sale_line_id", "billed_minutes"
        )
    )
    report = []
    for pk in ids:
        line_id, billed = stored[pk]
        expected_line, expected_billed = wrong_line.get(pk, (line_id, wrong_billed.get(pk)))
        report.append(BilledDifference(pk, line_id, billed, expected_line, expected_billed))
    if fix and report:
        rows = list(
            TimesheetEntry.objects.filter(pk__in=ids, invoice_line__isnull=True)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("work_type", "task")
            .order_by("pk")
        )
        _rebill_rows(rows)
    return report


@transaction.atomic
def recompute_all_delivered(
    *, fix: bool = True
) -> list["LineDifference | LoggedDifference | BilledDifference"]:
    """Recompute every uninvoiced entry's line and billed minutes (rules 28-30), every
    line's Delivered, every task's logged minutes and every project's minutes without a
    task from scratch: one aggregate per figure; then fix what differs under the
    rollups' locks. Invoiced entries keep the billed minutes their invoice billed."""
    report: list[LineDifference | LoggedDifference | BilledDifference] = _billed_differences(
        fix=fix
    )
    totals = dict(
        TimesheetEntry.objects.filter(sale_line__isnull=False)
        .values("sale_line_id")
        .annotate(total=Sum("billed_minutes"))
        .values_list("sale_line_id", "total")
    )
    lines = SaleOrderLine.objects.select_related("uom", "order").only(
        "pk", "delivered_minutes", "qty_delivered", "uom", "order__name"
    )
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
    line_ids = [diff.line_id for diff in report if isinstance(diff, LineDifference)]
    report += _logged_differences(
        "task", Task.objects.only("pk", "name", "logged_minutes"), "logged_minutes", "task"
    )
    report += _logged_differences(
        "project",
        Project.objects.only("pk", "name", "untasked_minutes"),
        "untasked_minutes",
        "project",
        entries=TimesheetEntry.objects.filter(task=None),
    )
    if fix and report:
        # Re-run under locks for just what differs, so concurrent logging stays right.
        logged = [diff for diff in report if isinstance(diff, LoggedDifference)]
        rollup_entries(
            task_ids=[diff.pk for diff in logged if diff.kind == "task"],
            line_ids=line_ids,
            project_ids=[diff.pk for diff in logged if diff.kind == "project"],
        )
    return report


def _logged_differences(
    kind: str, rows, stored: str, group_by: str, entries=None
) -> list[LoggedDifference]:
    entries = TimesheetEntry.objects.all() if entries is None else entries
    totals = dict(
        entries.filter(**{f"{group_by}__isnull": False})
        .values(f"{group_by}_id")
        .annotate(total=Sum("minutes"))
        .values_list(f"{group_by}_id", "total")
    )
    report = []
    for row in rows.iterator(chunk_size=5000):
        minutes = int(totals.get(row.pk) or 0)
        if getattr(row, stored) != minutes:
            report.append(LoggedDifference(kind, row.pk, row.name, getattr(row, stored), minutes))
    return report
