from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("audit/exchanges/", views.exchange_list, name="exchange_list"),
    path("audit/exchanges/<int:exchange_id>/", views.exchange_detail, name="exchange_detail"),
    path("audit/events/", views.event_list, name="event_list"),
]

from audit import report_views  # noqa: E402

urlpatterns += [
    path("audit/reports/", report_views.report_list, name="report_list"),
    path("audit/reports/<int:job_id>/", report_views.report_detail, name="report_detail"),
    path("audit/reports/<int:job_id>/retry/", report_views.report_retry, name="report_retry"),
    path("audit/reports/<int:job_id>/status/", report_views.report_status, name="report_status"),
    path("audit/reports/<int:job_id>/download/", report_views.report_download, name="report_download"),
    path("audit/exports/<str:kind>.<str:fmt>", report_views.export, name="export"),
]
