from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import TemplateView

from invoicing.home.views import home
from stores import auth_views

admin.site.site_header = "开票 Kaipiao 管理后台"
admin.site.site_title = "开票 Kaipiao"


def favicon(request):
    # Browsers ask for /favicon.ico on pages without a <link rel=icon> (admin, RQ, JSON): no 404 there either.
    return redirect(static("kaipiao/favicon.ico"), permanent=True)


urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.login_view, name="login"),
    path("accounts/logout/", auth_views.logout_view, name="logout"),
    path("accounts/password/", auth_views.password_change_view, name="password_change"),
    path("admin/rq/", include("django_rq.urls")),
    path("jobs/", include("invoicing.monitor.urls")),
    path("admin/", admin.site.urls),
    path("", include("stores.urls")),
    path("", include("config.urls_settings")),
    path("", include("invoicing.urls")),
    path("", include("audit.urls")),
    path("documents/", include("invoicing.documents.urls")),
]

if settings.SANDBOX_ENABLED:
    # ./run prints this address: it answers a page saying what the sandbox is, not a 404.
    urlpatterns += [path("sandbox/", TemplateView.as_view(template_name="sandbox_home.html"), name="sandbox_home"),
                    path("sandbox/", include("sandbox.urls"))]
