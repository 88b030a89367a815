from django.urls import path

from invoicing.monitor import views

app_name = "monitor"
urlpatterns = [
    path("", views.job_monitor, name="job_monitor"),
    path("<str:queue_name>/<str:job_id>/retry/", views.job_retry, name="job_retry"),
]
