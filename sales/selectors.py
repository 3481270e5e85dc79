"""Reads for sales pages and services, each a constant number of queries."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from core import roles
from core.models import AppSettings
from sales.models import (
    Customer,
    InvoiceStatus,
    Product,
    SaleOrder,
    SaleOrderLine,
    Uom,
    WorkType,
)


def hours_uom() -> Uom:
    return Uom.objects.get(category__name="Working time", uom_type=Uom.REFERENCE)


def effective_uom(product: Product) -> Uom:
    """The unit a product is sold in: its own, or Hours when Units of Measure is off."""
    if not AppSettings.load().uom_enabled and product.uom.category.name == "Working time":
        return hours_uom()
    return product.uom


def order_lines_qs() -> QuerySet[SaleOrderLine]:
    return SaleOrderLine.objects.select_related("order", "uom", "product", "uom__category")


def orders_with_lines() -> QuerySet[SaleOrder]:
    """Orders with what their amounts and invoice status need, in a constant number of queries."""
    return SaleOrder.objects.select_related("customer").prefetch_related(
        Prefetch("lines", queryset=order_lines_qs())
    )


# --- Sales pages -------------------------------------------------------------------------


def _line_to_invoice_q() -> Q:
    """SQL twin of `SaleOrderLine.qty_to_invoice != 0` for a line of a confirmed order."""
    prepaid = Q(invoice_policy=Product.POLICY_ORDER)
    return (prepaid & ~Q(quantity=F("qty_invoiced"))) | (
        ~prepaid & ~Q(qty_delivered=F("qty_invoiced"))
    )


def _order_has_line(q: Q) -> Exists:
    return Exists(SaleOrderLine.objects.filter(q, order=OuterRef("pk")))


def orders_with_invoice_status(qs: QuerySet[SaleOrder], status: str) -> QuerySet[SaleOrder]:
    """Filter orders by invoice status (DOMAIN.md rule 17) in SQL rather than row by row.

    Mirrors `SaleOrder.invoice_status`: any line to invoice -> To invoice; else any
    prepaid line delivered beyond its order -> Upselling; else every line invoiced
    at least as ordered -> Fully invoiced; else Nothing to invoice.
    """
    confirmed = Q(state=SaleOrder.SALE)
    to_invoice = confirmed & _order_has_line(_line_to_invoice_q())
    upselling = (
        confirmed
        & ~to_invoice
        & _order_has_line(Q(invoice_policy=Product.POLICY_ORDER, qty_delivered__gt=F("quantity")))
    )
    invoiced = (
        confirmed
        & ~to_invoice
        & ~upselling
        & _order_has_line(Q())
        & ~_order_has_line(Q(qty_invoiced__lt=F("quantity")))
    )
    conditions = {
        InvoiceStatus.TO_INVOICE: to_invoice,
        InvoiceStatus.UPSELLING: upselling,
        InvoiceStatus.INVOICED: invoiced,
    }
    if status in conditions:
        return qs.filter(conditions[status])
    if status == InvoiceStatus.NO:
        return qs.exclude(to_invoice | upselling | invoiced)
    return qs


def order_list(
    *,
    state: str = "",
    invoice_status: str = "",
    customer: Customer | None = None,
    search: str = "",
) -> QuerySet[SaleOrder]:
    """Quotations and orders for the Sales list; lines prefetched for status and amounts."""
    qs = orders_with_lines()
    if state:
        qs = qs.filter(state=state)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if search:
        matching = SaleOrderLine.objects.filter(order=OuterRef("pk"), description__icontains=search)
        qs = qs.filter(
            Q(name__icontains=search) | Q(customer__name__icontains=search) | Exists(matching)
        )
    if invoice_status:
        qs = orders_with_invoice_status(qs, invoice_status)
    return qs.order_by("-date_order", "-id")


def order_detail(*, pk: int) -> SaleOrder:
    """One order with its lines and their generated tasks (fixed query count). Its
    invoices are invoicing's section of the page (`events.order_page_sections`)."""
    lines = (
        order_lines_qs().select_related("rate_work_type", "rate_employee").prefetch_related("tasks")
    )
    return get_object_or_404(
        SaleOrder.objects.select_related("customer").prefetch_related(
            Prefetch("lines", queryset=lines)
        ),
        pk=pk,
    )


def products_for_sale() -> QuerySet[Product]:
    return Product.objects.filter(active=True).select_related("uom")


def work_type_choices(*, current: int | None = None) -> QuerySet[WorkType]:
    """The work types one may choose (a rate line's, a team's default): the active ones,
    and the one the record already has (an archived work type may stay where it is)."""
    return WorkType.objects.filter(Q(active=True) | Q(pk=current)).order_by("name")


def rate_employees(*, current: int | None = None) -> QuerySet:
    """The employees a line may be the rate line of: active users with a role, and its
    own (the groups as an `IN (subquery)`, as helpdesk's staff select has them)."""
    user_model = get_user_model()
    in_role = user_model.groups.through.objects.filter(group__name__in=roles.ROLE_GROUPS).values(
        "user_id"
    )
    staff = Q(is_active=True) & (Q(pk__in=in_role) | Q(is_superuser=True))
    return (
        user_model.objects.filter(staff | Q(pk=current))
        .only("id", "username", "first_name", "last_name")
        .order_by("first_name", "last_name", "username")
    )
