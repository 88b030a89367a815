"""The project's URLs plus the documents URLs (until config/urls.py includes them)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *[p for p in project_urlpatterns if getattr(p, "namespace", None) != "documents"],
    path("documents/", include("invoicing.documents.urls")),
]
