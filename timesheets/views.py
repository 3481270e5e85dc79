"""Timesheets pages: the entries panel of a ticket (its Timesheets tab) and of a task,
My Timesheets (the week grid) and All Timesheets (managers, with CSV export).

Writes go through timesheets.services; their ValidationErrors are shown on the form.
"""

import csv
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from html import escape  # Django's, minus its lazy-string wrapper: 1,400 calls a page
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
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


def _entry_rows(
    target: Target,
    entries: list[selectors.PanelEntry],
    *,
    user,
    editing: int | None,
    manager: bool,
) -> list[dict]:
    """The panel's rows as plain values, for entries_panel.html: its links reversed once,
    the permission asked once a row, the text escaped here once (`_escaped`)."""
    delete_url = url_of(f"timesheets:{target.kind}_entry_delete", target.obj.pk)
    history_url = url_of("core:history", "timesheets.timesheetentry")
    ticket_url = url_of("helpdesk:ticket_detail")
    on_task = target.kind == "task"
    rows = []
    for entry in entries:
        pk, ticket_id = entry.pk, entry.ticket_id
        on_ticket = on_task and ticket_id
        rows.append(
            {
                "pk": SafeString(pk),
                "editing": pk == editing,
                "entry": entry,
                "day": SafeString(entry.date.isoformat()),
                "employee": _escaped(entry.employee_name),
                "description": _escaped(entry.description),
                "duration": SafeString(entry.duration_display),
                "ticket_url": _escaped(ticket_url(ticket_id)) if on_ticket else "",
                "ticket_id": SafeString(ticket_id) if on_ticket else "",
                "ticket_subject": _escaped(entry.ticket_subject or "") if on_ticket else "",
                "locked": entry.invoice_line_id is not None,
                "invoice": _escaped(entry.invoice_label) if entry.invoice_line_id else "",
                "can_change": can_change_entry(user, entry),
                "delete_url": "" if entry.invoice_line_id else _escaped(delete_url(pk)),
                "history_url": _escaped(history_url(pk)) if manager else "",
            }
        )
    return rows


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
    if target.line is not None and request.method != "GET":
        # Delivered has just changed in this request: read the line again.
        target.line.refresh_from_db(fields=["delivered_minutes", "qty_delivered", "qty_invoiced"])
    context = {
        "target": target,
        "on_task": target.kind == "task",
        "entries": entries,
        "entry_rows": _entry_rows(target, entries, user=user, editing=editing, manager=manager),
        "total_minutes": panel.minutes,
        "entries_count": panel.count,
        "truncated": panel.truncated,
        "add_form": lean_form(add_form or EntryForm(user=user, can_choose_employee=manager)),
        "editing": editing,
        "edit_form": edit_form and lean_form(edit_form),
        "notice": notice,
        "line": target.line,
        "can_log": roles.is_helpdesk_user(user),
        "panel_url": _escaped(panel_url),
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


def _escaped(text: str) -> SafeString:
    """User text escaped here, once: the template then prints it without Django's escape
    (a lazy-string wrapper, 10 us a call; hundreds a page)."""
    return SafeString(escape(text))


class _Day(NamedTuple):
    """What every cell of one grid column repeats, formatted once per page."""

    compact: str  # 20260302, for the cell's id
    vals: str  # the input's hx-vals
    label: str  # ", Monday 2 March", after the row's label


def _days(dates: list[datetime.date]) -> dict[datetime.date, _Day]:
    return {
        day: _Day(
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
) -> SafeString:
    """The <td>s of week-grid cells, joined here rather than in a template: a busy week
    has 1,463 cells, and the template engine's ~5 us a node made the page 80 ms slower
    (see the issue 14 note). The grid's rows, around these cells, are in week_rows.html.

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
        if cell.editable:
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
            count = len(cell.entries)
            title = "Invoiced: locked" if count == 1 else f"{count} entries: see the details"
            alert = f'<span class="cell-error" role="alert">{err}</span>' if error else ""
            body = f'<a href="{url}" title="{title}">{cell.display}</a>{alert}'
        out.append(f'<td id="{cid}" class="{classes}{saved_class}">{body}</td>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours


def _grid_rows(grid: selectors.WeekGrid, cell_url: str) -> list[dict]:
    """The grid's rows for week_rows.html: link, cells (see _cells_html), total; escaped
    here, once (200 rows)."""
    days = _days(grid.days)
    return [
        {
            "key": _escaped(row.key),
            "label": _escaped(row.label),
            "url": _escaped(row.url),
            "cells": _cells_html(row, row.cells, cell_url=cell_url, days=days),
            "minutes": SafeString(format_minutes(row.minutes)),
        }
        for row in grid.rows
    ]


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
    context["grid_rows"] = _grid_rows(context["grid"], context["cell_url"])
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


# An entry's billing, in the words of the Billing filter, and its badge's class.
BILLING_LABELS = dict(selectors.BILLING_CHOICES)
BILLING_BADGES = {
    selectors.BILLED: "badge badge-locked",
    selectors.NOT_BILLED: "badge badge-billable",
    selectors.NON_BILLABLE: "badge",
}


def billing_of(entry: TimesheetEntry) -> str:
    """Billed (on an invoice), not billed (billable: on an order line) or non-billable."""
    if entry.invoice_line_id:
        return selectors.BILLED
    return selectors.NOT_BILLED if entry.sale_line_id else selectors.NON_BILLABLE


def _entry_list_rows(entries: list[TimesheetEntry]) -> list[dict]:
    """All Timesheets' rows as plain values (50 rows, three links each reversed once),
    escaped here once (`_escaped`; `SafeString` for what is ours: dates, numbers, labels)."""
    project_url, ticket_url, task_url = (
        url_of("projects:project_detail"),
        url_of("helpdesk:ticket_detail"),
        url_of("projects:task_detail"),
    )
    rows = []
    for entry in entries:
        employee, billing = entry.employee, billing_of(entry)
        rows.append(
            {
                "day": SafeString(entry.date.isoformat()),
                "employee": _escaped(employee.get_full_name() or employee.get_username()),
                "project_url": _escaped(project_url(entry.project_id)),
                "project": _escaped(entry.project.name),
                "ticket_id": SafeString(entry.ticket_id),
                "ticket_url": _escaped(ticket_url(entry.ticket_id)) if entry.ticket_id else "",
                "ticket_subject": _escaped(entry.ticket.subject) if entry.ticket_id else "",
                "task_url": _escaped(task_url(entry.task_id)) if entry.task_id else "",
                "task": _escaped(entry.task.name) if entry.task_id else "",
                "description": _escaped(entry.description),
                "duration": SafeString(format_minutes(entry.minutes)),
                "order": _escaped(entry.sale_line.order.name) if entry.sale_line_id else "",
                "billing": SafeString(BILLING_LABELS[billing]),
                "billing_badge": SafeString(BILLING_BADGES[billing]),
            }
        )
    return rows


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
        "entry_rows": _entry_list_rows(rows),
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
        BILLING_LABELS[billing_of(entry)],
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
