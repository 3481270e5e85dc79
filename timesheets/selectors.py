"""Reads for the Timesheets pages, the ticket's Timesheets tab and the task's entries."""

import copy
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
from sales.models import SaleOrderLine, WorkType
from timesheets import billing
from timesheets.models import TimesheetEntry

# An entry's billing, as the Billing filter and column say it: on an invoice, billable
# and not yet on one, or never billed (no order line, marked non-billable, or of a
# Non-billable work type: rules 11, 27). The values are those of the issue 7 filter.
BILLED = "billed"
NOT_BILLED = "not_billed"
NON_BILLABLE = "non_billable"
BILLING_CHOICES = [
    ("", "Any billing"),
    (BILLED, "Invoiced"),
    (NOT_BILLED, "Not invoiced"),
    (NON_BILLABLE, "Non-billable"),
]
APPROVAL_CHOICES = [("", "Any approval"), *TimesheetEntry.APPROVAL_CHOICES]


def billable_q() -> Q:
    """An entry that is billed, now or once approved (rule 28 less approval): on an order
    line, not marked non-billable, of a Billable or No charge work type."""
    return Q(
        sale_line__isnull=False,
        non_billable=False,
        work_type__billing__in=(WorkType.BILLABLE, WorkType.NO_CHARGE),
    )


def billed_marker(
    *,
    sale_line_id: int | None,
    non_billable: bool,
    work_type_billing: str,
    approval_state: str | None,
    override: int | None,
) -> str:
    """What the Billed column says instead of a duration, or "" (rules 27, 28, 33):
    Non-billable (never billed), To approve (billed once approved), No charge (on the
    invoice at 0:00, unless a manager set its billed time)."""
    if sale_line_id is None or non_billable or work_type_billing == WorkType.NON_BILLABLE:
        return "Non-billable"
    if approval_state == TimesheetEntry.TO_APPROVE:
        return "To approve"
    if override is None and work_type_billing == WorkType.NO_CHARGE:
        return "No charge"
    return ""


def work_types(*, keep: int | None = None) -> QuerySet[WorkType]:
    """The work types an entry may be given (the active ones), and `keep`, the one an
    entry already has even if no longer in use; by name."""
    wanted = Q(active=True) if keep is None else Q(active=True) | Q(pk=keep)
    return WorkType.objects.filter(wanted).only("id", "name").order_by("name")


def default_work_type_id(*, ticket: Ticket | None) -> int:
    """Rule 27: the work type a new entry on this ticket (or on no ticket) gets."""
    if ticket is not None and ticket.team.default_work_type_id:
        return ticket.team.default_work_type_id
    return WorkType.default().pk


def entries_qs() -> QuerySet[TimesheetEntry]:
    """Entries with everything a row shows, in the same query (not the invoice's appendix:
    a JSON copy of all its entries)."""
    return TimesheetEntry.objects.select_related(
        "employee",
        "project",
        "task",
        "ticket",
        "work_type",
        "sale_line__order",
        "invoice_line__invoice",
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
    sale_line_id: int | None
    work_type_id: int
    work_type_name: str
    work_type_billing: str
    non_billable: bool
    billed_minutes: int
    billed_minutes_override: int | None
    adjust_reason: str
    adjusted_at: datetime.datetime | None
    adjuster_first_name: str | None
    adjuster_last_name: str | None
    adjuster_username: str | None
    approval_state: str | None

    @property
    def employee_name(self) -> str:
        """As User.get_full_name(), else the username."""
        return f"{self.first_name} {self.last_name}".strip() or self.username

    @property
    def adjusted_by_name(self) -> str:
        if self.adjuster_username is None:
            return ""
        name = f"{self.adjuster_first_name} {self.adjuster_last_name}".strip()
        return name or self.adjuster_username

    @property
    def billed_marker(self) -> str:
        return billed_marker(
            sale_line_id=self.sale_line_id,
            non_billable=self.non_billable,
            work_type_billing=self.work_type_billing,
            approval_state=self.approval_state,
            override=self.billed_minutes_override,
        )

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
    "sale_line_id",
    "work_type_id",
    "work_type__name",
    "work_type__billing",
    "non_billable",
    "billed_minutes",
    "billed_minutes_override",
    "adjust_reason",
    "adjusted_at",
    "adjusted_by__first_name",
    "adjusted_by__last_name",
    "adjusted_by__username",
    "approval_state",
)


# An entries panel shows the newest entries; a ticket or task with years of time behind
# it offers "Show all" instead of rendering thousands of rows on every visit.
PANEL_ROWS = 100


@dataclass(frozen=True)
class PanelEntries:
    rows: list[PanelEntry]
    count: int  # all the entries, shown or not
    minutes: int  # their total worked minutes
    billed: int  # and billed minutes

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
        return PanelEntries(
            shown,
            len(shown),
            sum(entry.minutes for entry in shown),
            sum(entry.billed_minutes for entry in shown),
        )
    totals = entries.order_by().aggregate(
        count=Count("pk"), minutes=Sum("minutes"), billed=Sum("billed_minutes")
    )
    return PanelEntries(
        shown[:limit], totals["count"], totals["minutes"] or 0, totals["billed"] or 0
    )


def entries_for_ticket(*, ticket: Ticket, limit: int | None = PANEL_ROWS) -> PanelEntries:
    return _panel_entries(TimesheetEntry.objects.filter(ticket=ticket), limit=limit)


def entries_for_task(*, task: Task, limit: int | None = PANEL_ROWS) -> PanelEntries:
    """The task's entries, those logged from its tickets included (one record each)."""
    return _panel_entries(TimesheetEntry.objects.filter(task=task), limit=limit)


def ticket_for_entries(*, pk: int) -> Ticket | None:
    """A ticket with what its Timesheets tab shows: its team (Timesheet on Ticket? its
    default work type) and its task's order line. Not the customer nor the team's
    project: the services read the ticket again before they write, and each joined table
    cost planning time."""
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


def entry_for_billed(*, pk: int) -> TimesheetEntry | None:
    """An entry with what its billed-time page shows: its row of a list, its invoice and
    the manager who adjusted it."""
    return entries_qs().select_related("adjusted_by", "approved_by").filter(pk=pk).first()


# --- All Timesheets ---------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFilters:
    employee: int | None = None
    project: int | None = None
    customer: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    billing: str = ""
    work_type: int | None = None
    approval: str = ""


# What a row of All Timesheets (or the CSV) shows; not the tickets' and tasks'
# descriptions, nor the invoice (a row says Invoiced from `invoice_line_id`).
ENTRY_LIST_FIELDS = (
    "date",
    "minutes",
    "description",
    "employee_id",
    "project_id",
    "task_id",
    "ticket_id",
    "sale_line_id",
    "invoice_line_id",
    "work_type_id",
    "non_billable",
    "billed_minutes",
    "billed_minutes_override",
    "adjust_reason",
    "adjusted_at",
    "adjusted_by_id",
    "approval_state",
    "employee__username",
    "employee__first_name",
    "employee__last_name",
    "project__name",
    "task__name",
    "ticket__subject",
    "sale_line__order__name",
    "work_type__name",
    "work_type__billing",
    "adjusted_by__username",
    "adjusted_by__first_name",
    "adjusted_by__last_name",
)


def entry_list(*, filters: EntryFilters) -> QuerySet[TimesheetEntry]:
    """The filtered entries with what a row of the list (or the CSV) shows, in one query."""
    qs = TimesheetEntry.objects.select_related(
        "employee", "project", "task", "ticket", "sale_line__order", "work_type", "adjusted_by"
    ).only(*ENTRY_LIST_FIELDS)
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
    if filters.work_type:
        qs = qs.filter(work_type_id=filters.work_type)
    if filters.approval:
        qs = qs.filter(approval_state=filters.approval)
    if filters.billing == BILLED:
        qs = qs.filter(invoice_line__isnull=False)
    elif filters.billing == NOT_BILLED:
        qs = qs.filter(billable_q(), invoice_line__isnull=True)
    elif filters.billing == NON_BILLABLE:
        qs = qs.exclude(billable_q())
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


# The totals of All Timesheets: worked minutes, those of billable entries, billed minutes
# (rule 28: what is or will be charged) and those already on an invoice.
TOTALS = ("total", "billable", "billed", "invoiced")


def _total_expressions() -> dict[str, Sum]:
    return {
        "total": Sum("minutes"),
        "billable": Sum("minutes", filter=billable_q()),
        "billed": Sum("billed_minutes"),
        "invoiced": Sum("billed_minutes", filter=Q(invoice_line__isnull=False)),
    }


def entry_count_and_totals(entries: QuerySet[TimesheetEntry]) -> tuple[int, dict[str, int]]:
    """Number of the filtered entries and their TOTALS, in one query (the paginator takes
    its count from here: no second scan for a COUNT)."""
    totals = entries.order_by().aggregate(count=Count("id"), **_total_expressions())
    count = totals.pop("count")
    return count, {key: int(totals[key] or 0) for key in TOTALS}


def entry_page(
    entries: QuerySet[TimesheetEntry], *, number: int, per_page: int
) -> tuple[list[TimesheetEntry], int | None, dict[str, int]]:
    """Page `number` of the filtered entries with the count and the totals of all of
    them, in one query: window aggregates over every filtered row, computed before the
    LIMIT. (None, {}) for the count and totals when the page is past the last one."""
    windows = {f"all_{key}": Window(total) for key, total in _total_expressions().items()}
    rows = list(
        entries.annotate(all_count=Window(Count("id")), **windows)[
            (number - 1) * per_page : number * per_page
        ]
    )
    if not rows:
        if number > 1:
            return [], None, {}
        return [], 0, dict.fromkeys(TOTALS, 0)
    first = rows[0]
    totals = {key: int(getattr(first, f"all_{key}") or 0) for key in TOTALS}
    return rows, first.all_count, totals


# --- Approvals (rule 33) ------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalFilters:
    monday: datetime.date | None = None  # the week shown, Monday to Sunday
    employee: int | None = None
    customer: int | None = None


@dataclass(frozen=True)
class ApprovalRow:
    entry: TimesheetEntry
    customer: str  # the ticket's customer, else the task's, else the order's
    billed_if_approved: int


# The Approvals page shows this many at most (the oldest first); the rest follow once
# these are approved. Its form then posts at most 2 x 200 ids (a checkbox and a hidden
# "shown" input a row), well under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000).
APPROVAL_ROWS = 200

_APPROVAL_FIELDS = (
    "date",
    "minutes",
    "description",
    "employee_id",
    "project_id",
    "task_id",
    "ticket_id",
    "sale_line_id",
    "invoice_line_id",
    "work_type_id",
    "non_billable",
    "billed_minutes",
    "billed_minutes_override",
    "approval_state",
    "employee__username",
    "employee__first_name",
    "employee__last_name",
    "project__name",
    "task__name",
    "task__customer__name",
    "ticket__subject",
    "ticket__customer__name",
    "work_type__name",
    "work_type__billing",
    "sale_line__order__customer__name",
    *(f"sale_line__{name}" for name in SaleOrderLine.ROUNDING_FIELDS),
)


def entries_to_approve(
    *, filters: ApprovalFilters, limit: int = APPROVAL_ROWS
) -> tuple[list[ApprovalRow], int]:
    """The uninvoiced entries To approve that match the filters, oldest first, at most
    `limit` of them, with how many match; each with its customer and the minutes it
    will bill once approved (its line's rounding rule, its work type, an adjustment:
    `timesheets.billing.billed_minutes`). Two queries at most."""
    entries = TimesheetEntry.objects.filter(
        approval_state=TimesheetEntry.TO_APPROVE, invoice_line__isnull=True
    )
    if filters.monday:
        entries = entries.filter(
            date__range=(filters.monday, filters.monday + datetime.timedelta(days=6))
        )
    if filters.employee:
        entries = entries.filter(employee_id=filters.employee)
    if filters.customer:
        entries = entries.filter(of_customer(filters.customer))
    shown = list(
        entries.select_related(
            "employee",
            "project",
            "task__customer",
            "ticket__customer",
            "work_type",
            "sale_line__order__customer",
        )
        .only(*_APPROVAL_FIELDS)
        .order_by("date", "employee_id", "id")[: limit + 1]
    )
    count = len(shown) if len(shown) <= limit else entries.count()
    rows = []
    for entry in shown[:limit]:
        approved = copy.copy(entry)
        approved.approval_state = TimesheetEntry.APPROVED
        rows.append(
            ApprovalRow(
                entry=entry,
                customer=_customer_name(entry),
                billed_if_approved=billing.billed_minutes(
                    approved, line=entry.sale_line, work_type=entry.work_type
                ),
            )
        )
    return rows, count


def _customer_name(entry: TimesheetEntry) -> str:
    if entry.ticket_id and entry.ticket.customer_id:
        return entry.ticket.customer.name
    if entry.task_id and entry.task.customer_id:
        return entry.task.customer.name
    if entry.sale_line_id:
        return entry.sale_line.order.customer.name
    return ""


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
    work_type_id: int
    ticket_subject: str | None
    task_name: str | None
    project_name: str
    work_type_name: str

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
    key: str  # "ticket-12-w1", "task-5-w3" or "project-3-w1" (see RowKey)
    label: str
    url: str
    cells: list[GridCell]
    work_type: str = ""

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


MAX_PK = 2**63 - 1  # BigAutoField
ROW_KINDS = ("ticket", "task", "project")


class RowKey(NamedTuple):
    """A row of the week grid: the ticket, task or project it logs on, and the work type
    (rule 27: one row per target and work type). Written "ticket-12-w3"; "ticket-12",
    without a work type, is the target's default one (a link or an Add line without a
    choice)."""

    kind: str  # one of ROW_KINDS
    pk: int
    work_type_id: int | None

    @property
    def text(self) -> str:
        if self.work_type_id is None:
            return f"{self.kind}-{self.pk}"
        return f"{self.kind}-{self.pk}-w{self.work_type_id}"


def _key_id(text: str) -> int | None:
    # ASCII digits ("²".isdigit() too, and int("１２") is 12) that fit a bigint key.
    if text.isascii() and text.isdigit() and int(text) <= MAX_PK:
        return int(text)
    return None


def parse_row_key(key: object) -> RowKey | None:
    """The RowKey a grid row's key names; None when malformed."""
    parts = str(key).split("-")
    if len(parts) not in (2, 3) or parts[0] not in ROW_KINDS:
        return None
    pk = _key_id(parts[1])
    work_type_id = None
    if len(parts) == 3:
        work_type_id = _key_id(parts[2][1:]) if parts[2].startswith("w") else None
        if work_type_id is None:
            return None
    return None if pk is None else RowKey(parts[0], pk, work_type_id)


def row_key_of(entry: TimesheetEntry | GridEntry) -> str:
    if entry.ticket_id:
        kind, pk = "ticket", entry.ticket_id
    elif entry.task_id:
        kind, pk = "task", entry.task_id
    else:
        kind, pk = "project", entry.project_id
    return RowKey(kind, pk, entry.work_type_id).text


def _with_work_type(key: RowKey, *, team_default: int | None, support: list[int]) -> RowKey:
    """The key with its work type: as given, else the ticket team's default, else
    "Support" (`support` caches its id across the keys of a page)."""
    if key.work_type_id is not None:
        return key
    if team_default is None:
        if not support:
            support.append(WorkType.default().pk)
        team_default = support[0]
    return key._replace(work_type_id=team_default)


def full_row_key(key: str) -> str | None:
    """A row key with its work type ("ticket-12" -> "ticket-12-w1"); None if malformed."""
    parsed = parse_row_key(key)
    if parsed is None:
        return None
    team_default = None
    if parsed.work_type_id is None and parsed.kind == "ticket":
        team_default = (
            Ticket.objects.filter(pk=parsed.pk)
            .values_list("team__default_work_type_id", flat=True)
            .first()
        )
    return _with_work_type(parsed, team_default=team_default, support=[]).text


def week_grid(*, employee, monday: datetime.date, extra_keys: list[str] = ()) -> WeekGrid:
    """The employee's week: one row per ticket / task / project and work type, one column
    per day.

    Six queries at most whatever the number of rows: the week's entries (with their
    ticket, task, project and work type), then the tickets, the tasks, the projects and
    the work types of the extra (empty) rows, and "Support" for an extra row without a
    work type whose team has no default.
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
            "work_type_id",
            "ticket__subject",
            "task__name",
            "project__name",
            "work_type__name",
        )
    ]
    labels: dict[str, tuple[str, str, str]] = {}  # key -> label, url, work type
    for entry in entries:
        key = row_key_of(entry)
        if key in labels:
            continue
        if entry.ticket_id:
            label = (f"#{entry.ticket_id} {entry.ticket_subject}", ticket_url(entry.ticket_id))
        elif entry.task_id:
            label = (entry.task_name, task_url(entry.task_id))
        else:
            label = (entry.project_name, project_url(entry.project_id))
        labels[key] = (*label, entry.work_type_name)
    for key, label in _extra_rows(extra_keys, known=labels):
        labels[key] = label
    cells: dict[tuple[str, datetime.date], GridCell] = {}
    for key in labels:
        for day in days:
            cells[(key, day)] = GridCell(row_key=key, date=day, is_today=day == today)
    for entry in entries:
        cells[(row_key_of(entry), entry.date)].add(entry)
    rows = [
        GridRow(
            key=key,
            label=label,
            url=url,
            work_type=work_type,
            cells=[cells[(key, day)] for day in days],
        )
        for key, (label, url, work_type) in labels.items()
    ]
    return WeekGrid(monday=monday, days=days, rows=rows)


def _extra_rows(
    extra_keys, *, known: dict[str, tuple[str, str, str]]
) -> list[tuple[str, tuple[str, str, str]]]:
    """The (empty) rows added to the grid that no entry of the week has: (key, (label,
    url, work type)), in the order asked; unknown tickets, tasks, projects and work types
    are left out."""
    keys = [key for key in map(parse_row_key, extra_keys) if key is not None]
    if not keys:
        return []
    ids = {kind: {key.pk for key in keys if key.kind == kind} for kind in ROW_KINDS}
    tickets = {}
    if ids["ticket"]:
        tickets = {
            pk: (subject, team_default)
            for pk, subject, team_default in Ticket.objects.filter(
                pk__in=ids["ticket"]
            ).values_list("pk", "subject", "team__default_work_type_id")
        }
    tasks = (
        dict(Task.objects.filter(pk__in=ids["task"]).values_list("pk", "name"))
        if ids["task"]
        else {}
    )
    projects = (
        dict(Project.objects.filter(pk__in=ids["project"]).values_list("pk", "name"))
        if ids["project"]
        else {}
    )
    support: list[int] = []
    complete = []
    for key in keys:
        if key.kind == "ticket" and key.pk not in tickets:
            continue
        team_default = tickets[key.pk][1] if key.kind == "ticket" else None
        complete.append(_with_work_type(key, team_default=team_default, support=support))
    complete = [key for key in complete if key.text not in known]
    if not complete:
        return []
    names = dict(
        WorkType.objects.filter(pk__in={key.work_type_id for key in complete}).values_list(
            "pk", "name"
        )
    )
    ticket_url, task_url, project_url = (
        url_of("helpdesk:ticket_detail"),
        url_of("projects:task_detail"),
        url_of("projects:project_detail"),
    )
    rows: dict[str, tuple[str, str, str]] = {}
    for key in complete:
        work_type = names.get(key.work_type_id)
        if work_type is None or key.text in rows:
            continue
        if key.kind == "ticket":
            rows[key.text] = (f"#{key.pk} {tickets[key.pk][0]}", ticket_url(key.pk), work_type)
        elif key.kind == "task" and key.pk in tasks:
            rows[key.text] = (tasks[key.pk], task_url(key.pk), work_type)
        elif key.kind == "project" and key.pk in projects:
            rows[key.text] = (projects[key.pk], project_url(key.pk), work_type)
    return list(rows.items())


def row_target(key: str) -> dict:
    """The ticket / task / project and the work type a grid row logs with, as
    timesheet_log keyword arguments (the key with its work type: `full_row_key`).

    Raises the model's DoesNotExist for an unknown key.
    """
    parsed = parse_row_key(key)
    if parsed is None or parsed.work_type_id is None:
        raise TimesheetEntry.DoesNotExist(f"Unknown row {key!r}.")
    target: dict = {"work_type": parsed.work_type_id}
    if parsed.kind == "ticket":
        target["ticket"] = Ticket.objects.select_related("team__project", "task").get(pk=parsed.pk)
    elif parsed.kind == "task":
        target["task"] = Task.objects.select_related("project").get(pk=parsed.pk)
    else:
        target["project"] = Project.objects.get(pk=parsed.pk)
    return target


def cell_entries(*, employee, key: str, date: datetime.date) -> list[TimesheetEntry]:
    """The employee's entries of one grid cell (of its row's target and work type)."""
    parsed = parse_row_key(key)
    if parsed is None or parsed.work_type_id is None:
        return []
    qs = TimesheetEntry.objects.filter(
        employee=employee, date=date, work_type_id=parsed.work_type_id
    )
    if parsed.kind == "ticket":
        qs = qs.filter(ticket_id=parsed.pk)
    elif parsed.kind == "task":
        qs = qs.filter(task_id=parsed.pk, ticket__isnull=True)
    else:
        qs = qs.filter(project_id=parsed.pk, task__isnull=True, ticket__isnull=True)
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
