"""Invoicing services (docs/ARCHITECTURE.md): every write is one transaction."""

from invoicing.services.billing_run import (
    BillingRunFailure,
    BillingRunResult,
    BillingRunRow,
    billing_run,
    billing_run_candidates,
    billing_run_preview,
    invoices_create_or_report,
)
from invoicing.services.drafts import (
    invoice_cancel,
    invoice_create_from_order,
    invoice_line_delete,
    invoice_line_update,
    invoices_create_from_orders,
    sale_lines_recompute_invoiced,
)
from invoicing.services.payments import (
    invoice_refresh_payment_state,
    payment_cancel,
    payment_register,
    refund_register,
)
from invoicing.services.pdf_store import invoice_pdf_bytes
from invoicing.services.posting import invoice_credit, invoice_date_check, invoice_validate

__all__ = [
    "BillingRunFailure",
    "BillingRunResult",
    "BillingRunRow",
    "billing_run",
    "billing_run_candidates",
    "billing_run_preview",
    "invoice_cancel",
    "invoice_create_from_order",
    "invoice_credit",
    "invoice_date_check",
    "invoice_line_delete",
    "invoice_line_update",
    "invoice_pdf_bytes",
    "invoice_refresh_payment_state",
    "invoices_create_from_orders",
    "invoices_create_or_report",
    "invoice_validate",
    "payment_cancel",
    "payment_register",
    "refund_register",
    "sale_lines_recompute_invoiced",
]
