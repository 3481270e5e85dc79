"""Reads for the Timesheets pages, the ticket's Timesheets tab and the task's entries."""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import BooleanField, Count, F, Func, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from core.numbers import format_minutes
from helpdesk.models import HelpdeskTeam, Ticket
from projects.models import Project, Task
from sales.models import SaleOrderLine
from timesheets.models import TimesheetEntry

BILLED = "billed"
NOT_BILLED = "not_billed"
NON_BILLABLE = "non_billable"
BILLING_CHOICES = [
    ("", "Any billing"),
    (BILLED, "Billed"),
    (NOT_BILLED, "Not billed"),
    (NON_BILLABLE, "Non-billable"),
]


def entries_qs() -> QuerySet[TimesheetEntry]:
    """Entries with everything a row shows, in the same query (not the invoice's appendix:
    a JSON copy of all its entries)."""
    return TimesheetEntry.objects.select_related(
        "employee", "project", "task", "ticket", "sale_line__order", "invoice_line__invoice"
    ).defer("invoice_line__invoice__appendix")


def entries_for_ticket(*, ticket: Ticket) -> QuerySet[TimesheetEntry]:
    return entries_qs().filter(ticket=ticket).order_by("-date", "-id")


def entries_for_task(*, task: Task) -> QuerySet[TimesheetEntry]:
    """All the task's entries, those logged from its tickets included (one record each)."""
    return entries_qs().filter(task=task).order_by("-date", "-id")


def ticket_for_entries(*, pk: int) -> Ticket | None:
    """A ticket with what its Timesheets tab needs: team, project, task and order line."""
    return (
        Ticket.objects.select_related(
            "team__project", "customer", "task__sale_line__order", "task__sale_line__uom"
        )
        .filter(pk=pk)
        .first()
    )


def task_for_entries(*, pk: int) -> Task | None:
    return (
        Task.objects.select_related("project", "sale_line__order", "sale_line__uom")
        .filter(pk=pk)
        .first()
    )


def entry_on(*, entry_pk: int, ticket: Ticket | None = None, task: Task | None = None):
    """The entry if it is one of this ticket's (or this task's), else None."""
    qs = TimesheetEntry.objects.select_related("employee").filter(pk=entry_pk)
    qs = qs.filter(ticket=ticket) if ticket is not None else qs.filter(task=task)
    return qs.first()


def total_minutes(entries: list[TimesheetEntry]) -> int:
    return sum(entry.minutes for entry in entries)


# --- All Timesheets ---------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFilters:
    employee: int | None = None
    project: int | None = None
    customer: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    billing: str = ""


def entry_list(*, filters: EntryFilters) -> QuerySet[TimesheetEntry]:
    """The filtered entries with what a row of the list (or the CSV) shows; not the
    invoice (a row shows Billed from `invoice_line_id`): two joins fewer to plan."""
    qs = TimesheetEntry.objects.select_related(
        "employee", "project", "task", "ticket", "sale_line__order"
    )
    if filters.employee:
        qs = qs.filter(employee_id=filters.employee)
    if filters.project:
        qs = qs.filter(project_id=filters.project)
    if filters.customer:
        qs = qs.filter(of_customer(filters.customer))
    if filters.date_from:
        qs = qs.filter(date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(date__lte=filters.date_to)
    if filters.billing == BILLED:
        qs = qs.filter(invoice_line__isnull=False)
    elif filters.billing == NOT_BILLED:
        qs = qs.filter(sale_line__isnull=False, invoice_line__isnull=True)
    elif filters.billing == NON_BILLABLE:
        qs = qs.filter(sale_line__isnull=True)
    return qs.order_by("-date", "-id")


class _AnyOf(Func):
    """`column = ANY(ARRAY(subquery))` on PostgreSQL, `column IN (subquery)` elsewhere.

    An entry is the customer's when its ticket, its task or its order line is. Written as
    joins (`ticket__customer=c OR task__customer=c OR ...`), or as `IN (subquery)` under
    an OR, no index applies and PostgreSQL reads every entry of the period (60 ms for a
    month of 1M entries, twice a page). With `= ANY(ARRAY(...))` each subquery runs once
    (an InitPlan) and becomes an index condition on (ticket|task|sale_line, date): the
    three branches are OR-ed as bitmaps, 2 ms.
    """

    output_field = BooleanField()

    def __init__(self, column: str, subquery: QuerySet):
        super().__init__(F(column), Subquery(subquery))

    def as_sql(self, compiler, connection, **extra_context):
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)  # "(SELECT ...)"
        if connection.vendor == "postgresql":
            sql = f"{column_sql} = ANY(ARRAY{subquery_sql})"
        else:
            sql = f"{column_sql} IN {subquery_sql}"
        return sql, (*column_params, *subquery_params)


def of_customer(customer_id: int):
    """The condition "this entry is the customer's" (see _AnyOf)."""
    tickets = Ticket.objects.filter(customer_id=customer_id).order_by().values("id")
    tasks = Task.objects.filter(customer_id=customer_id).order_by().values("id")
    lines = SaleOrderLine.objects.filter(order__customer_id=customer_id).order_by().values("id")
    return _AnyOf("ticket_id", tickets) | _AnyOf("task_id", tasks) | _AnyOf("sale_line_id", lines)


def entry_count_and_totals(entries: QuerySet[TimesheetEntry]) -> tuple[int, dict[str, int]]:
    """Number of the filtered entries, and their total, billable and billed minutes, in
    one query (the paginator takes its count from here: no second scan for a COUNT)."""
    totals = entries.order_by().aggregate(
        count=Count("id"),
        total=Sum("minutes"),
        billable=Sum("minutes", filter=Q(sale_line__isnull=False)),
        billed=Sum("minutes", filter=Q(invoice_line__isnull=False)),
    )
    count = totals.pop("count")
    return count, {key: int(value or 0) for key, value in totals.items()}


# --- My Timesheets: the week grid -----------------------------------------------------


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class GridCell:
    row_key: str
    date: datetime.date
    entries: list[TimesheetEntry] = field(default_factory=list)
    is_today: bool = False

    @cached_property
    def minutes(self) -> int:
        """Read once the grid is filled (its entries no longer change)."""
        return sum(entry.minutes for entry in self.entries)

    @property
    def single(self) -> TimesheetEntry | None:
        return self.entries[0] if len(self.entries) == 1 else None

    @property
    def editable(self) -> bool:
        """Typed into when empty or holding one unlocked entry."""
        return not self.entries or (len(self.entries) == 1 and not self.entries[0].is_locked)

    @property
    def cell_id(self) -> str:
        return f"cell-{self.row_key}-{self.date:%Y%m%d}"

    # Ready-made strings: the grid has a cell per row and day (1,400 on a busy week), so
    # the template only prints them (date filters and {% url %} per cell were most of it).
    @property
    def iso(self) -> str:
        return self.date.isoformat()

    @property
    def day_label(self) -> str:
        return f"{self.date:%A} {self.date.day} {self.date:%B}"

    @property
    def display(self) -> str:
        minutes = self.minutes
        return format_minutes(minutes) if minutes else ""


@dataclass
class GridRow:
    key: str  # "ticket-12", "task-5" or "project-3"
    label: str
    url: str
    cells: list[GridCell]

    @property
    def minutes(self) -> int:
        return sum(cell.minutes for cell in self.cells)


@dataclass
class WeekGrid:
    monday: datetime.date
    days: list[datetime.date]
    rows: list[GridRow]

    @property
    def day_totals(self) -> list[tuple[datetime.date, int]]:
        return [
            (day, sum(row.cells[i].minutes for row in self.rows)) for i, day in enumerate(self.days)
        ]

    @property
    def minutes(self) -> int:
        return sum(row.minutes for row in self.rows)

    def row(self, key: str) -> GridRow | None:
        return next((row for row in self.rows if row.key == key), None)


def row_key_of(entry: TimesheetEntry) -> str:
    if entry.ticket_id:
        return f"ticket-{entry.ticket_id}"
    if entry.task_id:
        return f"task-{entry.task_id}"
    return f"project-{entry.project_id}"


def week_grid(*, employee, monday: datetime.date, extra_keys: list[str] = ()) -> WeekGrid:
    """The employee's week: one row per ticket / task / project, one column per day.

    Three queries at most whatever the number of rows: the week's entries (with their
    ticket, task and project), then the tickets and the tasks of the extra (empty) rows.
    """
    from django.urls import reverse

    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    today = timezone.localdate()
    entries = list(
        TimesheetEntry.objects.filter(employee=employee, date__range=(days[0], days[-1]))
        .select_related("ticket", "task", "project")
        # Only what the grid shows: 250 entries a busy week, their tickets' texts unread.
        .only(
            "date",
            "minutes",
            "ticket_id",
            "task_id",
            "project_id",
            "sale_line_id",
            "invoice_line_id",
            "ticket__subject",
            "task__name",
            "project__name",
        )
        .order_by("date", "id")
    )
    labels: dict[str, tuple[str, str]] = {}
    for entry in entries:
        key = row_key_of(entry)
        if key in labels:
            continue
        if entry.ticket_id:
            labels[key] = (
                f"#{entry.ticket_id} {entry.ticket.subject}",
                reverse("helpdesk:ticket_detail", args=[entry.ticket_id]),
            )
        elif entry.task_id:
            labels[key] = (entry.task.name, reverse("projects:task_detail", args=[entry.task_id]))
        else:
            labels[key] = (
                entry.project.name,
                reverse("projects:project_detail", args=[entry.project_id]),
            )
    extra = parse_row_keys([key for key in extra_keys if key not in labels])
    if extra["ticket"]:
        for ticket in Ticket.objects.filter(pk__in=extra["ticket"]):
            labels[f"ticket-{ticket.pk}"] = (
                f"#{ticket.pk} {ticket.subject}",
                reverse("helpdesk:ticket_detail", args=[ticket.pk]),
            )
    if extra["task"]:
        for task in Task.objects.filter(pk__in=extra["task"]):
            labels[f"task-{task.pk}"] = (
                task.name,
                reverse("projects:task_detail", args=[task.pk]),
            )
    cells: dict[tuple[str, datetime.date], GridCell] = {}
    for key in labels:
        for day in days:
            cells[(key, day)] = GridCell(row_key=key, date=day, is_today=day == today)
    for entry in entries:
        cells[(row_key_of(entry), entry.date)].entries.append(entry)
    rows = [
        GridRow(key=key, label=label, url=url, cells=[cells[(key, day)] for day in days])
        for key, (label, url) in labels.items()
    ]
    return WeekGrid(monday=monday, days=days, rows=rows)


def parse_row_keys(keys) -> dict[str, list[int]]:
    """'ticket-12' / 'task-5' / 'project-3' keys by kind; malformed keys are ignored."""
    parsed: dict[str, list[int]] = {"ticket": [], "task": [], "project": []}
    for key in keys:
        kind, _, pk = str(key).partition("-")
        if kind in parsed and pk.isdigit():
            parsed[kind].append(int(pk))
    return parsed


def row_target(key: str) -> dict:
    """The ticket / task / project a grid row logs on, as timesheet_log keyword arguments.

    Raises the model's DoesNotExist for an unknown key.
    """
    parsed = parse_row_keys([key])
    if parsed["ticket"]:
        return {
            "ticket": Ticket.objects.select_related("team__project", "task").get(
                pk=parsed["ticket"][0]
            )
        }
    if parsed["task"]:
        return {"task": Task.objects.select_related("project").get(pk=parsed["task"][0])}
    if parsed["project"]:
        return {"project": Project.objects.get(pk=parsed["project"][0])}
    raise TimesheetEntry.DoesNotExist(f"Unknown row {key!r}.")


def cell_entries(*, employee, key: str, date: datetime.date) -> list[TimesheetEntry]:
    """The employee's entries of one grid cell."""
    parsed = parse_row_keys([key])
    qs = TimesheetEntry.objects.filter(employee=employee, date=date)
    if parsed["ticket"]:
        qs = qs.filter(ticket_id=parsed["ticket"][0])
    elif parsed["task"]:
        qs = qs.filter(task_id=parsed["task"][0], ticket__isnull=True)
    elif parsed["project"]:
        qs = qs.filter(project_id=parsed["project"][0], task__isnull=True, ticket__isnull=True)
    else:
        return []
    return list(qs.order_by("id"))


def loggable_tickets(*, user) -> QuerySet[Ticket]:
    """Open tickets of teams with Timesheet on Ticket: rows that can be added to the grid.

    The newest 200 of the user's own, the unassigned and those of the user's teams. The
    team test is an `IN (ids)` rather than a join: no DISTINCT, so PostgreSQL walks the
    primary key backwards and stops at 200.
    """
    my_teams = HelpdeskTeam.members.through.objects.filter(user=user).values("helpdeskteam_id")
    return (
        Ticket.objects.filter(stage__in=Ticket.OPEN_STAGES, team__use_timesheets=True)
        .filter(Q(assignee=user) | Q(assignee__isnull=True) | Q(team_id__in=my_teams))
        .only("id", "subject")
        .order_by("-id")[:200]
    )


def loggable_tasks() -> list[Task]:
    """The newest 200 open tasks of active projects with timesheets, by project and name
    (picking the newest first reads 200 rows by the primary key, not all open tasks)."""
    newest = (
        Task.objects.filter(project__allow_timesheets=True, project__active=True)
        .exclude(stage__in=[Task.DONE, Task.CANCELLED])
        .select_related("project")
        .only("id", "name", "project__name")
        .order_by("-id")[:200]
    )
    return sorted(newest, key=lambda task: (task.project.name, task.name))
