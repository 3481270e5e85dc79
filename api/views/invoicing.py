"""Invoices and credit notes: read, validate, cancel, credit, pay, refund, print, download
the UBL e-invoice; the billing run; payments: read, cancel."""

import json

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from api import selectors
from api.filters import ChoiceFilter, IdFilter, choice_values
from api.serializers.invoicing import (
    BillingRunSerializer,
    CreditNoteSerializer,
    InvoiceSerializer,
    InvoiceValidateSerializer,
    PaymentCancelSerializer,
    PaymentSerializer,
    RefundSerializer,
)
from api.views.base import ApiReadOnlyViewSet
from core import roles
from invoicing import services as invoicing_services
from invoicing.models import Invoice, Payment
from invoicing.services.einvoices import invoice_ubl_bytes, ubl_filename

# The billing run's body stays a list of drafts; the orders it skipped go in a header.
BILLING_RUN_FAILED_HEADER = "Billing-Run-Failed"


class PdfRenderer(BaseRenderer):
    """Lets `Accept: application/pdf` through content negotiation; errors stay JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class XmlRenderer(PdfRenderer):
    """Lets `Accept: application/xml` through content negotiation; errors stay JSON."""

    media_type = "application/xml"
    format = "xml"


@extend_schema(tags=["invoicing"])
class InvoiceViewSet(ApiReadOnlyViewSet):
    """Invoices come from orders (`POST /orders/{id}/create-invoice/`) or the billing run."""

    serializer_class = InvoiceSerializer
    read_role = staticmethod(roles.is_manager)
    write_role = staticmethod(roles.is_manager)
    query_filters = [
        ChoiceFilter("state", choices=choice_values(Invoice.STATE_CHOICES)),
        IdFilter("customer"),
        ChoiceFilter("type", lookup="move_type", choices=choice_values(Invoice.TYPE_CHOICES)),
        ChoiceFilter("payment_state", choices=choice_values(Invoice.PAYMENT_STATE_CHOICES)),
        IdFilter("sale_order"),
    ]

    def get_queryset(self):
        if self.action == "list":
            # A list shows no XML: not the e-invoices of every row.
            return selectors.invoices_qs().defer("ubl_xml", "cii_xml")
        return selectors.invoices_qs()

    def _respond(self, invoice: Invoice, code=status.HTTP_200_OK) -> Response:
        invoice = selectors.invoices_qs().get(pk=invoice.pk)
        return Response(InvoiceSerializer(invoice).data, status=code)

    @extend_schema(request=InvoiceValidateSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], serializer_class=InvoiceValidateSerializer)
    def validate(self, request, pk=None):
        """Post the draft: next number of its year, dates, frozen customer copy."""
        invoice = self.get_object()
        data = self.validated_input(InvoiceValidateSerializer)
        invoice = invoicing_services.invoice_validate(invoice=invoice, actor=request.user, **data)
        return self._respond(invoice)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a draft; its timesheet entries are free to be billed again."""
        invoice = invoicing_services.invoice_cancel(invoice=self.get_object(), actor=request.user)
        return self._respond(invoice)

    @extend_schema(request=CreditNoteSerializer, responses={201: InvoiceSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="credit-note",
        serializer_class=CreditNoteSerializer,
    )
    def credit_note(self, request, pk=None):
        """A posted credit note reversing every line not reversed yet, or the lines given
        (each reversed, or written down by a quantity); returns the credit note."""
        invoice = self.get_object()
        data = self.validated_input(CreditNoteSerializer)
        lines = data.get("lines") or None
        if lines and any(item["line"].invoice_id != invoice.pk for item in lines):
            return Response(
                {"lines": [f"Give ids of the lines of {invoice}."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if lines is not None:
            lines = [{**item, "line": item["line"].pk} for item in lines]
        credit = invoicing_services.invoice_credit(invoice=invoice, lines=lines, actor=request.user)
        return self._respond(credit, status.HTTP_201_CREATED)

    @extend_schema(
        request=PaymentSerializer, responses={201: InvoiceSerializer, 200: InvoiceSerializer}
    )
    @action(detail=True, methods=["post"], serializer_class=PaymentSerializer)
    def payments(self, request, pk=None):
        """Register a payment; answers the invoice with its new payment state.

        The same payment (amount, date, reference) sent again within a minute is recorded
        once: the answer is then 200 instead of 201, with nothing new recorded.
        """
        invoice = self.get_object()
        data = self.validated_input(PaymentSerializer)
        data.setdefault("date", timezone.localdate())
        payment = invoicing_services.payment_register(invoice=invoice, actor=request.user, **data)
        code = status.HTTP_200_OK if payment.recorded_before else status.HTTP_201_CREATED
        return self._respond(invoice, code)

    @extend_schema(
        request=RefundSerializer, responses={201: InvoiceSerializer, 200: InvoiceSerializer}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="register-refund",
        serializer_class=RefundSerializer,
    )
    def register_refund(self, request, pk=None):
        """Register Refund on a credit note, up to the refund it owes; answers the credit
        note (200 when the same refund was sent a moment ago and is recorded once)."""
        credit_note = self.get_object()
        data = self.validated_input(RefundSerializer)
        data.setdefault("date", timezone.localdate())
        refund = invoicing_services.refund_register(
            credit_note=credit_note, actor=request.user, **data
        )
        code = status.HTTP_200_OK if refund.recorded_before else status.HTTP_201_CREATED
        return self._respond(credit_note, code)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The invoice as a PDF."
            )
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        content = invoicing_services.invoice_pdf_bytes(invoice=invoice)
        response = HttpResponse(content, content_type="application/pdf")
        filename = (invoice.number or f"draft-{invoice.pk}").replace("/", "-")
        response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
        return response

    @extend_schema(
        responses={
            (200, "application/xml"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="The UBL 2.1 e-invoice (Peppol BIS Billing 3.0) stored at validation.",
            )
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XmlRenderer])
    def ubl(self, request, pk=None):
        """The e-invoice of a posted invoice or credit note, as made at validation.

        404 when there is none: a draft has no e-invoice until it is validated, and
        invoices posted before e-invoices existed keep their PDF only.
        """
        invoice = self.get_object()
        if invoice.state != Invoice.POSTED:
            raise NotFound(f"{invoice} is not validated: only a posted invoice has an e-invoice.")
        content = invoice_ubl_bytes(invoice=invoice)
        if not content:
            raise NotFound(f"{invoice} was posted before e-invoices existed: it has no UBL.")
        response = HttpResponse(content, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{ubl_filename(invoice)}"'
        return response

    @extend_schema(
        request=BillingRunSerializer,
        responses={
            201: OpenApiResponse(
                response=InvoiceSerializer(many=True),
                description="The drafts created; skipped orders in the Billing-Run-Failed header.",
            )
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="invoice-all",
        serializer_class=BillingRunSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def invoice_all(self, request):
        """The billing run: one draft invoice per order with something to invoice up to a date.

        The body is the list of drafts created. Orders that could not be invoiced are
        skipped and listed in the `Billing-Run-Failed` header, a JSON list of
        `{"order": id, "name": "SO00012", "reason": "..."}` (absent when none failed).
        """
        data = self.validated_input(BillingRunSerializer)
        invoices = invoicing_services.billing_run(up_to=data["up_to"], actor=request.user)
        rows = selectors.invoices_qs().filter(pk__in=[i.pk for i in invoices]).order_by("pk")
        response = Response(InvoiceSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)
        if invoices.failed:
            # ASCII JSON: a header carries latin-1 only.
            response[BILLING_RUN_FAILED_HEADER] = json.dumps(
                [
                    {"order": f.order_id, "name": f.order_name, "reason": f.reason}
                    for f in invoices.failed
                ]
            )
        return response


@extend_schema(tags=["invoicing"])
class PaymentViewSet(ApiReadOnlyViewSet):
    """Payments on invoices and refunds on credit notes, cancelled ones included."""

    serializer_class = PaymentSerializer
    read_role = staticmethod(roles.is_manager)
    write_role = staticmethod(roles.is_manager)
    query_filters = [
        IdFilter("invoice"),
        ChoiceFilter("state", choices=choice_values(Payment.STATE_CHOICES)),
    ]

    def get_queryset(self):
        return Payment.objects.order_by("-pk")

    @extend_schema(request=PaymentCancelSerializer, responses=PaymentSerializer)
    @action(detail=True, methods=["post"], serializer_class=PaymentCancelSerializer)
    def cancel(self, request, pk=None):
        """Cancel a payment or refund entered by mistake, with a reason; the invoice's
        payment status follows. The payment stays, cancelled."""
        payment = self.get_object()
        data = self.validated_input(PaymentCancelSerializer)
        payment = invoicing_services.payment_cancel(
            payment=payment, reason=data["reason"], actor=request.user
        )
        return Response(PaymentSerializer(payment).data)
