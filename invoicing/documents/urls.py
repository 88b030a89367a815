"""Include with ``path("documents/", include("invoicing.documents.urls"))``."""

from django.urls import path

from invoicing.documents import views

app_name = "documents"
urlpatterns = [
    path("invoices/<int:invoice_id>/<str:kind>/", views.invoice_file, name="invoice_file"),
    # Public, signed, expiring: what the e-mail and the SMS link to.
    path("d/<str:token>/", views.link_landing, name="link_landing"),
    path("d/<str:token>/<str:kind>/", views.link_file, name="link_file"),
]
