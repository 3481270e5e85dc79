"""The entries panel of a ticket (its Timesheets tab) and of a task, and an entry's
billed time (a manager's adjustment, rule 28).

Writes go through timesheets.services; their ValidationErrors are shown on the form.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import roles
from core.forms import apply_service_errors, lean_form
from core.links import url_of
from core.numbers import format_minutes
from core.views import helpdesk_user_required, timesheets_feature_required
from helpdesk.models import Ticket
from projects.models import Task
from sales.models import SaleOrderLine
from timesheets import selectors, services
from timesheets.forms import (
    ADJUST_FIELD_RENAMES,
    SERVICE_FIELD_RENAMES,
    AdjustBilledForm,
    EntryForm,
)
from timesheets.models import TimesheetEntry
from timesheets.permissions import can_change_entry, can_log_for
from timesheets.views.rows import adjustable, approval_values, billed_values, escaped


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

    @cached_property
    def default_work_type(self) -> int:
        """A new entry's work type: the ticket team's default, else "Support" (rule 27)."""
        return selectors.default_work_type_id(ticket=self.obj if self.kind == "ticket" else None)

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
    the permission asked once a row, the text escaped here once (`escaped`)."""
    delete_url = url_of(f"timesheets:{target.kind}_entry_delete", target.obj.pk)
    history_url = url_of("core:history", "timesheets.timesheetentry")
    billed_url = url_of("timesheets:entry_billed")
    ticket_url = url_of("helpdesk:ticket_detail")
    on_task = target.kind == "task"
    rows = []
    for entry in entries:
        pk, ticket_id = entry.pk, entry.ticket_id
        on_ticket = on_task and ticket_id
        locked = entry.invoice_line_id is not None
        rows.append(
            {
                "pk": SafeString(pk),
                "editing": pk == editing,
                "entry": entry,
                "day": SafeString(entry.date.isoformat()),
                "employee": escaped(entry.employee_name),
                "description": escaped(entry.description),
                "work_type": escaped(entry.work_type_name),
                "duration": SafeString(entry.duration_display),
                **billed_values(
                    marker=entry.billed_marker,
                    billed_minutes=entry.billed_minutes,
                    override=entry.billed_minutes_override,
                    reason=entry.adjust_reason,
                    by=entry.adjusted_by_name,
                    at=entry.adjusted_at,
                ),
                **approval_values(entry.approval_state),
                "ticket_url": escaped(ticket_url(ticket_id)) if on_ticket else "",
                "ticket_id": SafeString(ticket_id) if on_ticket else "",
                "ticket_subject": escaped(entry.ticket_subject or "") if on_ticket else "",
                "locked": locked,
                "invoice": escaped(entry.invoice_label) if locked else "",
                "can_change": can_change_entry(user, entry),
                "delete_url": "" if locked else escaped(delete_url(pk)),
                "adjust_url": escaped(billed_url(pk))
                if manager and adjustable(invoiced=locked, marker=entry.billed_marker)
                else "",
                "history_url": escaped(history_url(pk)) if manager else "",
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
        "total_billed": panel.billed,
        "entries_count": panel.count,
        "truncated": panel.truncated,
        "add_form": lean_form(
            add_form
            or EntryForm(
                user=user, can_choose_employee=manager, default_work_type=target.default_work_type
            )
        ),
        "editing": editing,
        "edit_form": edit_form and lean_form(edit_form),
        "notice": notice,
        "line": target.line,
        "can_log": roles.is_helpdesk_user(user),
        "panel_url": escaped(panel_url),
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


# --- an entry's billed time (rule 28) ------------------------------------------------------


def _entry_page_url(entry: TimesheetEntry) -> str:
    """Where an entry is shown: its ticket's Timesheets tab, else its task, else All
    Timesheets."""
    if entry.ticket_id:
        return reverse("helpdesk:ticket_detail", args=[entry.ticket_id]) + "#tab-timesheets"
    if entry.task_id:
        return reverse("projects:task_detail", args=[entry.task_id])
    return reverse("timesheets:all")


def _next_url(request: HttpRequest) -> str:
    """`next` when it is a page of this site (All Timesheets, say), else ""."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


@helpdesk_user_required
@timesheets_feature_required
@require_http_methods(["GET", "POST"])
def entry_billed(request: HttpRequest, entry_pk: int) -> HttpResponse:
    """An entry's worked and billed time, and the manager's adjustment with its reason,
    who and when. A manager sets it ("Billed time", "Reason") or clears it; anyone else
    reads it (a POST from them is refused: 403)."""
    entry = selectors.entry_for_billed(pk=entry_pk)
    if entry is None:
        raise Http404("No such timesheet entry.")
    manager = roles.is_manager(request.user)
    if request.method == "POST" and not manager:
        raise PermissionDenied("Only a manager adjusts billed time.")
    next_url = _next_url(request)
    back = next_url or _entry_page_url(entry)
    form = AdjustBilledForm(request.POST or None, entry=entry) if manager else None
    if request.method == "POST":
        clearing = "clear" in request.POST
        if clearing or form.is_valid():
            minutes = None if clearing else form.cleaned_data["billed"]
            reason = "" if clearing else form.cleaned_data["reason"]
            try:
                services.timesheet_adjust_billed(
                    entry=entry, minutes=minutes, reason=reason, actor=request.user
                )
            except ValidationError as error:
                if clearing:
                    form = AdjustBilledForm(entry=entry)
                apply_service_errors(form, error, renames=ADJUST_FIELD_RENAMES)
            else:
                done = "Billed time reset to the rule." if clearing else "Billed time adjusted."
                messages.success(request, done)
                return redirect(back)
    context = {
        "entry": entry,
        "form": form,
        "back": back,
        "next": next_url,
        "marker": selectors.billed_marker(
            sale_line_id=entry.sale_line_id,
            non_billable=entry.non_billable,
            work_type_billing=entry.work_type.billing,
            approval_state=entry.approval_state,
            override=entry.billed_minutes_override,
        ),
    }
    return render(request, "timesheets/entry_billed.html", context)
