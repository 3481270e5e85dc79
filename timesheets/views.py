"""Timesheets pages: the entries panel of a ticket (its Timesheets tab) and of a task,
My Timesheets (the week grid) and All Timesheets (managers, with CSV export).

Writes go through timesheets.services; their ValidationErrors are shown on the form.
"""

import csv
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from html import escape  # Django's, minus its lazy-string wrapper: 3,000 calls a page
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from core import roles
from core.forms import apply_service_errors, lean_form
from core.links import url_of
from core.numbers import format_minutes, parse_duration
from core.views import helpdesk_user_required, manager_required, timesheets_feature_required
from helpdesk.models import Ticket
from projects.models import Project, Task
from sales.models import SaleOrderLine
from timesheets import selectors, services
from timesheets.forms import (
    SERVICE_FIELD_RENAMES,
    AddRowForm,
    EntryFilterForm,
    EntryForm,
    clamp_week,
    parse_week,
)
from timesheets.models import TimesheetEntry
from timesheets.permissions import can_change_entry, can_log_for

# --- the entries panel of a ticket or a task ---------------------------------------------


@dataclass
class Target:
    """What an entries panel is about: a ticket (its Timesheets tab) or a task."""

    kind: str  # "ticket" or "task"
    obj: Ticket | Task
    line: SaleOrderLine | None

    @property
    def log_kwargs(self) -> dict[str, Any]:
        return {self.kind: self.obj}

    def entries(self, *, show_all: bool = False) -> selectors.PanelEntries:
        limit = None if show_all else selectors.PANEL_ROWS
        if self.kind == "ticket":
            return selectors.entries_for_ticket(ticket=self.obj, limit=limit)
        return selectors.entries_for_task(task=self.obj, limit=limit)

    @property
    def page_url(self) -> str:
        if self.kind == "ticket":
            return reverse("helpdesk:ticket_detail", args=[self.obj.pk]) + "#tab-timesheets"
        return reverse("projects:task_detail", args=[self.obj.pk])

    def url(self, name: str, *args) -> str:
        return reverse(f"timesheets:{self.kind}_{name}", args=[self.obj.pk, *args])


def _load_target(kind: str, pk: int) -> Target:
    if kind == "ticket":
        ticket = selectors.ticket_for_entries(pk=pk)
        if ticket is None or not ticket.team.use_timesheets:
            raise Http404("This ticket's team does not use Timesheet on Ticket.")
        line = ticket.task.sale_line if ticket.task_id else None
        return Target(kind="ticket", obj=ticket, line=line)
    task = selectors.task_for_entries(pk=pk)
    if task is None:
        raise Http404("No such task.")
    return Target(kind="task", obj=task, line=task.sale_line)


def _entry_of(target: Target, entry_pk: int) -> TimesheetEntry:
    entry = selectors.entry_on(entry_pk=entry_pk, **target.log_kwargs)
    if entry is None:
        raise Http404("No such entry here.")
    return entry


def _entry_rows_html(
    target: Target, entries: list[selectors.PanelEntry], *, user, panel_url: str, manager: bool
) -> str:
    """The panel's <tr>s, built in Python: 50 rows through the template engine cost more
    than the page's queries. hx-target and hx-swap come from the <tbody> (inherited), and
    the Delete button posts with the page's X-CSRFToken header (no form per row)."""
    delete_url = url_of(f"timesheets:{target.kind}_entry_delete", target.obj.pk)
    history_url = url_of("core:history", "timesheets.timesheetentry")
    ticket_url = url_of("helpdesk:ticket_detail")
    on_task = target.kind == "task"
    out = []
    for entry in entries:
        pk, day = entry.pk, entry.date.isoformat()
        name = escape(entry.employee_name)
        ticket = ""
        if on_task:
            link = ""
            if entry.ticket_id:
                subject = escape(entry.ticket_subject)
                link = f'<a href="{ticket_url(entry.ticket_id)}">#{entry.ticket_id} {subject}</a>'
            ticket = f'<td class="hide-sm">{link}</td>'
        actions = []
        if entry.invoice_line_id:
            invoice = escape(entry.invoice_label)
            actions.append(
                f'<span class="badge badge-locked" title="On invoice {invoice}: only the'
                ' description can change">Invoiced</span>'
            )
        if can_change_entry(user, entry):
            actions.append(
                f'<button type="button" class="btn btn-small" hx-get="{panel_url}?edit={pk}"'
                f' aria-label="Edit entry of {day}">Edit</button>'
            )
            if not entry.invoice_line_id:
                actions.append(
                    f'<button type="button" class="btn btn-small btn-danger"'
                    f' hx-post="{delete_url(pk)}" hx-confirm="Delete this entry?"'
                    f' aria-label="Delete entry of {day}">Delete</button>'
                )
        if manager:
            actions.append(
                f'<a class="btn btn-small" href="{history_url(pk)}"'
                f' aria-label="History of the entry of {day}">History</a>'
            )
        out.append(
            f'<tr id="entry-{pk}"><td class="nowrap">{day}</td><td>{name}</td>'
            f"<td>{escape(entry.description)}</td>{ticket}"
            f'<td class="num">{entry.duration_display}</td>'
            f'<td class="row-actions">{" ".join(actions)}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped or ours


def _render_panel(
    request: HttpRequest,
    target: Target,
    *,
    add_form: EntryForm | None = None,
    editing: int | None = None,
    edit_form: EntryForm | None = None,
    notice: str = "",
) -> HttpResponse:
    user = request.user
    manager = roles.is_manager(user)
    panel = target.entries(show_all=request.GET.get("all") == "1")
    if editing and not any(entry.pk == editing for entry in panel.rows):
        panel = target.entries(show_all=True)  # an older entry than the panel shows
    entries = panel.rows
    panel_url = target.url("entries")
    # The rows before and after the one being edited (a form, rendered by the template).
    at = next((i for i, entry in enumerate(entries) if entry.pk == editing), len(entries))
    rows = partial(_entry_rows_html, target, user=user, panel_url=panel_url, manager=manager)
    if target.line is not None and request.method != "GET":
        # Delivered has just changed in this request: read the line again.
        target.line.refresh_from_db(fields=["delivered_minutes", "qty_delivered", "qty_invoiced"])
    context = {
        "target": target,
        "entries": entries,
        "rows_before": rows(entries[:at]),
        "edit_entry": entries[at] if at < len(entries) else None,
        "rows_after": rows(entries[at + 1 :]),
        "total_minutes": panel.minutes,
        "entries_count": panel.count,
        "truncated": panel.truncated,
        "add_form": lean_form(add_form or EntryForm(user=user, can_choose_employee=manager)),
        "editing": editing,
        "edit_form": edit_form and lean_form(edit_form),
        "notice": notice,
        "line": target.line,
        "can_log": roles.is_helpdesk_user(user),
        "panel_url": panel_url,
        "add_url": target.url("entry_add"),
        "edit_url": target.url("entry_edit", editing) if editing else "",
    }
    if request.htmx:
        return render(request, "timesheets/partials/entries_panel.html", context)
    return render(request, "timesheets/entries_page.html", context)


def _done(request: HttpRequest, target: Target, notice: str) -> HttpResponse:
    if request.htmx:
        return _render_panel(request, target, notice=notice)
    messages.success(request, notice)
    return redirect(target.page_url)


@helpdesk_user_required
@timesheets_feature_required
@require_GET
def entries_panel(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = _load_target(kind, pk)
    editing = request.GET.get("edit")
    if editing and editing.isdigit():
        entry = _entry_of(target, int(editing))
        if not can_change_entry(request.user, entry):
            raise PermissionDenied("You may only change your own time.")
        form = EntryForm(
            user=request.user, entry=entry, can_choose_employee=roles.is_manager(request.user)
        )
        return _render_panel(request, target, editing=entry.pk, edit_form=form)
    return _render_panel(request, target)


def _submit(
    request: HttpRequest,
    target: Target,
    form: EntryForm,
    write: Callable[..., Any],
    notice: Callable[[dict], str],
    **panel,
) -> HttpResponse:
    """Validate the entry form and write through the service; the panel again on errors."""
    if form.is_valid():
        changes = form.service_changes()
        if "employee" in changes and not can_log_for(request.user, changes["employee"]):
            raise PermissionDenied("You may only log your own time.")
        try:
            write(**changes, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error, renames=SERVICE_FIELD_RENAMES)
        else:
            return _done(request, target, notice(changes))
    return _render_panel(request, target, **panel)


@helpdesk_user_required
@timesheets_feature_required
@require_POST
def entry_add(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = _load_target(kind, pk)
    manager = roles.is_manager(request.user)
    form = EntryForm(request.POST, user=request.user, can_choose_employee=manager)
    write = partial(services.timesheet_log, **target.log_kwargs)
    return _submit(
        request,
        target,
        form,
        write,
        lambda changes: f"{format_minutes(changes['minutes'])} logged.",
        add_form=form,
    )


@helpdesk_user_required
@timesheets_feature_required
@require_POST
def entry_edit(request: HttpRequest, kind: str, pk: int, entry_pk: int) -> HttpResponse:
    target = _load_target(kind, pk)
    entry = _entry_of(target, entry_pk)
    if not can_change_entry(request.user, entry):
        raise PermissionDenied("You may only change your own time.")
    manager = roles.is_manager(request.user)
    form = EntryForm(request.POST, user=request.user, entry=entry, can_choose_employee=manager)
    write = partial(services.timesheet_update, entry=entry)
    return _submit(
        request, target, form, write, lambda _: "Entry saved.", editing=entry.pk, edit_form=form
    )


@helpdesk_user_required
@timesheets_feature_required
@require_POST
def entry_delete(request: HttpRequest, kind: str, pk: int, entry_pk: int) -> HttpResponse:
    target = _load_target(kind, pk)
    entry = _entry_of(target, entry_pk)
    if not can_change_entry(request.user, entry):
        raise PermissionDenied("You may only delete your own time.")
    try:
        services.timesheet_delete(entry=entry, actor=request.user)
    except ValidationError as error:
        if request.htmx:
            return _render_panel(request, target, notice=" ".join(error.messages))
        messages.error(request, " ".join(error.messages))
        return redirect(target.page_url)
    return _done(request, target, "Entry deleted.")


ObjectDoesNotExistErrors = (
    Ticket.DoesNotExist,
    Task.DoesNotExist,
    Project.DoesNotExist,
    TimesheetEntry.DoesNotExist,
)


# --- My Timesheets ------------------------------------------------------------------------


class _Day(NamedTuple):
    """What every cell of one grid column repeats, formatted once per page."""

    date: datetime.date
    compact: str  # 20260302, for the cell's id
    vals: str  # the input's hx-vals
    label: str  # ", Monday 2 March", after the row's label


def _days(dates: list[datetime.date]) -> dict[datetime.date, _Day]:
    return {
        day: _Day(
            day,
            f"{day:%Y%m%d}",
            f"""hx-vals='{{"date": "{day.isoformat()}"}}'""",
            f", {selectors.day_label(day)}",
        )
        for day in dates
    }


def _cells_html(
    row: selectors.GridRow,
    cells: list[selectors.GridCell],
    *,
    cell_url: str,
    days: dict[datetime.date, _Day] | None = None,
    saved: bool = False,
    error: str = "",
    typed: str | None = None,
) -> str:
    """The <td>s of week-grid cells, built in Python: a busy week has 1,400 cells.

    Each input carries only its day: the row (hx-vals with the row's key) and the grid's
    <tbody> (hx-target="closest td", hx-swap) give the rest by htmx inheritance, and an
    input's default trigger is `change`. So a cell is ~250 bytes, not 550."""
    days = days or _days([cell.date for cell in cells])
    label, url = escape(row.label), escape(row.url)
    err = escape(error)
    saved_class = " cell-saved" if saved else ""
    cell_id = f"cell-{row.key}-"
    # The input's attributes but its value and day, the same for the whole row.
    input_head = '<input class="cell-input" name="duration" inputmode="decimal" autocomplete="off"'
    out = []
    for cell in cells:
        day = days[cell.date]
        cid = cell_id + day.compact
        classes = "cell num today" if cell.is_today else "cell num"
        entries = cell.entries
        if not entries or (len(entries) == 1 and entries[0].invoice_line_id is None):
            value = escape(typed) if typed is not None else cell.display
            invalid = alert = ""
            if error:
                invalid = f' aria-invalid="true" aria-describedby="err-{cid}"'
                alert = f'<span class="cell-error" id="err-{cid}" role="alert">{err}</span>'
            body = (
                f'{input_head} value="{value}" aria-label="{label}{day.label}"'
                f' hx-post="{cell_url}" {day.vals}{invalid}>{alert}'
            )
        else:
            count = len(entries)
            title = "Invoiced: locked" if count == 1 else f"{count} entries: see the details"
            alert = f'<span class="cell-error" role="alert">{err}</span>' if error else ""
            body = f'<a href="{url}" title="{title}">{cell.display}</a>{alert}'
        out.append(f'<td id="{cid}" class="{classes}{saved_class}">{body}</td>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours


def _rows_html(grid: selectors.WeekGrid, cell_url: str) -> str:
    """The grid's <tr>s: the row's link, its cells (see _cells_html) and its total."""
    days = _days(grid.days)
    out = []
    for row in grid.rows:
        key = escape(row.key)
        out.append(
            f"""<tr hx-vals='{{"row": "{key}"}}'><th scope="row" class="rowname">"""
            f'<a href="{escape(row.url)}">{escape(row.label)}</a></th>'
            f"{_cells_html(row, row.cells, cell_url=cell_url, days=days)}"
            f'<td id="total-{key}" class="num"><strong>{format_minutes(row.minutes)}'
            "</strong></td></tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped or ours


def _week_context(request: HttpRequest, monday: datetime.date, extra_keys: list[str]) -> dict:
    grid = selectors.week_grid(employee=request.user, monday=monday, extra_keys=extra_keys)
    cell_url = reverse("timesheets:week_cell")
    # No link to a week outside the dates entries may have (`clamp_week`).
    prev_week = clamp_week(monday - datetime.timedelta(days=1))
    next_week = clamp_week(monday + datetime.timedelta(days=7))
    return {
        "grid": grid,
        "cell_url": cell_url,
        "monday": monday,
        "sunday": grid.days[-1],
        "prev_week": prev_week if prev_week != monday else None,
        "next_week": next_week if next_week != monday else None,
        "today": timezone.localdate(),
        "extra_keys": [row.key for row in grid.rows if not any(c.entries for c in row.cells)],
    }


@helpdesk_user_required
@timesheets_feature_required
@require_GET
def my_week(request: HttpRequest) -> HttpResponse:
    monday = parse_week(request.GET.get("week"))
    extra_keys = [key for key in request.GET.getlist("add") if key]
    context = _week_context(request, monday, extra_keys)
    context["rows_html"] = _rows_html(context["grid"], context["cell_url"])
    context["week_minutes"] = context["grid"].minutes  # shown twice: summed once
    context["add_row_form"] = AddRowForm(
        tickets=list(selectors.loggable_tickets(user=request.user)),
        tasks=list(selectors.loggable_tasks()),
    )
    return render(request, "timesheets/my_week.html", context)


@helpdesk_user_required
@timesheets_feature_required
@require_POST
def week_cell(request: HttpRequest) -> HttpResponse:
    """Type a duration into a cell: log an entry, or change / clear the cell's one entry."""
    key = request.POST.get("row", "")
    try:
        day = datetime.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        return HttpResponse("Bad date.", status=400)
    monday = selectors.week_start(day)
    if monday != clamp_week(day):  # a day of no week the grid shows (0001-01-01, 9999-12-31)
        return HttpResponse("No entry can be dated on that day.", status=400)
    raw = request.POST.get("duration", "").strip()
    error = ""
    try:
        minutes = parse_duration(raw) if raw else None
        entries = selectors.cell_entries(employee=request.user, key=key, date=day)
        if len(entries) > 1:
            error = "Several entries: change them on the ticket or task."
        elif entries and minutes is None:
            services.timesheet_delete(entry=entries[0], actor=request.user)
        elif entries:
            services.timesheet_update(entry=entries[0], minutes=minutes, actor=request.user)
        elif minutes is not None:
            target = selectors.row_target(key)
            services.timesheet_log(
                employee=request.user, date=day, minutes=minutes, actor=request.user, **target
            )
    except ValueError as exc:
        error = str(exc)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except ObjectDoesNotExistErrors:
        raise Http404("No such ticket, task or project.") from None
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('timesheets:my_week')}?week={monday:%Y-%m-%d}&add={key}")
    context = _week_context(request, monday, [key])
    row = context["grid"].row(key)
    if row is None:
        raise Http404("No such row.")
    cell = next(c for c in row.cells if c.date == day)
    typed = raw if error else None
    cell_html = _cells_html(
        row, [cell], cell_url=context["cell_url"], saved=not error, error=error, typed=typed
    )
    context.update({"row": row, "cell": cell, "cell_html": cell_html, "error": error})
    return render(request, "timesheets/partials/week_cell_response.html", context)


# --- All Timesheets -------------------------------------------------------------------------


PAGE_SIZE = 50


def _entry_list_rows_html(entries: list[TimesheetEntry]) -> str:
    """All Timesheets' <tr>s, built in Python (50 rows, three links each)."""
    project_url, ticket_url, task_url = (
        url_of("projects:project_detail"),
        url_of("helpdesk:ticket_detail"),
        url_of("projects:task_detail"),
    )
    out = []
    for entry in entries:
        employee = entry.employee
        name = escape(employee.get_full_name() or employee.get_username())
        what = ""
        if entry.ticket_id:
            subject = escape(entry.ticket.subject)
            what = f'<a href="{ticket_url(entry.ticket_id)}">#{entry.ticket_id} {subject}</a>'
        if entry.task_id:
            what += f'<div><a href="{task_url(entry.task_id)}">{escape(entry.task.name)}</a></div>'
        if entry.invoice_line_id:
            billing = '<span class="badge badge-locked">Billed</span>'
        elif entry.sale_line_id:
            billing = '<span class="badge badge-billable">Not billed</span>'
        else:
            billing = '<span class="badge">Non-billable</span>'
        order = escape(entry.sale_line.order.name) if entry.sale_line_id else ""
        out.append(
            f'<tr><td class="nowrap">{entry.date.isoformat()}</td><td>{name}</td>'
            f'<td class="hide-sm"><a href="{project_url(entry.project_id)}">'
            f"{escape(entry.project.name)}</a></td><td>{what}</td>"
            f'<td class="hide-sm">{escape(entry.description)}</td>'
            f'<td class="num">{format_minutes(entry.minutes)}</td>'
            f'<td class="hide-sm">{order}</td><td>{billing}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped or ours


# Past any real page, and its OFFSET (x 50) still fits the database's integers.
MAX_PAGE = 10**9


def _page_number(text: str) -> int:
    """The page asked for: 1 when missing or not ASCII digits ("-1", "abc", "²"), at most
    MAX_PAGE (2**63 would overflow the OFFSET); a page past the last shows the last."""
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(text), 1), MAX_PAGE)


@manager_required
@timesheets_feature_required
@require_GET
def all_entries(request: HttpRequest) -> HttpResponse:
    filter_form = EntryFilterForm(request.GET or None)
    entries = selectors.entry_list(filters=filter_form.filters())
    paginator = Paginator(entries, PAGE_SIZE)
    number = _page_number(request.GET.get("page", ""))
    # The page, its count and totals in one query (window aggregates, as the floor does).
    rows, count, totals = selectors.entry_page(entries, number=number, per_page=PAGE_SIZE)
    if count is None:  # past the last page: count, then show the last one
        count, totals = selectors.entry_count_and_totals(entries)
        paginator.count = count
        page = paginator.get_page(number)
        rows = list(page.object_list)
    else:
        paginator.count = count
        page = Page(rows, number, paginator)
    context = {
        "filter_form": filter_form,
        "page": page,
        "entries": rows,
        "rows_html": _entry_list_rows_html(rows),
        "totals": totals,
        "export_query": request.GET.urlencode(),
    }
    return render(request, "timesheets/all_entries.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "Date",
    "Employee",
    "Project",
    "Task",
    "Ticket",
    "Description",
    "Duration (H:MM)",
    "Hours",
    "Sales order",
    "Billing",
]


def _cell(text: str) -> str:
    """User text for a spreadsheet: a leading = + - @ (or tab / CR) would make it a formula
    (CSV injection), so such a value is prefixed with an apostrophe."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(entry: TimesheetEntry) -> list[str]:
    if entry.invoice_line_id:
        billing = "Billed"
    elif entry.sale_line_id:
        billing = "Not billed"
    else:
        billing = "Non-billable"
    return [
        entry.date.isoformat(),
        _cell(entry.employee.get_full_name() or entry.employee.get_username()),
        _cell(entry.project.name),
        _cell(entry.task.name) if entry.task_id else "",
        f"#{entry.ticket_id} {entry.ticket.subject}" if entry.ticket_id else "",
        _cell(entry.description),
        format_minutes(entry.minutes),
        f"{entry.hours:.2f}",
        entry.sale_line.order.name if entry.sale_line_id else "",
        billing,
    ]


@manager_required
@timesheets_feature_required
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    filter_form = EntryFilterForm(request.GET or None)
    entries = selectors.entry_list(filters=filter_form.filters())
    writer = csv.writer(_Echo())
    rows = (writer.writerow(_csv_row(e)) for e in entries.iterator(chunk_size=2000))
    response = StreamingHttpResponse(
        (line for part in ([writer.writerow(CSV_HEADER)], rows) for line in part),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="timesheets-{stamp}.csv"'
    return response
