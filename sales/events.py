"""Signals sales sends so that upper apps (projects) can react without sales importing them."""

from django.dispatch import Signal

# order=<SaleOrder>: the quotation was just confirmed (inside the confirming transaction).
order_confirmed = Signal()
# line=<SaleOrderLine>, created=<bool>: a line was added or its quantity/description changed.
sale_line_saved = Signal()

# order=<SaleOrder> (lines prefetched): sent by the order page; a receiver answers
# (template name, context) for a section shown after the order's lines (invoicing answers
# its Create Invoice form and the order's invoices). Context the page is given wins.
order_page_sections = Signal()

# line_ids=<list[int]>: the rounding rule or the rate fields (work type, employee) of these
# order lines changed, or they were added as rate lines (inside the writing transaction,
# the lines locked): timesheets re-routes and re-bills the uninvoiced entries of their
# orders (DOMAIN.md rules 29-30).
line_billing_changed = Signal()
