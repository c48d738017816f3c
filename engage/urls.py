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
]
urlpatterns += [
    path("t/", include("notifications.urls")),
    path("webhooks/anymail/", include("notifications.webhooks")),
]
