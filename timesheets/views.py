"""Timesheets pages: the entries panel of a ticket (its Timesheets tab) and of a task,
My Timesheets (the week grid) and All Timesheets (managers, with CSV export).

Writes go through timesheets.services; their ValidationErrors are shown on the form.
"""

import csv
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from core import roles
from core.forms import lean_selects
from core.links import url_of
from core.numbers import format_minutes, parse_duration
from core.views import helpdesk_user_required, manager_required, timesheets_feature_required
from helpdesk.models import Ticket
from projects.models import Task
from sales.models import SaleOrderLine
from timesheets import selectors, services
from timesheets.forms import (
    AddRowForm,
    EntryFilterForm,
    EntryForm,
    add_service_errors,
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

    def entries(self) -> list[TimesheetEntry]:
        if self.kind == "ticket":
            return list(selectors.entries_for_ticket(ticket=self.obj))
        return list(selectors.entries_for_task(task=self.obj))

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
    entries = target.entries()
    # One reverse per URL name, not per row (50 rows).
    delete_url = url_of(f"timesheets:{target.kind}_entry_delete", target.obj.pk)
    history_url = url_of("core:history", "timesheets.timesheetentry")
    ticket_url = url_of("helpdesk:ticket_detail")
    for entry in entries:
        entry.can_change = can_change_entry(user, entry)
        entry.delete_url = delete_url(entry.pk)
        entry.history_url = history_url(entry.pk)
        entry.day = entry.date.isoformat()
        employee = entry.employee
        entry.employee_name = employee.get_full_name() or employee.get_username()
        if entry.ticket_id:
            entry.ticket_url = ticket_url(entry.ticket_id)
    if target.line is not None:
        # Delivered has just changed in this request: read the line again.
        target.line.refresh_from_db(fields=["delivered_minutes", "qty_delivered", "qty_invoiced"])
    context = {
        "target": target,
        "entries": entries,
        "total_minutes": selectors.total_minutes(entries),
        "add_form": lean_selects(add_form or EntryForm(user=user, can_choose_employee=manager)),
        "editing": editing,
        "edit_form": edit_form and lean_selects(edit_form),
        "notice": notice,
        "line": target.line,
        "can_log": roles.is_helpdesk_user(user),
        "panel_url": target.url("entries"),
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
            add_service_errors(form, error)
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


ObjectDoesNotExistErrors = (Ticket.DoesNotExist, Task.DoesNotExist, TimesheetEntry.DoesNotExist)


# --- My Timesheets ------------------------------------------------------------------------


def _cells_html(
    row: selectors.GridRow,
    cells: list[selectors.GridCell],
    *,
    cell_url: str,
    saved: bool = False,
    error: str = "",
    typed: str | None = None,
) -> str:
    """The <td>s of week-grid cells, built in Python: a busy week has 1,400 cells.

    Each input carries only its day: the row (hx-vals with the row's key) and the grid's
    <tbody> (hx-target="closest td", hx-swap) give the rest by htmx inheritance, and an
    input's default trigger is `change`. So a cell is ~250 bytes, not 550."""
    label, url = escape(row.label), escape(row.url)
    err = escape(error)
    saved_class = " cell-saved" if saved else ""
    out = []
    for cell in cells:
        cid = f"cell-{row.key}-{cell.date:%Y%m%d}"
        classes = "cell num today" if cell.is_today else "cell num"
        if not cell.entries or (len(cell.entries) == 1 and not cell.entries[0].is_locked):
            value = escape(typed) if typed is not None else cell.display
            invalid = alert = ""
            if error:
                invalid = f' aria-invalid="true" aria-describedby="err-{cid}"'
                alert = f'<span class="cell-error" id="err-{cid}" role="alert">{err}</span>'
            body = (
                f'<input class="cell-input" name="duration" inputmode="decimal"'
                f' autocomplete="off" value="{value}"'
                f' aria-label="{label}, {selectors.day_label(cell.date)}"'
                f""" hx-post="{cell_url}" hx-vals='{{"date": "{cell.date.isoformat()}"}}'"""
                f"{invalid}>{alert}"
            )
        else:
            title = (
                "Invoiced: locked"
                if len(cell.entries) == 1
                else f"{len(cell.entries)} entries: see the details"
            )
            alert = f'<span class="cell-error" role="alert">{err}</span>' if error else ""
            body = f'<a href="{url}" title="{title}">{cell.display}</a>{alert}'
        out.append(f'<td id="{cid}" class="{classes}{saved_class}">{body}</td>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours


def _rows_html(grid: selectors.WeekGrid, cell_url: str) -> str:
    """The grid's <tr>s: the row's link, its cells (see _cells_html) and its total."""
    out = []
    for row in grid.rows:
        key = escape(row.key)
        out.append(
            f"""<tr hx-vals='{{"row": "{key}"}}'><th scope="row" class="rowname">"""
            f'<a href="{escape(row.url)}">{escape(row.label)}</a></th>'
            f"{_cells_html(row, row.cells, cell_url=cell_url)}"
            f'<td id="total-{key}" class="num"><strong>{format_minutes(row.minutes)}'
            "</strong></td></tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped or ours


def _week_context(request: HttpRequest, monday: datetime.date, extra_keys: list[str]) -> dict:
    grid = selectors.week_grid(employee=request.user, monday=monday, extra_keys=extra_keys)
    cell_url = reverse("timesheets:week_cell")
    return {
        "grid": grid,
        "cell_url": cell_url,
        "monday": monday,
        "sunday": grid.days[-1],
        "prev_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
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


@manager_required
@timesheets_feature_required
@require_GET
def all_entries(request: HttpRequest) -> HttpResponse:
    filter_form = EntryFilterForm(request.GET or None)
    entries = selectors.entry_list(filters=filter_form.filters())
    count, totals = selectors.entry_count_and_totals(entries)
    paginator = Paginator(entries, 50)
    paginator.count = count  # counted with the totals: no second scan for a COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    project_url, ticket_url, task_url = (
        url_of("projects:project_detail"),
        url_of("helpdesk:ticket_detail"),
        url_of("projects:task_detail"),
    )
    entries = list(page.object_list)
    for entry in entries:  # one reverse per URL name, not three per row
        entry.project_url = project_url(entry.project_id)
        entry.ticket_url = ticket_url(entry.ticket_id) if entry.ticket_id else ""
        entry.task_url = task_url(entry.task_id) if entry.task_id else ""
    context = {
        "filter_form": filter_form,
        "page": page,
        "entries": entries,
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
