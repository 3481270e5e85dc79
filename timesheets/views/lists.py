"""All Timesheets (managers): the filtered entries, their totals, and the CSV export."""

import csv
from fractions import Fraction
from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from core.links import url_of
from core.numbers import format_minutes, round_half_up
from core.views import manager_required, timesheets_feature_required
from timesheets import selectors
from timesheets.forms import EntryFilterForm
from timesheets.models import TimesheetEntry
from timesheets.views.rows import (
    APPROVAL_LABELS,
    NON_BILLABLE_MARKER,
    adjust_note,
    adjustable,
    approval_values,
    billed_values,
    escaped,
)

PAGE_SIZE = 50


# An entry's billing, in the words of the Billing filter, and its badge's class.
BILLING_LABELS = dict(selectors.BILLING_CHOICES)
BILLING_BADGES = {
    selectors.BILLED: "badge badge-locked",
    selectors.NOT_BILLED: "badge badge-billable",
    selectors.NON_BILLABLE: "badge",
}


def billing_of(entry: TimesheetEntry) -> str:
    """Invoiced (billed: on an invoice), not invoiced (billable: on an order line, billed
    now or once approved) or non-billable (no line, marked so, or a Non-billable work
    type); as the Billing filter (selectors.entry_list) sorts them."""
    if entry.invoice_line_id:
        return selectors.BILLED
    return _billing(_marker(entry))


def _billing(marker: str) -> str:
    return selectors.NON_BILLABLE if marker == NON_BILLABLE_MARKER else selectors.NOT_BILLED


def _marker(entry: TimesheetEntry) -> str:
    return selectors.billed_marker(
        sale_line_id=entry.sale_line_id,
        non_billable=entry.non_billable,
        work_type_billing=entry.work_type.billing,
        approval_state=entry.approval_state,
        override=entry.billed_minutes_override,
    )


def _adjuster(entry: TimesheetEntry) -> str:
    user = entry.adjusted_by
    return (user.get_full_name() or user.get_username()) if user else ""


def _entry_list_rows(entries: list[TimesheetEntry], *, back: str) -> list[dict]:
    """All Timesheets' rows as plain values (50 rows, four links each reversed once),
    escaped here once (`escaped`; `SafeString` for what is ours: dates, numbers, labels)."""
    project_url, ticket_url, task_url, billed_url = (
        url_of("projects:project_detail"),
        url_of("helpdesk:ticket_detail"),
        url_of("projects:task_detail"),
        url_of("timesheets:entry_billed"),
    )
    rows = []
    for entry in entries:
        employee, marker = entry.employee, _marker(entry)
        billing = selectors.BILLED if entry.invoice_line_id else _billing(marker)
        rows.append(
            {
                "day": SafeString(entry.date.isoformat()),
                "employee": escaped(employee.get_full_name() or employee.get_username()),
                "project_url": escaped(project_url(entry.project_id)),
                "project": escaped(entry.project.name),
                "ticket_id": SafeString(entry.ticket_id),
                "ticket_url": escaped(ticket_url(entry.ticket_id)) if entry.ticket_id else "",
                "ticket_subject": escaped(entry.ticket.subject) if entry.ticket_id else "",
                "task_url": escaped(task_url(entry.task_id)) if entry.task_id else "",
                "task": escaped(entry.task.name) if entry.task_id else "",
                "description": escaped(entry.description),
                "work_type": escaped(entry.work_type.name),
                "duration": SafeString(format_minutes(entry.minutes)),
                **billed_values(
                    marker=marker,
                    billed_minutes=entry.billed_minutes,
                    override=entry.billed_minutes_override,
                    reason=entry.adjust_reason,
                    by=_adjuster(entry),
                    at=entry.adjusted_at,
                ),
                "billed_url": escaped(f"{billed_url(entry.pk)}?next={back}")
                if adjustable(invoiced=entry.invoice_line_id is not None, marker=marker)
                else "",
                **approval_values(entry.approval_state),
                "order": escaped(entry.sale_line.order.name) if entry.sale_line_id else "",
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
    back = _quoted(request.get_full_path())
    context = {
        "filter_form": filter_form,
        "page": page,
        "entries": rows,
        "entry_rows": _entry_list_rows(rows, back=back),
        "totals": totals,
        "export_query": request.GET.urlencode(),
    }
    return render(request, "timesheets/all_entries.html", context)


def _quoted(path: str) -> str:
    return quote(path, safe="/")


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
    "Work type",
    "Worked (H:MM)",
    "Worked hours",
    "Billed (H:MM)",
    "Billed hours",
    "Sales order",
    "Billing",
    "Approval",
    "Billed time adjusted",
]


def _cell(text: str) -> str:
    """User text for a spreadsheet: a leading = + - @ (or tab / CR) would make it a formula
    (CSV injection), so such a value is prefixed with an apostrophe."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _hours(minutes: int) -> str:
    """Minutes as decimal hours, to the 0.01 half up (the app's units round so)."""
    return f"{round_half_up(Fraction(minutes, 60)):.2f}"


def _csv_row(entry: TimesheetEntry) -> list[str]:
    """One entry: worked and billed time as H:MM and as decimal hours (rule 28), its
    billing and approval in the list's words, a manager's adjustment with who and when."""
    adjusted = ""
    if entry.billed_minutes_override is not None:
        adjusted = adjust_note(
            reason=entry.adjust_reason, by=_adjuster(entry), at=entry.adjusted_at
        )
    return [
        entry.date.isoformat(),
        _cell(entry.employee.get_full_name() or entry.employee.get_username()),
        _cell(entry.project.name),
        _cell(entry.task.name) if entry.task_id else "",
        f"#{entry.ticket_id} {entry.ticket.subject}" if entry.ticket_id else "",
        _cell(entry.description),
        _cell(entry.work_type.name),
        format_minutes(entry.minutes),
        _hours(entry.minutes),
        format_minutes(entry.billed_minutes),
        _hours(entry.billed_minutes),
        entry.sale_line.order.name if entry.sale_line_id else "",
        BILLING_LABELS[billing_of(entry)],
        APPROVAL_LABELS.get(entry.approval_state, ""),
        _cell(adjusted),
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
