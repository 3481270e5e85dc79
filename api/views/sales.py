"""Sale orders: quotation, confirmation, cancellation, invoicing; and their lines."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api import selectors
from api.filters import ChoiceFilter, IdFilter, choice_values
from api.serializers.invoicing import InvoiceSerializer
from api.serializers.sales import (
    LINE_INPUT_FIELDS,
    InvoicePeriodSerializer,
    OrderLineSerializer,
    OrderLineUpdateSerializer,
    OrderSerializer,
)
from api.views.base import ApiViewSet
from core import roles
from invoicing import services as invoicing_services
from sales import services as sales_services
from sales.models import SaleOrder


def _line_input(data: dict) -> dict:
    return {key: data[key] for key in LINE_INPUT_FIELDS if key in data}


@extend_schema(tags=["sales"])
class OrderViewSet(ApiViewSet):
    """Quotations and sale orders (Managers)."""

    serializer_class = OrderSerializer
    read_role = staticmethod(roles.is_manager)
    write_role = staticmethod(roles.is_manager)
    http_method_names = ["get", "post", "patch", "head", "options"]
    query_filters = [
        IdFilter("customer"),
        ChoiceFilter("state", choices=choice_values(SaleOrder.STATE_CHOICES)),
    ]

    def get_queryset(self):
        return selectors.orders_qs()

    def create_record(self, data):
        return sales_services.order_create(
            customer=data["customer"],
            lines=[_line_input(line) for line in data.get("lines", [])],
            date_order=data.get("date_order"),
            note=data.get("note", ""),
            customer_reference=data.get("customer_reference", ""),
            actor=self.request.user,
        )

    def update_record(self, instance, data):
        return sales_services.order_update(
            order=instance,
            customer=data.get("customer"),
            date_order=data.get("date_order"),
            note=data.get("note"),
            customer_reference=data.get("customer_reference"),
        )

    def _respond(self, order, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.reload(order)).data, status=code)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Quotation -> sale order; creates the tasks of its service lines."""
        order = sales_services.order_confirm(order=self.get_object(), actor=request.user)
        return self._respond(order)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = sales_services.order_cancel(order=self.get_object(), actor=request.user)
        return self._respond(order)

    @extend_schema(request=OrderLineSerializer, responses={201: OrderLineSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderLineSerializer)
    def lines(self, request, pk=None):
        """Add a line; on a confirmed order its task is created at once."""
        order = self.get_object()
        data = self.validated_input(OrderLineSerializer)
        line = sales_services.order_line_add(order=order, **_line_input(data))
        line = selectors.order_lines_with_task_qs().get(pk=line.pk)
        return Response(OrderLineSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InvoicePeriodSerializer, responses={201: InvoiceSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="create-invoice",
        serializer_class=InvoicePeriodSerializer,
    )
    def create_invoice(self, request, pk=None):
        """One draft invoice for what the order has to invoice (up to a date or in a period)."""
        order = self.get_object()
        data = self.validated_input(InvoicePeriodSerializer)
        invoice = invoicing_services.invoice_create_from_order(
            order=order, actor=request.user, **data
        )
        invoice = selectors.invoices_qs().get(pk=invoice.pk)
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sales"])
class OrderLineViewSet(ApiViewSet):
    """A line of an order: read, PATCH (quantity, description, price, tax, VAT category),
    DELETE (quotations)."""

    serializer_class = OrderLineUpdateSerializer
    read_role = staticmethod(roles.is_manager)
    write_role = staticmethod(roles.is_manager)
    http_method_names = ["get", "patch", "delete", "head", "options"]
    query_filters = [IdFilter("order")]

    def get_queryset(self):
        return selectors.order_lines_with_task_qs()

    def update_record(self, instance, data):
        return sales_services.order_line_update(line=instance, **_line_input(data))

    def delete_record(self, instance):
        sales_services.order_line_delete(line=instance)
