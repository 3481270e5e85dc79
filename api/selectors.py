"""Querysets for the API: every list runs a constant number of queries."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from helpdesk.models import HelpdeskTeam
from invoicing.models import Invoice, InvoiceLine
from projects.models import Project, Task
from projects.selectors import with_figures
from sales.models import SaleOrder, SaleOrderLine
from sales.selectors import order_lines_qs
from timesheets.models import TimesheetEntry


def _total(queryset: QuerySet, *, group_by: str, field: str, output_field) -> Coalesce:
    """SUM(field) of `queryset` rows whose `group_by` is the outer row, 0 when none."""
    subquery = (
        queryset.filter(**{group_by: OuterRef("pk")})
        .order_by()
        .values(group_by)
        .annotate(total=Sum(field))
        .values("total")
    )
    zero = Decimal("0") if isinstance(output_field, DecimalField) else 0
    return Coalesce(Subquery(subquery, output_field=output_field), zero, output_field=output_field)


def projects_qs() -> QuerySet[Project]:
    return with_figures(Project.objects.all())


def tasks_qs() -> QuerySet[Task]:
    return Task.objects.all()  # logged_minutes is stored on the task


def teams_qs() -> QuerySet[HelpdeskTeam]:
    return HelpdeskTeam.objects.prefetch_related("members")


def order_lines_with_task_qs() -> QuerySet[SaleOrderLine]:
    return order_lines_qs().prefetch_related(
        Prefetch("tasks", queryset=Task.objects.only("pk", "sale_line"))
    )


def orders_qs() -> QuerySet[SaleOrder]:
    return SaleOrder.objects.select_related("customer").prefetch_related(
        Prefetch("lines", queryset=order_lines_with_task_qs())
    )


def timesheets_qs() -> QuerySet[TimesheetEntry]:
    # `billable` reads the work type's billing.
    return TimesheetEntry.objects.select_related("invoice_line", "work_type")


def invoices_qs() -> QuerySet[Invoice]:
    entries = TimesheetEntry.objects.only("pk", "invoice_line_id")
    lines = InvoiceLine.objects.prefetch_related(Prefetch("timesheets", queryset=entries))
    return Invoice.objects.select_related("peppol").prefetch_related(
        Prefetch("lines", queryset=lines), "payments"
    )
