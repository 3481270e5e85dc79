"""My Timesheets: the week grid, one row per ticket / task / project and work type."""

import datetime
from html import escape  # Django's, minus its lazy-string wrapper: 1,400 calls a page
from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from core.numbers import format_minutes, parse_duration
from core.views import helpdesk_user_required, timesheets_feature_required
from helpdesk.models import Ticket
from projects.models import Project, Task
from timesheets import selectors, services
from timesheets.forms import AddRowForm, clamp_week, parse_week, with_work_type
from timesheets.models import TimesheetEntry
from timesheets.views.rows import escaped

ObjectDoesNotExistErrors = (
    Ticket.DoesNotExist,
    Task.DoesNotExist,
    Project.DoesNotExist,
    TimesheetEntry.DoesNotExist,
)


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
    # The row's label and work type name each cell: two rows of a ticket differ by it.
    label, url = escape(f"{row.label}, {row.work_type}"), escape(row.url)
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
    """The grid's rows for week_rows.html: link, work type, cells (see _cells_html),
    total; escaped here, once (200 rows)."""
    days = _days(grid.days)
    return [
        {
            "key": escaped(row.key),
            "label": escaped(row.label),
            "url": escaped(row.url),
            "work_type": escaped(row.work_type),
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
    # A line added with Add line: its key, with the work type chosen beside it.
    work_type = request.GET.get("work_type")
    extra_keys = [with_work_type(key, work_type) for key in request.GET.getlist("add") if key]
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
    """Type a duration into a cell: log an entry, or change / clear the cell's one entry.

    The cell's row names a target and a work type; an entry is logged with that work
    type, and only that row's entries are the cell's."""
    key = selectors.full_row_key(request.POST.get("row", "")) or ""
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
