"""Worked time and billed time (DOMAIN.md rules 27-30, 33): which line an entry goes to
and how many of its minutes are billed. Plain functions over already-loaded rows; the
services in timesheets.services call them under their locks and write the result.
"""

from collections.abc import Iterable

from django.db.models import Q, Subquery

from helpdesk.models import HelpdeskTeam, Ticket
from projects.models import Project, Task
from sales.models import SaleOrderLine, WorkType
from timesheets.models import TimesheetEntry

# What the line of an entry needs to bill it: its rounding rule and its rate fields.
LINE_FIELDS = (
    "pk",
    "order_id",
    "rate_work_type_id",
    "rate_employee_id",
    *SaleOrderLine.ROUNDING_FIELDS,
)


def line_candidates(
    *, task: Task | None, also: Iterable[int | None] = (), lock: bool = False
) -> list[SaleOrderLine]:
    """The task's line and the rate lines of its order (rule 30), in one query; with
    `also`, those lines too (where an entry was, so one statement locks old and new).

    Only a confirmed order's rate lines are candidates (the task's own line stays its
    line whatever its order's state). With `lock`, every row is locked FOR NO KEY
    UPDATE in primary-key order (the lock order's step 4).
    """
    also = [pk for pk in also if pk]
    wanted = Q(pk__in=also)
    if task is not None and task.sale_line_id is not None:
        order = SaleOrderLine.objects.filter(pk=task.sale_line_id).values("order_id")[:1]
        wanted |= Q(pk=task.sale_line_id) | (
            Q(order_id=Subquery(order))
            & Q(order__state="sale")
            & (Q(rate_work_type__isnull=False) | Q(rate_employee__isnull=False))
        )
    elif not also:
        return []
    lines = SaleOrderLine.objects.filter(wanted).only(*LINE_FIELDS).order_by("pk")
    if lock:
        lines = lines.select_for_update(of=("self",), no_key=True)
    return list(lines)


def route_line(
    candidates: Iterable[SaleOrderLine], *, task: Task | None, work_type_id: int, employee_id: int
) -> SaleOrderLine | None:
    """Rule 30: the most specific matching rate line (work type and employee, then work
    type, then employee), else the task's line; None for an entry without a sale line."""
    if task is None or task.sale_line_id is None:
        return None
    best, best_rank = None, 0
    own = None
    order_id = next((line.order_id for line in candidates if line.pk == task.sale_line_id), None)
    for line in candidates:
        if line.order_id != order_id:
            continue  # a line the entry leaves, of another order
        if line.pk == task.sale_line_id:
            own = line
        wt, emp = line.rate_work_type_id, line.rate_employee_id
        if wt is None and emp is None:
            continue
        if (wt is not None and wt != work_type_id) or (emp is not None and emp != employee_id):
            continue
        rank = 3 if wt is not None and emp is not None else 2 if wt is not None else 1
        # Two equally specific lines: the first by pk, so the choice is stable.
        if rank > best_rank or (rank == best_rank and line.pk < best.pk):
            best, best_rank = line, rank
    return best or own


def billed_minutes(
    entry: TimesheetEntry, *, line: SaleOrderLine | None, work_type: WorkType
) -> int:
    """Rule 28: 0 unless the entry is billable (a sale line, a Billable work type, not
    marked non-billable, approved where approval is on); else the manager's override if
    there is one, else the line's rounding rule (29) applied to the worked minutes.

    A No charge entry bills 0:00 but is still billed (it shows on the appendix); a
    manager's override on it is a write-up and is billed as set.
    """
    if (
        line is None
        or entry.non_billable
        or work_type.billing == WorkType.NON_BILLABLE
        or entry.approval_state == TimesheetEntry.TO_APPROVE
    ):
        return 0
    if entry.billed_minutes_override is not None:
        return entry.billed_minutes_override
    if work_type.billing == WorkType.NO_CHARGE:
        return 0
    return line.billed_minutes_for(entry.minutes)


def approval_required(*, project: Project, ticket: Ticket | None) -> bool:
    """Rule 33: the ticket's team approves time; an entry without a ticket, when a team
    working in its project does."""
    if ticket is not None:
        return ticket.team.approve_time
    return HelpdeskTeam.objects.filter(project=project, approve_time=True).exists()


def default_work_type(*, ticket: Ticket | None) -> WorkType:
    """Rule 27: the ticket's team's default work type, else "Support" (Billable)."""
    if ticket is not None and ticket.team.default_work_type_id:
        return ticket.team.default_work_type
    return WorkType.default()
