from django.urls import path

from integrations.activecampaign import views

urlpatterns = [
    path("activecampaign/<str:token>/", views.activecampaign_webhook, name="activecampaign"),
]
