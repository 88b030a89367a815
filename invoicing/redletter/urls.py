"""Red-letter screens, included into the ``invoicing`` namespace by invoicing/urls.py."""

from django.urls import path

from invoicing.redletter import views

urlpatterns = [
    path("invoices/<int:invoice_id>/reverse/", views.invoice_reverse, name="invoice_reverse"),
    path("invoices/<int:invoice_id>/void/", views.invoice_void, name="invoice_void"),
    path("red-letter/forms/", views.red_form_list, name="red_form_list"),
    path("red-letter/forms/sync/", views.red_form_sync, name="red_form_sync"),
    path("red-letter/forms/<int:form_id>/", views.red_form_detail, name="red_form_detail"),
    path("red-letter/forms/<int:form_id>/action/", views.red_form_action, name="red_form_action"),
    path("red-letter/batches/", views.batch_list, name="red_batch_list"),
    path("red-letter/batches/<int:batch_id>/", views.batch_detail, name="red_batch_detail"),
    path("red-letter/batches/<int:batch_id>/progress.json", views.batch_progress, name="red_batch_progress"),
    path("red-letter/batches/<int:batch_id>/outcomes.csv", views.batch_outcomes_csv, name="red_batch_csv"),
]
