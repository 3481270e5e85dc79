"""Races on PostgreSQL: real threads, each with its own connection and transaction.

SQLite ignores row locks, so these are skipped there (the `postgres_only` fixture prints
why). tests/conftest.py brings back the migrations' rows (units, groups) that the
flush after a transactional test removes.
"""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from helpdesk.services import ticket_create
from projects.models import Task
from projects.services import task_create
from sales.models import SaleOrder, SaleOrderLine
from sales.services import order_confirm, order_create
from tests.builders import DAY, build_order_line, build_product, hours
from tests.factories import CustomerFactory, StaffUserFactory, TeamFactory
from tests.threads import run_together
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_concurrent_half_hours_on_one_line_deliver_exactly_10_hours(postgres_only):
    line = build_order_line(product=build_product(), quantity=10)
    task = line.tasks.get()
    team = TeamFactory(project=task.project, use_timesheets=True)
    tickets = [
        ticket_create(team=team, customer=line.order.customer, subject=f"T{n}", task=task)
        for n in range(5)
    ]
    employees = [StaffUserFactory() for _ in range(20)]

    def log(n: int) -> Callable[[], object]:
        return lambda: timesheet_log(
            employee=employees[n], date=DAY, minutes=30, ticket=tickets[n % len(tickets)]
        )

    results = run_together([log(n) for n in range(20)])

    assert all(isinstance(result, TimesheetEntry) for result in results), results
    line = SaleOrderLine.objects.get(pk=line.pk)
    assert line.delivered_minutes == 600
    assert line.qty_delivered == Decimal("10.00")


def test_two_concurrent_confirmations_create_one_set_of_tasks(postgres_only):
    order = order_create(
        customer=CustomerFactory(),
        lines=[
            {"product": build_product(), "quantity": 3},
            {"product": build_product(unit="Days"), "quantity": 2},
        ],
    )

    def confirm() -> object:
        return order_confirm(order=SaleOrder.objects.get(pk=order.pk))

    results = run_together([confirm, confirm])

    confirmed = [r for r in results if isinstance(r, SaleOrder)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(confirmed) == 1 and len(refused) == 1, results
    assert "already" in str(refused[0])
    assert Task.objects.filter(sale_line__order=order).count() == 2
    assert SaleOrder.objects.get(pk=order.pk).state == SaleOrder.SALE


def test_concurrent_logs_of_one_employee_on_one_day_stay_within_24_hours(postgres_only):
    line = build_order_line(product=build_product(), quantity=100)
    project = line.tasks.get().project
    # Separate tasks, so nothing but the employee's own lock serialises the five logs.
    tasks = [task_create(project=project, name=f"Task {n}") for n in range(5)]
    employee = StaffUserFactory()

    def log(task: Task) -> Callable[[], object]:
        return lambda: timesheet_log(employee=employee, date=DAY, minutes=hours(8), task=task)

    results = run_together([log(task) for task in tasks])

    logged = [r for r in results if isinstance(r, TimesheetEntry)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(logged), len(refused)) == (3, 2), results
    assert all("minutes" in error.message_dict for error in refused)
    day_total = sum(
        TimesheetEntry.objects.filter(employee=employee, date=DAY).values_list("minutes", flat=True)
    )
    assert day_total == 24 * 60
