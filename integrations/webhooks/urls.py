from django.urls import path

from integrations.webhooks import views

urlpatterns = [
    path("webhooks/<str:token>/", views.webhook, name="webhook"),
]
