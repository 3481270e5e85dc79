"""Helpdesk pages: teams overview, ticket list, ticket form.

The ticket's Timesheets tab is served by the timesheets app (an upper app) and
loaded into the page with htmx, so helpdesk never imports timesheets.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.context_processors import app_settings
from core.forms import apply_service_errors, lean_form
from core.views import helpdesk_user_required
from core.web import paginate
from helpdesk import selectors, services
from helpdesk.forms import TicketFilterForm, TicketForm
from helpdesk.models import Ticket


@helpdesk_user_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    # `?week=YYYY-MM-DD` shows the hours of that day's week (as My Timesheets does);
    # missing or malformed: this week.
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("week") or "")
    except ValueError:
        day = today
    if not datetime.date(1, 1, 8) <= day <= datetime.date(9999, 12, 20):
        day = today  # the previous / next week links must exist too
    monday, _sunday = selectors.week_bounds(day)
    teams = selectors.teams_overview(today=day)
    context = {
        "teams": teams,
        "monday": monday,
        "this_week": monday == selectors.week_bounds(today)[0],
        "prev_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
    }
    return render(request, "helpdesk/team_list.html", context)


@helpdesk_user_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    filter_form = TicketFilterForm(request.GET or None)
    tickets = selectors.ticket_list(filters=filter_form.filters())
    page = paginate(request, tickets)
    return render(
        request,
        "helpdesk/ticket_list.html",
        {"filter_form": filter_form, "page": page, "tickets": page.object_list},
    )


@helpdesk_user_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    initial = {key: request.GET[key] for key in ("team", "customer") if request.GET.get(key)}
    form = lean_form(TicketForm(request.POST or None, initial=initial))
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(**form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Ticket #{ticket.pk} created.")
            return redirect("helpdesk:ticket_detail", pk=ticket.pk)
    return render(request, "helpdesk/ticket_form.html", {"form": form, "ticket": None})


@helpdesk_user_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ticket = selectors.ticket_detail(pk=pk)
    except Ticket.DoesNotExist:
        raise Http404("No such ticket.") from None
    form = lean_form(TicketForm(request.POST or None, instance=ticket))
    if request.method == "POST" and form.is_valid():
        try:
            # One savepoint: a refused task change also undoes the other edits.
            with transaction.atomic():
                services.ticket_update(ticket=ticket, actor=request.user, **form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Ticket saved.")
            return redirect("helpdesk:ticket_detail", pk=ticket.pk)
    if form.errors:
        ticket = selectors.ticket_detail(pk=pk)  # the form wrote its values on the instance
    features = app_settings(request)
    context = {
        "form": form,
        "ticket": ticket,
        "line": ticket.task.sale_line if ticket.task_id and ticket.task.sale_line_id else None,
        "show_timesheets": features.timesheets_enabled and ticket.team.use_timesheets,
    }
    return render(request, "helpdesk/ticket_form.html", context)


@helpdesk_user_required
@require_GET
def task_options(request: HttpRequest) -> HttpResponse:
    """The Task <select> for the chosen team and customer (htmx, when either changes)."""
    form = lean_form(TicketForm(request.GET))
    return render(request, "helpdesk/partials/task_select.html", {"field": form["task"]})
