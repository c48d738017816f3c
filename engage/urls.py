from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def no_favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = "max-age=86400"
    return response


admin.site.site_header = "Engage"
admin.site.site_title = "Engage"
admin.site.index_title = _("Dashboard")

# Under /api/ and /oauth/ a server error is a JSON problem document, elsewhere Django's page.
handler500 = "api.middleware.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz),
    # Readiness (/readyz) and Prometheus metrics (/metrics).
    path("", include("ops.urls")),
    path("favicon.ico", no_favicon),
    # System users' password reset ("Forgotten your password?" on the admin's login page),
    # in front of the admin, so that the admin's catch-all view does not take its URLs.
    path("", include("notifications.password_reset")),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    # The language switch of the preference center's pages before login.
    path("i18n/", include("django.conf.urls.i18n")),
    # Inbound integrations: Salesforce outbound messages, signed webhooks, ActiveCampaign.
    path("inbound/", include("integrations.urls")),
    # Engage's own open pixel and click redirects, and the providers' tracking and inbound webhooks.
    path("t/", include("notifications.urls")),
    path("webhooks/anymail/", include("notifications.webhooks")),
    # The integration API: /api/v1/, its schema and docs, and /oauth/token.
    path("", include("api.urls")),
]
