"""The staff home page (the teams overview) costs the same whatever the number of tickets.

Its figures once came from one query whose minutes subquery sat in the GROUP BY, so
PostgreSQL ran it once per ticket (hours with 100k tickets and a week of logged time).
Deterministic checks, not timings: the page's query count for 1 and for 30 tickets per
team, and on PostgreSQL the plan of each of its queries has no SubPlan (a correlated
subquery the executor runs once per outer row).
"""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import Ticket
from tests.factories import CustomerFactory, StaffUserFactory, TeamFactory, TicketFactory
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


def add_tickets(teams, *, per_team: int, employee) -> None:
    """`per_team` open tickets on each team, each with 5 minutes logged this week."""
    today = timezone.localdate()
    customer = CustomerFactory()
    for team in teams:
        for _ in range(per_team):
            ticket = TicketFactory(team=team, customer=customer, stage=Ticket.NEW)
            timesheet_log(employee=employee, date=today, minutes=5, ticket=ticket)


def page_queries(client) -> list[str]:
    client.get(reverse("helpdesk:team_list"))  # the session's first-request writes
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("helpdesk:team_list"))
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


def subplans(node: dict) -> list[str]:
    """Names of the SubPlans in an EXPLAIN (FORMAT JSON) plan tree."""
    found = [node["Subplan Name"]] if node.get("Parent Relationship") == "SubPlan" else []
    for child in node.get("Plans", []):
        found += subplans(child)
    return found


@pytest.fixture
def overview(client, features):
    employee = StaffUserFactory()
    client.force_login(employee)
    teams = [TeamFactory(), TeamFactory()]
    return client, teams, employee


def test_teams_overview_runs_as_many_queries_for_30_tickets_a_team_as_for_1(overview):
    client, teams, employee = overview
    add_tickets(teams, per_team=1, employee=employee)
    one = page_queries(client)
    add_tickets(teams, per_team=29, employee=employee)
    thirty = page_queries(client)
    assert len(thirty) == len(one)
    team = next(t for t in client.get(reverse("helpdesk:team_list")).context["teams"])
    assert (team.open_count, team.week_minutes) == (30, 150)


def test_teams_overview_plans_run_no_subquery_per_ticket(overview):
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's plans (EXPLAIN (FORMAT JSON))")
    client, teams, employee = overview
    add_tickets(teams, per_team=30, employee=employee)
    # A busy week elsewhere too: minutes of last week are not this week's.
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    other = TicketFactory(team=teams[0], stage=Ticket.SOLVED)
    timesheet_log(employee=employee, date=last_week, minutes=600, ticket=other)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The queries that read tickets or entries (the session's user query has SubPlans of
    # its own, run once for the one user).
    reads = [
        sql
        for sql in page_queries(client)
        if sql.lstrip().upper().startswith("SELECT")
        and ('"helpdesk_ticket"' in sql or '"timesheets_timesheetentry"' in sql)
    ]
    assert reads
    for sql in reads:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        assert subplans(plan[0]["Plan"]) == [], sql
