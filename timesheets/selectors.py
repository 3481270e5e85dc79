"""Reads for the Timesheets pages, the ticket's Timesheets tab and the task's entries."""

import datetime
import functools
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import BooleanField, Count, F, Func, Q, QuerySet, Subquery, Sum, Window
from django.utils import timezone

from core.links import url_of
from core.naming import invoice_name
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


class PanelEntry(NamedTuple):
    """An entry as an entries panel shows it: plain values, not a model instance (50 rows
    of three joined models cost more to build than to fetch)."""

    pk: int
    date: datetime.date
    minutes: int
    description: str
    employee_id: int
    ticket_id: int | None
    invoice_line_id: int | None
    first_name: str
    last_name: str
    username: str
    ticket_subject: str | None
    invoice_id: int | None
    invoice_number: str | None
    invoice_move_type: str | None

    @property
    def employee_name(self) -> str:
        """As User.get_full_name(), else the username."""
        return f"{self.first_name} {self.last_name}".strip() or self.username

    @property
    def duration_display(self) -> str:
        return format_minutes(self.minutes)

    @property
    def is_locked(self) -> bool:
        return self.invoice_line_id is not None

    @property
    def invoice_label(self) -> str:
        """The invoice as the invoice itself names it (its number, or "Draft ...")."""
        if self.invoice_id is None:
            return ""
        return invoice_name(
            pk=self.invoice_id, number=self.invoice_number, move_type=self.invoice_move_type
        )


_PANEL_COLUMNS = (
    "pk",
    "date",
    "minutes",
    "description",
    "employee_id",
    "ticket_id",
    "invoice_line_id",
    "employee__first_name",
    "employee__last_name",
    "employee__username",
    "ticket__subject",
    "invoice_line__invoice_id",
    "invoice_line__invoice__number",
    "invoice_line__invoice__move_type",
)


# An entries panel shows the newest entries; a ticket or task with years of time behind
# it offers "Show all" instead of rendering thousands of rows on every visit.
PANEL_ROWS = 100


@dataclass(frozen=True)
class PanelEntries:
    rows: list[PanelEntry]
    count: int  # all the entries, shown or not
    minutes: int  # their total

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.count


def _panel_entries(entries: QuerySet[TimesheetEntry], *, limit: int | None) -> PanelEntries:
    """Only the columns an entries panel shows: the employee's name, the ticket's subject
    (on a task's panel) and the invoice a locked entry is on. Newest first; at most
    `limit` rows, with the count and total of all of them (one more query only when
    some are left out)."""
    rows = entries.order_by("-date", "-id").values_list(*_PANEL_COLUMNS)
    if limit is not None:
        rows = rows[: limit + 1]
    shown = [PanelEntry(*row) for row in rows]
    if limit is None or len(shown) <= limit:
        return PanelEntries(shown, len(shown), sum(entry.minutes for entry in shown))
    totals = entries.order_by().aggregate(count=Count("pk"), minutes=Sum("minutes"))
    return PanelEntries(shown[:limit], totals["count"], totals["minutes"] or 0)


def entries_for_ticket(*, ticket: Ticket, limit: int | None = PANEL_ROWS) -> PanelEntries:
    return _panel_entries(TimesheetEntry.objects.filter(ticket=ticket), limit=limit)


def entries_for_task(*, task: Task, limit: int | None = PANEL_ROWS) -> PanelEntries:
    """The task's entries, those logged from its tickets included (one record each)."""
    return _panel_entries(TimesheetEntry.objects.filter(task=task), limit=limit)


def ticket_for_entries(*, pk: int) -> Ticket | None:
    """A ticket with what its Timesheets tab shows: its team (Timesheet on Ticket?) and its
    task's order line. Not the customer nor the team's project: the services read the
    ticket again before they write, and each joined table cost planning time."""
    return (
        Ticket.objects.select_related("team", "task__sale_line__order", "task__sale_line__uom")
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
    ).only(  # not the tickets' and tasks' descriptions
        "date",
        "minutes",
        "description",
        "employee_id",
        "project_id",
        "task_id",
        "ticket_id",
        "sale_line_id",
        "invoice_line_id",
        "employee__username",
        "employee__first_name",
        "employee__last_name",
        "project__name",
        "task__name",
        "ticket__subject",
        "sale_line__order__name",
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


def entry_page(
    entries: QuerySet[TimesheetEntry], *, number: int, per_page: int
) -> tuple[list[TimesheetEntry], int | None, dict[str, int]]:
    """Page `number` of the filtered entries with the count and the totals of all of
    them, in one query: window aggregates over every filtered row, computed before the
    LIMIT. (None, {}) for the count and totals when the page is past the last one."""
    rows = list(
        entries.annotate(
            all_count=Window(Count("id")),
            all_total=Window(Sum("minutes")),
            all_billable=Window(Sum("minutes", filter=Q(sale_line__isnull=False))),
            all_billed=Window(Sum("minutes", filter=Q(invoice_line__isnull=False))),
        )[(number - 1) * per_page : number * per_page]
    )
    if not rows:
        if number > 1:
            return [], None, {}
        return [], 0, {"total": 0, "billable": 0, "billed": 0}
    first = rows[0]
    totals = {
        "total": int(first.all_total or 0),
        "billable": int(first.all_billable or 0),
        "billed": int(first.all_billed or 0),
    }
    return rows, first.all_count, totals


# --- Helpdesk teams overview -------------------------------------------------------------


def week_minutes_by_team(*, monday: datetime.date, sunday: datetime.date) -> dict[int, int]:
    """Minutes logged on each team's tickets from `monday` to `sunday` (the teams
    overview's "hours this week"): one grouped query that starts from the week's
    entries (the date index) and joins their tickets, so its cost follows the week's
    entries, not the number of tickets."""
    rows = (
        TimesheetEntry.objects.filter(date__range=(monday, sunday), ticket__isnull=False)
        .order_by()
        .values("ticket__team_id")
        .annotate(total=Sum("minutes"))
        .values_list("ticket__team_id", "total")
    )
    return {team_id: int(total) for team_id, total in rows}


# --- My Timesheets: the week grid -----------------------------------------------------


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


class GridEntry(NamedTuple):
    """An entry as the week grid shows it."""

    pk: int
    date: datetime.date
    minutes: int
    ticket_id: int | None
    task_id: int | None
    project_id: int
    invoice_line_id: int | None
    ticket_subject: str | None
    task_name: str | None
    project_name: str

    @property
    def is_locked(self) -> bool:
        return self.invoice_line_id is not None


@dataclass(slots=True)
class GridCell:
    """One day of one row; `minutes` is summed as the grid is filled."""

    row_key: str
    date: datetime.date
    entries: list[GridEntry] = field(default_factory=list)
    is_today: bool = False
    minutes: int = 0

    def add(self, entry: GridEntry) -> None:
        self.entries.append(entry)
        self.minutes += entry.minutes

    @property
    def editable(self) -> bool:
        """Typed into when empty or holding one unlocked entry."""
        return not self.entries or (len(self.entries) == 1 and not self.entries[0].is_locked)

    @property
    def display(self) -> str:
        minutes = self.minutes
        return format_minutes(minutes) if minutes else ""


@functools.lru_cache(maxsize=64)
def day_label(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


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


def row_key_of(entry: TimesheetEntry | GridEntry) -> str:
    if entry.ticket_id:
        return f"ticket-{entry.ticket_id}"
    if entry.task_id:
        return f"task-{entry.task_id}"
    return f"project-{entry.project_id}"


def week_grid(*, employee, monday: datetime.date, extra_keys: list[str] = ()) -> WeekGrid:
    """The employee's week: one row per ticket / task / project, one column per day.

    Four queries at most whatever the number of rows: the week's entries (with their
    ticket, task and project), then the tickets, the tasks and the projects of the extra
    (empty) rows.
    """
    ticket_url, task_url, project_url = (
        url_of("helpdesk:ticket_detail"),
        url_of("projects:task_detail"),
        url_of("projects:project_detail"),
    )
    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    today = timezone.localdate()
    # Plain rows, not model instances: 250 entries a busy week, only what the grid shows.
    entries = [
        GridEntry(*row)
        for row in TimesheetEntry.objects.filter(employee=employee, date__range=(days[0], days[-1]))
        .order_by("date", "id")
        .values_list(
            "pk",
            "date",
            "minutes",
            "ticket_id",
            "task_id",
            "project_id",
            "invoice_line_id",
            "ticket__subject",
            "task__name",
            "project__name",
        )
    ]
    labels: dict[str, tuple[str, str]] = {}
    for entry in entries:
        key = row_key_of(entry)
        if key in labels:
            continue
        if entry.ticket_id:
            labels[key] = (
                f"#{entry.ticket_id} {entry.ticket_subject}",
                ticket_url(entry.ticket_id),
            )
        elif entry.task_id:
            labels[key] = (entry.task_name, task_url(entry.task_id))
        else:
            labels[key] = (entry.project_name, project_url(entry.project_id))
    extra = parse_row_keys([key for key in extra_keys if key not in labels])
    if extra["ticket"]:
        for ticket in Ticket.objects.filter(pk__in=extra["ticket"]):
            labels[f"ticket-{ticket.pk}"] = (
                f"#{ticket.pk} {ticket.subject}",
                ticket_url(ticket.pk),
            )
    if extra["task"]:
        for task in Task.objects.filter(pk__in=extra["task"]):
            labels[f"task-{task.pk}"] = (task.name, task_url(task.pk))
    if extra["project"]:  # a project row whose last entry was just cleared
        for project in Project.objects.filter(pk__in=extra["project"]):
            labels[f"project-{project.pk}"] = (project.name, project_url(project.pk))
    cells: dict[tuple[str, datetime.date], GridCell] = {}
    for key in labels:
        for day in days:
            cells[(key, day)] = GridCell(row_key=key, date=day, is_today=day == today)
    for entry in entries:
        cells[(row_key_of(entry), entry.date)].add(entry)
    rows = [
        GridRow(key=key, label=label, url=url, cells=[cells[(key, day)] for day in days])
        for key, (label, url) in labels.items()
    ]
    return WeekGrid(monday=monday, days=days, rows=rows)


MAX_PK = 2**63 - 1  # BigAutoField


def parse_row_keys(keys) -> dict[str, list[int]]:
    """'ticket-12' / 'task-5' / 'project-3' keys by kind; malformed keys are ignored."""
    parsed: dict[str, list[int]] = {"ticket": [], "task": [], "project": []}
    for key in keys:
        kind, _, pk = str(key).partition("-")
        # ASCII digits ("²".isdigit() too, and int("１２") is 12) that fit a bigint key.
        if kind in parsed and pk.isascii() and pk.isdigit() and int(pk) <= MAX_PK:
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


def loggable_tickets(*, user) -> QuerySet:
    """(id, subject) of open tickets of teams with Timesheet on Ticket: rows that can be
    added to the grid.

    The newest 200 of the user's own, the unassigned and those of the user's teams. The
    team test is an `IN (ids)` rather than a join: no DISTINCT, so PostgreSQL walks the
    primary key backwards and stops at 200.
    """
    my_teams = HelpdeskTeam.members.through.objects.filter(user=user).values("helpdeskteam_id")
    return (
        Ticket.objects.filter(stage__in=Ticket.OPEN_STAGES, team__use_timesheets=True)
        .filter(Q(assignee=user) | Q(assignee__isnull=True) | Q(team_id__in=my_teams))
        .order_by("-id")
        .values_list("id", "subject")[:200]
    )


def loggable_tasks() -> list[tuple[int, str, str]]:
    """(id, name, project name) of the newest 200 open tasks of active projects with
    timesheets, by project and name (picking the newest first reads 200 rows by the
    primary key, not all open tasks). Plain rows: they only become <option>s."""
    newest = (
        Task.objects.filter(project__allow_timesheets=True, project__active=True)
        .exclude(stage__in=[Task.DONE, Task.CANCELLED])
        .order_by("-id")
        .values_list("id", "name", "project__name")[:200]
    )
    return sorted(newest, key=lambda task: (task[2], task[1]))
