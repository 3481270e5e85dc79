from django.urls import path

from invoicing import views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoice_list, name="invoice_list"),
    path("unsent/", views.unsent_invoices, name="unsent_invoices"),
    path("<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("<int:pk>/lines/", views.invoice_lines, name="invoice_lines"),
    path("<int:pk>/validate/", views.invoice_validate, name="invoice_validate"),
    path("<int:pk>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("<int:pk>/credit-note/", views.invoice_credit, name="invoice_credit"),
    path("<int:pk>/payment/", views.payment_register, name="payment_register"),
    path("<int:pk>/send-again/", views.invoice_send_again, name="invoice_send_again"),
    path("<int:pk>/refund/", views.refund_register, name="refund_register"),
    path("payments/<int:pk>/cancel/", views.payment_cancel, name="payment_cancel"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("lines/<int:pk>/update/", views.invoice_line_update, name="line_update"),
    path("lines/<int:pk>/delete/", views.invoice_line_delete, name="line_delete"),
]
