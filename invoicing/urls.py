from django.urls import include, path

from invoicing.views import invoices, orders

app_name = "invoicing"
invoice_patterns = [
    path("", invoices.invoice_list, name="invoice_list"),
    path("unsent/", invoices.unsent_invoices, name="unsent_invoices"),
    path("<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("<int:pk>/lines/", invoices.invoice_lines, name="invoice_lines"),
    path("<int:pk>/validate/", invoices.invoice_validate, name="invoice_validate"),
    path("<int:pk>/cancel/", invoices.invoice_cancel, name="invoice_cancel"),
    path("<int:pk>/credit-note/", invoices.invoice_credit, name="invoice_credit"),
    path("<int:pk>/payment/", invoices.payment_register, name="payment_register"),
    path("<int:pk>/send-again/", invoices.invoice_send_again, name="invoice_send_again"),
    path("<int:pk>/refund/", invoices.refund_register, name="refund_register"),
    path("payments/<int:pk>/cancel/", invoices.payment_cancel, name="payment_cancel"),
    path("<int:pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path("<int:pk>/ubl/", invoices.invoice_ubl, name="invoice_ubl"),
    path("lines/<int:pk>/update/", invoices.invoice_line_update, name="line_update"),
    path("lines/<int:pk>/delete/", invoices.invoice_line_delete, name="line_delete"),
]
# The invoicing actions on orders keep the order pages' addresses.
order_patterns = [
    path("invoice-all/", orders.billing_run, name="billing_run"),
    path("<int:pk>/invoice/", orders.order_invoice, name="order_invoice"),
]
urlpatterns = [
    path("invoicing/", include(invoice_patterns)),
    path("sales/", include(order_patterns)),
]
