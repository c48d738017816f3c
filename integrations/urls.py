"""The inbound addresses of every integration, in one namespace (integrations:salesforce,
integrations:webhook, integrations:activecampaign)."""

from django.urls import include, path

app_name = "integrations"

urlpatterns = [
    path("", include("integrations.salesforce.urls")),
    path("", include("integrations.webhooks.urls")),
    path("", include("integrations.activecampaign.urls")),
]
