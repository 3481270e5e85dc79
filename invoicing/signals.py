"""Receivers only: each calls one function (a service, or a page section's builder)."""

from django.dispatch import receiver

from invoicing.views.orders import order_section
from sales import events as sales_events


@receiver(sales_events.order_page_sections, dispatch_uid="invoicing_order_page_section")
def order_page_section(order, **kwargs) -> tuple[str, dict]:
    return order_section(order=order)
