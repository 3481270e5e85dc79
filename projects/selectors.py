"""Reads for project pages."""

from django.db.models import DecimalField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from projects.models import Project, Task
from sales.models import SaleOrder, SaleOrderLine
from timesheets.models import TimesheetEntry


def _sum_over(model, fk: str, field: str, output_field) -> Coalesce:
    """Sum of `field` over the `model` rows whose `fk` is the outer row, as a subquery
    straight on `model`: no join back to the outer table, so an index on `fk` that
    includes `field` answers it alone; several such sums never multiply each other (as
    joined aggregates would)."""
    total = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=output_field), 0, output_field=output_field)


def project_list() -> QuerySet[Project]:
    """Projects with `allocated_hours` (over their tasks) and `logged_minutes` (all their
    timesheet entries), in one query: index-only scans of (project) INCLUDE (minutes) on
    the entries and (project) INCLUDE (allocated_hours) on the tasks."""
    hours = DecimalField(max_digits=14, decimal_places=2)
    return (
        Project.objects.select_related("customer")
        .annotate(
            allocated_hours=_sum_over(Task, "project", "allocated_hours", hours),
            logged_minutes=_sum_over(TimesheetEntry, "project", "minutes", IntegerField()),
        )
        .order_by("-active", "name")
    )


def project_tasks(*, project: Project) -> QuerySet[Task]:
    """The project's tasks with their assignee, order line and logged minutes (one query)."""
    return (
        project.tasks.select_related("assignee", "customer", "sale_line__order", "sale_line__uom")
        .annotate(logged_minutes=_sum_over(TimesheetEntry, "task", "minutes", IntegerField()))
        .order_by("id")
    )


def task_detail(*, pk: int) -> Task:
    return Task.objects.select_related(
        "project", "assignee", "customer", "sale_line__order__customer", "sale_line__uom"
    ).get(pk=pk)


def sale_lines_for_task(*, task: Task) -> QuerySet[SaleOrderLine]:
    """Order lines a task may bill: confirmed orders, of the task's customer when it has one."""
    match = Q(order__state=SaleOrder.SALE)
    customer_id = task.customer_id or (
        task.sale_line.order.customer_id if task.sale_line_id else None
    )
    if customer_id:
        match &= Q(order__customer_id=customer_id)
    if task.sale_line_id:
        match |= Q(pk=task.sale_line_id)
    return (
        SaleOrderLine.objects.filter(match)
        .select_related("order", "product")
        .order_by("-order_id", "sequence", "id")
    )
