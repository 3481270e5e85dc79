"""Approvals (managers, DOMAIN.md rule 33): the entries To approve of a week, an employee
or a customer; approve the ticked ones or all those shown."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from core.context_processors import app_settings
from core.links import url_of
from core.numbers import format_minutes
from core.views import manager_required, timesheets_feature_required
from core.web import flash_error, flash_form_errors
from timesheets import selectors, services
from timesheets.forms import ApprovalFilterForm, ApproveForm
from timesheets.models import TimesheetEntry
from timesheets.views.rows import MARKER_BADGES, adjust_note, escaped

FILTER_NAMES = ("week", "employee", "customer")


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _approval_rows(
    rows: list[selectors.ApprovalRow], *, locked_up_to: datetime.date | None
) -> list[dict]:
    """The page's rows as plain values, escaped here once. An entry dated in the locked
    period (rule 34) is shown but cannot be approved (nor anything else)."""
    ticket_url, task_url = url_of("helpdesk:ticket_detail"), url_of("projects:task_detail")
    out = []
    for row in rows:
        entry = row.entry
        marker = selectors.billed_marker(
            sale_line_id=entry.sale_line_id,
            non_billable=entry.non_billable,
            work_type_billing=entry.work_type.billing,
            approval_state=TimesheetEntry.APPROVED,
            override=entry.billed_minutes_override,
        )
        if entry.ticket_id:
            target = (f"#{entry.ticket_id} {entry.ticket.subject}", ticket_url(entry.ticket_id))
        elif entry.task_id:
            target = (entry.task.name, task_url(entry.task_id))
        else:
            target = (entry.project.name, "")
        adjusted = ""
        if entry.billed_minutes_override is not None:
            adjusted = adjust_note(reason=entry.adjust_reason, by="", at=None)
        out.append(
            {
                "pk": SafeString(entry.pk),
                "day": SafeString(entry.date.isoformat()),
                "employee": escaped(_name(entry.employee)),
                "customer": escaped(row.customer),
                "target": escaped(target[0]),
                "target_url": escaped(target[1]),
                "description": escaped(entry.description),
                "work_type": escaped(entry.work_type.name),
                "worked": SafeString(format_minutes(entry.minutes)),
                "billed": SafeString(format_minutes(row.billed_if_approved)),
                "billed_marker": SafeString(marker),
                "billed_badge": SafeString(MARKER_BADGES.get(marker, "")),
                "adjust_note": escaped(adjusted),
                "locked": locked_up_to is not None and entry.date <= locked_up_to,
            }
        )
    return out


def _query(data: QueryDict, **changes) -> str:
    """The filters of the page as a query string (only the filters: never the page's
    other parameters), with `changes`."""
    values = {name: data.get(name, "") for name in FILTER_NAMES}
    values.update(changes)
    query = QueryDict(mutable=True)
    for name, value in values.items():
        if value:
            query[name] = str(value)
    return query.urlencode()


@manager_required
@timesheets_feature_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    filter_form = ApprovalFilterForm(request.GET or None)
    filters = filter_form.filters()
    rows, count = selectors.entries_to_approve(filters=filters)
    page_rows = _approval_rows(rows, locked_up_to=app_settings(request).timesheets_locked_up_to)
    context = {
        "filter_form": filter_form,
        "rows": page_rows,
        "count": count,
        "shown": [row["pk"] for row in page_rows if not row["locked"]],
        "monday": filters.monday,
        "sunday": filters.monday + datetime.timedelta(days=6) if filters.monday else None,
        "query": _query(request.GET),
    }
    if filters.monday:
        week = datetime.timedelta(days=7)
        context["prev_week"] = _query(request.GET, week=(filters.monday - week).isoformat())
        context["next_week"] = _query(request.GET, week=(filters.monday + week).isoformat())
    return render(request, "timesheets/approvals.html", context)


@manager_required
@timesheets_feature_required
@require_POST
def approve(request: HttpRequest) -> HttpResponse:
    """Approve selected, or Approve all shown: the entries of those ids that are still To
    approve become Approved and are billed (`timesheets_approve`); back to the page with
    its filters."""
    back = reverse("timesheets:approvals")
    query = _query(QueryDict(request.POST.get("query", "")))
    if query:
        back = f"{back}?{query}"
    form = ApproveForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect(back)
    ids = form.cleaned_data["ids"]
    try:
        approved = services.timesheets_approve(entries=ids, actor=request.user)
    except ValidationError as error:
        flash_error(request, error)
        return redirect(back)
    text = f"{approved} {'entry' if approved == 1 else 'entries'} approved."
    left = len(ids) - approved
    if left:
        text += (
            f" {left} {'was' if left == 1 else 'were'} not To approve any more (approved"
            " or invoiced meanwhile, or dated in the locked period)."
        )
    messages.success(request, text)
    return redirect(back)
