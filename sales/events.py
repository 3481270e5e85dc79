"""Signals sales sends so that upper apps (projects) can react without sales importing them."""

from django.dispatch import Signal

# order=<SaleOrder>: the quotation was just confirmed (inside the confirming transaction).
order_confirmed = Signal()
# line=<SaleOrderLine>, created=<bool>: a line was added or its quantity/description changed.
sale_line_saved = Signal()

# No arguments: sent by the order page (`selectors.order_detail`); a receiver answers
# the queryset of invoices to prefetch as `order.invoices` (invoicing does: without
# their appendix). No receiver: the invoices are not prefetched.
order_invoices = Signal()
