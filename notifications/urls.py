from django.urls import path

from notifications import views

app_name = "tracking"
urlpatterns = [
    path("o/<str:token>.gif", views.opened, name="open"),
    path("c/<str:token>/", views.clicked, name="click"),
]
