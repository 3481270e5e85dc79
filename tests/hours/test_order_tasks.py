"""Quotation -> sale order -> tasks (DOMAIN.md rules 6-8) and gapless SO numbers."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.errors import ConflictError
from core.models import AppSettings
from projects.models import Project, Task
from sales.models import InvoiceStatus, Product, SaleOrder, SaleOrderLine
from sales.services import (
    order_cancel,
    order_confirm,
    order_create,
    order_line_add,
    order_line_update,
)
from tests.builders import DAY, build_order, build_order_line, build_product, hours
from tests.factories import CustomerFactory
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


def test_orders_are_numbered_without_gaps_even_after_a_refused_one():
    customer = CustomerFactory()
    first = order_create(customer=customer)
    with pytest.raises(ValidationError):
        order_create(customer=customer, lines=[{"product": build_product(), "quantity": "-1"}])
    second = order_create(customer=customer)

    assert (first.name, second.name) == ("SO00001", "SO00002")
    assert SaleOrder.objects.count() == 2


def test_a_quotation_has_no_task_until_it_is_confirmed():
    order = order_create(
        customer=CustomerFactory(), lines=[{"product": build_product(), "quantity": 3}]
    )
    assert order.state == SaleOrder.DRAFT
    assert not Task.objects.exists()

    order_confirm(order=order)

    order.refresh_from_db()
    assert order.state == SaleOrder.SALE
    assert order.confirmed_at is not None
    assert Task.objects.get().sale_line == order.lines.get()


def test_confirming_twice_is_refused_and_creates_no_second_task():
    order = build_order(product=build_product(), quantity=3)

    with pytest.raises(ConflictError):
        order_confirm(order=order)

    assert Task.objects.count() == 1


def test_only_lines_whose_product_creates_a_task_get_one():
    order = order_create(
        customer=CustomerFactory(),
        lines=[
            {"product": build_product(), "quantity": 3},
            {"product": build_product(service_tracking=Product.TRACKING_NO), "quantity": 1},
        ],
    )

    order_confirm(order=order)

    tracked, untracked = order.lines.order_by("sequence")
    assert tracked.tasks.count() == 1
    assert untracked.tasks.count() == 0


def test_task_in_a_new_project_creates_one_project_for_the_order():
    product = build_product(service_tracking=Product.TRACKING_TASK_NEW_PROJECT, project=None)
    customer = CustomerFactory(name="Acme")
    order = order_create(
        customer=customer,
        lines=[{"product": product, "quantity": 4}, {"product": product, "quantity": 2}],
    )
    projects_before = Project.objects.count()

    order_confirm(order=order)

    assert Project.objects.count() == projects_before + 1
    project = Project.objects.latest("pk")
    assert project.customer == customer
    assert project.allow_timesheets
    assert order.name in project.name
    assert {task.project for task in Task.objects.filter(sale_line__order=order)} == {project}


def test_changing_the_quantity_of_a_confirmed_line_updates_allocated_hours():
    line = build_order_line(product=build_product(unit="Days"), quantity=2)

    order_line_update(line=line, quantity="3")

    assert line.tasks.get().allocated_hours == Decimal("24.00")


def test_a_line_added_to_a_confirmed_order_gets_its_task_at_once():
    order = build_order(product=build_product(), quantity=2)

    added = order_line_add(
        order=order, product=build_product(unit="Days"), quantity="1.5", description="Extra"
    )

    task = added.tasks.get()
    assert task.name == f"{order.name} - Extra"
    assert task.allocated_hours == Decimal("12.00")


def test_a_line_added_to_a_quotation_waits_for_confirmation():
    order = order_create(customer=CustomerFactory())

    order_line_add(order=order, product=build_product(), quantity=1)

    assert not Task.objects.exists()


def test_with_timesheets_off_confirmation_creates_no_task():
    settings_row = AppSettings.load()
    settings_row.timesheets_enabled = False
    settings_row.save()

    build_order(product=build_product(), quantity=2)

    assert not Task.objects.exists()


def test_a_cancelled_order_keeps_its_tasks_and_has_nothing_to_invoice(employee):
    prepaid = build_product(invoice_policy=Product.POLICY_ORDER)
    order = order_create(
        customer=CustomerFactory(),
        lines=[{"product": build_product(), "quantity": 5}, {"product": prepaid, "quantity": 5}],
    )
    order_confirm(order=order)
    for line in order.lines.all():
        timesheet_log(employee=employee, date=DAY, minutes=hours(2), task=line.tasks.get())

    order_cancel(order=order)

    order = SaleOrder.objects.prefetch_related("lines").get(pk=order.pk)
    assert order.state == SaleOrder.CANCEL
    assert Task.objects.filter(sale_line__order=order).count() == 2
    for line in order.lines.all():
        assert line.qty_delivered == Decimal("2.00")  # history stays
        assert line.qty_to_invoice == 0
        assert line.invoice_status == InvoiceStatus.NO
    assert order.invoice_status == InvoiceStatus.NO


def test_a_cancelled_order_takes_no_new_line():
    order = build_order(product=build_product(), quantity=2)
    order_cancel(order=order)

    with pytest.raises(ConflictError):
        order_line_add(order=order, product=build_product(), quantity=1)

    assert SaleOrderLine.objects.filter(order=order).count() == 1
