"""Reads for project pages."""

from django.db.models import DecimalField, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from projects.models import Project, Task
from sales.models import SaleOrder, SaleOrderLine


def _sum_over(model, fk: str, field: str, output_field) -> Coalesce:
    """Sum of `field` over the `model` rows whose `fk` is the outer row, as a subquery
    straight on `model`: no join back to the outer table, so an index on `fk` that
    includes `field` answers it alone; several such sums never multiply each other (as
    joined aggregates would)."""
    # SUM as a plain function: Django adds no GROUP BY, so PostgreSQL aggregates the
    # index-only scan directly (a GroupAggregate per project otherwise).
    total = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(total=Func(F(field), function="SUM", output_field=output_field))
    )
    return Coalesce(Subquery(total, output_field=output_field), 0, output_field=output_field)


def with_figures(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Projects with `allocated_hours` and `logged_minutes`, from the stored figures: the
    tasks' allocated hours and logged minutes summed (an index-only scan of (project)
    INCLUDE (allocated_hours, logged_minutes)), plus the minutes logged without a task.
    Never a sum over the entries: the rollups keep those figures (timesheets.services)."""
    hours = DecimalField(max_digits=14, decimal_places=2)
    return projects.annotate(
        allocated_hours=_sum_over(Task, "project", "allocated_hours", hours),
        logged_minutes=_sum_over(Task, "project", "logged_minutes", IntegerField())
        + F("untasked_minutes"),
    )


def project_list() -> QuerySet[Project]:
    return with_figures(Project.objects.select_related("customer")).order_by("-active", "name")


def project_tasks(*, project: Project) -> QuerySet[Task]:
    """The project's tasks with their assignee and order line (one query); each task's
    `logged_minutes` is stored."""
    return project.tasks.select_related(
        "assignee", "customer", "sale_line__order", "sale_line__uom"
    ).order_by("id")


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
