"""Writes on projects and tasks. Task generation from orders follows DOMAIN.md rule 7."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.models import AppSettings
from projects import events
from projects.models import Project, Task
from sales.models import Customer, Product, SaleOrder, SaleOrderLine

TASK_FIELDS = {"name", "description", "stage", "assignee", "allocated_hours", "customer"}


@transaction.atomic
def project_create(
    *, name: str, allow_timesheets: bool = True, customer: Customer | None = None
) -> Project:
    project = Project(
        name=(name or "").strip(), allow_timesheets=allow_timesheets, customer=customer
    )
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def task_create(
    *,
    project: Project,
    name: str,
    sale_line: SaleOrderLine | None = None,
    assignee=None,
    allocated_hours: Decimal | None = None,
    description: str = "",
    customer: Customer | None = None,
) -> Task:
    task = Task(
        project=project,
        name=(name or "").strip(),
        sale_line=sale_line,
        assignee=assignee,
        allocated_hours=allocated_hours if allocated_hours is not None else Decimal("0"),
        description=description or "",
        customer=customer or (sale_line.order.customer if sale_line else project.customer),
    )
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def task_update(*, task: Task, **fields: Any) -> Task:
    """Edit a task. A new order line re-prices its entries (timesheets listens)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    unknown = set(fields) - TASK_FIELDS - {"sale_line"}
    if unknown:
        raise ValidationError(f"Unknown task fields: {', '.join(sorted(unknown))}.")
    old_sale_line_id = task.sale_line_id
    for key, value in fields.items():
        setattr(task, key, value)
    task.full_clean()
    task.save()
    if task.sale_line_id != old_sale_line_id:
        events.task_sale_line_changed.send(
            sender=Task, task=task, old_sale_line_id=old_sale_line_id
        )
    return task


def _allocated_hours(line: SaleOrderLine) -> Decimal:
    if line.uom.category.name != "Working time":
        return Decimal("0")
    return line.uom.qty_to_hours(line.quantity)


def _task_name(line: SaleOrderLine) -> str:
    return f"{line.order.name} - {line.first_description_line}"[:255]


def _project_for(line: SaleOrderLine) -> Project | None:
    product = line.product
    if product.service_tracking == Product.TRACKING_TASK_IN_PROJECT:
        if product.project is None:
            raise ValidationError(
                {"product": f"{product} creates tasks in an existing project but has none."}
            )
        return product.project
    if product.service_tracking == Product.TRACKING_TASK_NEW_PROJECT:
        # One project per order, shared by all its lines that ask for a new project.
        order = line.order
        existing = Project.objects.filter(sale_line__order=order).order_by("pk").first()
        if existing:
            return existing
        project = Project(
            name=f"{order.name} - {order.customer.name}"[:200],
            allow_timesheets=True,
            customer=order.customer,
            sale_line=line,
        )
        project.full_clean()
        project.save()
        return project
    return None


def _tracks_hours(line: SaleOrderLine) -> bool:
    """Does this line get a task? A service whose tracking creates one, and only while the
    Timesheets feature is on (DOMAIN.md rule 1: off means no task generation that tracks
    hours). A line confirmed while it was off gets its task on its next change."""
    return (
        line.product.type == Product.SERVICE
        and line.product.service_tracking != Product.TRACKING_NO
        and AppSettings.load().timesheets_enabled
    )


@transaction.atomic
def task_sync_from_line(*, line: SaleOrderLine) -> Task | None:
    """Give a confirmed order's line its task, or follow a new ordered quantity."""
    line = SaleOrderLine.objects.select_related(
        "order__customer", "product__project", "uom__category"
    ).get(pk=line.pk)
    if line.order.state != SaleOrder.SALE:
        return None
    task = Task.objects.filter(sale_line=line).first()
    if task is not None:
        allocated = _allocated_hours(line)
        if task.allocated_hours != allocated:
            task.allocated_hours = allocated
            task.save(update_fields=["allocated_hours"])
        return task
    if not _tracks_hours(line):
        return None
    project = _project_for(line)
    return task_create(
        project=project,
        name=_task_name(line),
        sale_line=line,
        allocated_hours=_allocated_hours(line),
        customer=line.order.customer,
    )


@transaction.atomic
def tasks_create_for_order(*, order: SaleOrder) -> list[Task]:
    tasks = []
    for line in order.lines.order_by("sequence", "pk"):
        task = task_sync_from_line(line=line)
        if task is not None:
            tasks.append(task)
    return tasks
