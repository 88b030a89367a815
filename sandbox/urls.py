from django.urls import path

from sandbox import views

app_name = "sandbox"
urlpatterns = [
    path("access/v2/invoke/<str:nlbm>/<str:fwbm>/", views.invoke, name="invoke"),
    path("access/v2/invoke/<str:fwbm>/", views.invoke_without_capability, name="invoke-without-capability"),
    path("control/units", views.units, name="control-units"),
    path("control/faults", views.faults, name="control-faults"),
    path("control/clock", views.clock, name="control-clock"),
    path("control/invoices/<str:fphm>/book", views.invoice_book, name="control-invoice-book"),
    path("control/red-forms", views.red_forms, name="control-red-forms"),
    path("control/red-forms/<str:form_uuid>/buyer", views.red_form_buyer, name="control-red-form-buyer"),
    path("control/red-forms/<str:form_uuid>/abnormal", views.red_form_abnormal, name="control-red-form-abnormal"),
    path("control/reset", views.reset, name="control-reset"),
]
