"""URL patterns of the store and HQ screens; included into the "invoicing" namespace by invoicing/urls.py."""

from django.urls import path

from invoicing.views import invoices

urlpatterns = [
    path("invoices/", invoices.invoice_list, name="invoice_list"),
    path("invoices/export.csv", invoices.invoice_export, name="invoice_export"),
    path("invoices/<int:invoice_id>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/status.json", invoices.invoice_status, name="invoice_status"),
    path("invoices/<int:invoice_id>/cancel/", invoices.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:invoice_id>/submit/", invoices.invoice_submit, name="invoice_submit"),
    path("invoices/<int:invoice_id>/resubmit/", invoices.invoice_resubmit, name="invoice_resubmit"),
    path("invoices/<int:invoice_id>/resend/", invoices.invoice_resend, name="invoice_resend"),
]
