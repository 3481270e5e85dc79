"""Reads for helpdesk pages and services."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from core import roles
from helpdesk import events
from helpdesk.models import HelpdeskTeam, Ticket
from projects.models import Task
from sales.models import Customer, SaleOrderLine


def tasks_for_ticket(*, team: HelpdeskTeam | None, customer: Customer | None) -> QuerySet[Task]:
    """Tasks a ticket may link to (DOMAIN.md rule 9).

    A task of the team's project whose order belongs to the ticket's customer; a task
    with no order line (non-billable) when it has no customer or the same one.
    """
    if team is None or team.project_id is None or customer is None:
        return Task.objects.none()
    # The two kinds as a UNION of ids, each reached by an index: the customer's order
    # lines (`IN (subquery)`; a join made PostgreSQL read every line and order), then the
    # task by its line; and the tasks without a line (NULLs are in the sale_line index).
    # As one OR, PostgreSQL read all of the project's 8,000 tasks to keep 50 (3.5 ms).
    # No select_related: the Task select prints names.
    customer_lines = SaleOrderLine.objects.filter(order__customer=customer).values("id")
    in_project = Task.objects.filter(project_id=team.project_id).order_by()
    billable = in_project.filter(sale_line__in=customer_lines).values("id")
    non_billable = (
        in_project.filter(sale_line__isnull=True)
        .filter(Q(customer__isnull=True) | Q(customer=customer))
        .values("id")
    )
    return (
        Task.objects.filter(pk__in=billable.union(non_billable))
        .defer("description")  # the select prints names; a description can be pages long
        .order_by("-id")
    )


def week_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of `day`'s week."""
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def teams_overview(*, today: datetime.date) -> list[HelpdeskTeam]:
    """Teams with `open_count` (New / In Progress tickets) and `week_minutes` (time
    logged on their tickets in `today`'s week, Monday to Sunday).

    Three queries whatever the number of tickets: the teams; the open tickets counted
    per team (an index-only scan of the (team, stage) index, about 2 ms for 100k
    tickets); and the week's minutes per team, which timesheets (the app above)
    answers to `week_minutes_by_team` from the week's entries (the date index). All in
    one query, the minutes' subquery landed in the GROUP BY and PostgreSQL ran it once
    per ticket: 818 ms with 100k tickets and an empty week, hours with a busy one.
    """
    monday, sunday = week_bounds(today)
    teams = list(HelpdeskTeam.objects.select_related("project").order_by("name"))
    open_counts = dict(
        Ticket.objects.filter(stage__in=Ticket.OPEN_STAGES)
        .order_by()
        .values("team_id")
        .annotate(count=Count("pk"))
        .values_list("team_id", "count")
    )
    minutes: dict[int, int] = {}
    for _receiver, by_team in events.week_minutes_by_team.send(
        sender=HelpdeskTeam, monday=monday, sunday=sunday
    ):
        for team_id, total in (by_team or {}).items():
            minutes[team_id] = minutes.get(team_id, 0) + total
    for team in teams:
        team.open_count = open_counts.get(team.pk, 0)
        team.week_minutes = minutes.get(team.pk, 0)
    return teams


@dataclass(frozen=True)
class TicketFilters:
    team: int | None = None
    stage: str = ""
    customer: int | None = None
    assignee: int | None = None
    search: str = ""


def ticket_list(*, filters: TicketFilters) -> QuerySet[Ticket]:
    """Tickets for the list page, everything a row shows selected in the same query."""
    qs = Ticket.objects.select_related("team", "customer", "assignee", "task")
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.stage == "open":
        qs = qs.filter(stage__in=Ticket.OPEN_STAGES)
    elif filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.search:
        term = filters.search.strip()
        match = Q(subject__icontains=term) | Q(customer__name__icontains=term)
        if term.lstrip("#").isdigit():
            match |= Q(pk=int(term.lstrip("#")))
        qs = qs.filter(match)
    return qs.order_by("-id")


def ticket_detail(*, pk: int) -> Ticket:
    """A ticket with what its form shows: its team and customer (the Task choices follow
    them) and its task's order line (remaining hours). Not the assignee (the select
    needs its id) nor the team's or task's project: each joined table cost planning time
    (4.8 ms with them, 2 ms without); the services read what they write under lock."""
    return Ticket.objects.select_related(
        "team", "customer", "task__sale_line__order", "task__sale_line__uom"
    ).get(pk=pk)


def helpdesk_staff() -> QuerySet:
    """Users who may be assigned a ticket: Helpdesk Users, Managers and admins.

    The groups as an `IN (subquery)`, not a join: no DISTINCT over every user column
    (this select is on the ticket form, the Timesheets tab and the filters)."""
    user_model = get_user_model()
    in_role = user_model.groups.through.objects.filter(group__name__in=roles.ROLE_GROUPS).values(
        "user_id"
    )
    return (
        user_model.objects.filter(is_active=True)
        .filter(Q(pk__in=in_role) | Q(is_superuser=True))
        .order_by("first_name", "last_name", "username")
    )
