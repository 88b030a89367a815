"""URL patterns of the store and HQ screens; included into the "invoicing" namespace by invoicing/urls.py."""

from django.urls import path

from invoicing.catalogue import views as catalogue
from invoicing.dashboard import views as dashboard
from invoicing.issuing import form_views as issue_form
from invoicing.issuing import views as invoices
from invoicing.summary import views as summary

urlpatterns = [
    path("invoices/", invoices.invoice_list, name="invoice_list"),
    path("invoices/export.csv", invoices.invoice_export, name="invoice_export"),
    path("invoices/bulk/", invoices.invoice_bulk, name="invoice_bulk"),
    path("invoices/new/", issue_form.invoice_create, name="invoice_create"),
    path("invoices/drafts/", issue_form.draft_list, name="draft_list"),
    path("invoices/drafts/<int:draft_id>/delete/", issue_form.draft_delete, name="draft_delete"),
    path("invoices/new/validate.json", issue_form.invoice_validate, name="invoice_validate"),
    path("invoices/lookup/products.json", issue_form.product_lookup, name="product_lookup"),
    path("invoices/lookup/buyers.json", issue_form.buyer_lookup, name="buyer_lookup"),
    path("invoices/<int:invoice_id>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/status.json", invoices.invoice_status, name="invoice_status"),
    path("invoices/<int:invoice_id>/edit/", issue_form.invoice_edit, name="invoice_edit"),
    path("invoices/<int:invoice_id>/cancel/", invoices.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:invoice_id>/submit/", invoices.invoice_submit, name="invoice_submit"),
    path("invoices/<int:invoice_id>/lines/<int:line_no>/code/", invoices.invoice_line_code, name="invoice_line_code"),
    path("invoices/<int:invoice_id>/resubmit/", invoices.invoice_resubmit, name="invoice_resubmit"),
    path("invoices/<int:invoice_id>/resend/", invoices.invoice_resend, name="invoice_resend"),
    path("catalogue/", catalogue.product_list, name="product_list"),
    path("catalogue/new/", catalogue.product_create_view, name="product_create"),
    path("catalogue/<int:product_id>/edit/", catalogue.product_edit, name="product_edit"),
    path("catalogue/taxcodes/suggest.json", catalogue.taxcode_suggest, name="taxcode_suggest"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("summary/", summary.summary_page, name="summary"),
    path("summary/confirm/", summary.summary_confirm_view, name="summary_confirm"),
]
