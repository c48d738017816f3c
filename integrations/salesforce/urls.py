from django.urls import path

from integrations.salesforce import views

urlpatterns = [
    path("salesforce/<str:token>/", views.salesforce_outbound, name="salesforce"),
]
