from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "Engage"
admin.site.site_title = "Engage"
admin.site.index_title = "Configuration"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz),
    path("admin/", admin.site.urls),
    path("portal/", include("contacts.portal.urls")),
    path("inbound/", include("integrations.urls")),
]

# System users' password reset ("Forgotten your password?" on the admin's login page);
# in front, so that the admin's catch-all view does not take its URLs.
urlpatterns.insert(0, path("", include("notifications.password_reset")))


urlpatterns += [
    path("t/", include("notifications.urls")),
    path("webhooks/anymail/", include("notifications.webhooks")),
]
# The integration API: /api/v1/, its schema and docs, and /oauth/token.
urlpatterns += [path("", include("api.urls"))]
