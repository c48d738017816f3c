from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("salesforce/<str:token>/", views.salesforce_outbound, name="salesforce"),
    path("webhooks/<str:token>/", views.webhook, name="webhook"),
    path("activecampaign/<str:token>/", views.activecampaign_webhook, name="activecampaign"),
]
