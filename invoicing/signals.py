"""Receivers only: each calls one service (or, for a question a lower app asks, one selector)."""

from django.dispatch import receiver

from invoicing import selectors
from sales import events as sales_events


@receiver(sales_events.order_invoices, dispatch_uid="invoicing_order_invoices")
def order_invoices(**kwargs):
    return selectors.order_invoices()
