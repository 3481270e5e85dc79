"""Project pages: allocated vs logged hours, tasks by stage, the task form and its entries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Task
from tests.builders import build_ticket_world
from tests.factories import ProjectFactory, TaskFactory
from tests.web.conftest import HTMX
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


def test_project_pages_are_for_users_and_managers(
    as_user, helpdesk_user, manager, no_role_user, world
):
    for url in (
        reverse("projects:project_list"),
        reverse("projects:project_detail", args=[world.task.project_id]),
        reverse("projects:task_detail", args=[world.task.pk]),
    ):
        assert as_user(helpdesk_user).get(url).status_code == 200
        assert as_user(manager).get(url).status_code == 200
        assert as_user(no_role_user).get(url).status_code == 403


def test_projects_show_allocated_against_logged_hours(as_user, helpdesk_user, world):
    timesheet_log(employee=helpdesk_user, date="2026-02-02", minutes=150, ticket=world.ticket)
    TaskFactory(project=world.task.project, allocated_hours=Decimal("2.50"))
    response = as_user(helpdesk_user).get(reverse("projects:project_list"))
    project = next(p for p in response.context["projects"] if p.pk == world.task.project_id)
    assert project.allocated_hours == Decimal("12.50")  # 10 h ordered + 2.5 h
    assert project.logged_minutes == 150
    html = response.content.decode()
    assert "12:30" in html and "2:30" in html


def test_the_project_list_runs_a_constant_number_of_queries(
    as_user, helpdesk_user, features, count_queries, django_assert_max_num_queries
):
    as_user(helpdesk_user)
    TaskFactory(project=ProjectFactory(), allocated_hours=Decimal("1"))
    one, _ = count_queries(reverse("projects:project_list"))
    for _ in range(49):
        TaskFactory(project=ProjectFactory(), allocated_hours=Decimal("1"))
    with django_assert_max_num_queries(one):
        _, response = count_queries(reverse("projects:project_list"))
    assert len(response.context["projects"]) == 50


def test_a_projects_tasks_are_grouped_by_stage(as_user, helpdesk_user, features):
    project = ProjectFactory()
    new = TaskFactory(project=project, name="Fresh")
    done = TaskFactory(project=project, name="Finished", stage=Task.DONE)
    response = as_user(helpdesk_user).get(reverse("projects:project_detail", args=[project.pk]))
    stages = {stage["code"]: stage["tasks"] for stage in response.context["stages"]}
    assert stages[Task.NEW] == [new]
    assert stages[Task.DONE] == [done]
    assert stages[Task.IN_PROGRESS] == []


def test_the_project_page_runs_a_constant_number_of_queries(
    as_user, helpdesk_user, features, count_queries, django_assert_max_num_queries
):
    as_user(helpdesk_user)
    world = build_ticket_world()
    url = reverse("projects:project_detail", args=[world.task.project_id])
    one, _ = count_queries(url)
    TaskFactory.create_batch(49, project=world.task.project, assignee=helpdesk_user)
    with django_assert_max_num_queries(one):
        count_queries(url)


def test_the_task_shows_its_order_line_and_all_entries_ticket_ones_included(
    as_user, helpdesk_user, world
):
    from_ticket = timesheet_log(
        employee=helpdesk_user, date="2026-02-02", minutes=60, ticket=world.ticket
    )
    on_task = timesheet_log(employee=helpdesk_user, date="2026-02-03", minutes=30, task=world.task)
    client = as_user(helpdesk_user)
    page = client.get(reverse("projects:task_detail", args=[world.task.pk])).content.decode()
    assert world.line.order.name in page and "Delivered" in page
    panel = client.get(reverse("timesheets:task_entries", args=[world.task.pk]), **HTMX)
    assert {entry.pk for entry in panel.context["entries"]} == {from_ticket.pk, on_task.pk}
    assert f"#{world.ticket.pk} {world.ticket.subject}" in panel.content.decode()
    assert panel.context["total_minutes"] == 90


def test_time_is_logged_on_the_task_from_its_page(as_user, helpdesk_user, world):
    response = as_user(helpdesk_user).post(
        reverse("timesheets:task_entry_add", args=[world.task.pk]),
        {"date": "2026-02-02", "duration": "2", "description": "On the task"},
        **HTMX,
    )
    assert response.status_code == 200
    entry = TimesheetEntry.objects.get()
    assert (entry.task, entry.ticket, entry.minutes) == (world.task, None, 120)
    world.line.refresh_from_db()
    assert world.line.qty_delivered == Decimal("2.00")


def test_a_manager_edits_the_task_through_the_service(as_user, manager, world):
    response = as_user(manager).post(
        reverse("projects:task_detail", args=[world.task.pk]),
        {
            "name": "Renamed task",
            "stage": Task.IN_PROGRESS,
            "allocated_hours": "12.00",
            "sale_line": world.line.pk,
            "description": "",
        },
    )
    assert response.status_code == 302
    world.task.refresh_from_db()
    assert (world.task.name, world.task.stage, world.task.allocated_hours) == (
        "Renamed task",
        Task.IN_PROGRESS,
        Decimal("12.00"),
    )


def test_a_helpdesk_user_reads_tasks_but_cannot_edit_them(as_user, helpdesk_user, world):
    client = as_user(helpdesk_user)
    page = client.get(reverse("projects:task_detail", args=[world.task.pk]))
    assert page.context["form"].fields["name"].disabled
    assert '<button type="submit" class="btn btn-primary">Save</button>' not in (
        page.content.decode()
    )
    response = client.post(
        reverse("projects:task_detail", args=[world.task.pk]),
        {"name": "Hijacked", "stage": Task.DONE, "allocated_hours": "1"},
    )
    assert response.status_code == 403
    world.task.refresh_from_db()
    assert world.task.name != "Hijacked"


def test_a_refused_task_change_shows_on_the_form(as_user, manager, world):
    response = as_user(manager).post(
        reverse("projects:task_detail", args=[world.task.pk]),
        {"name": "", "stage": Task.NEW, "allocated_hours": "-1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_the_task_entries_panel_runs_a_constant_number_of_queries(
    as_user, manager, world, count_queries, django_assert_max_num_queries
):
    as_user(manager)
    url = reverse("timesheets:task_entries", args=[world.task.pk])
    start = datetime.date(2026, 1, 1)
    timesheet_log(employee=manager, date=start, minutes=30, ticket=world.ticket)
    one, _ = count_queries(url, **HTMX)
    for day in range(1, 50):
        timesheet_log(
            employee=manager, date=start + datetime.timedelta(days=day), minutes=30, task=world.task
        )
    with django_assert_max_num_queries(one):
        count_queries(url, **HTMX)
