"""Preference-center URLs: /portal/<organization slug>/…, or /portal/… on an organization's
own host name (Organization.portal_host)."""

from django.urls import include, path
from django.views.generic import RedirectView

from portal import views

pages = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("password/", views.password, name="password"),
    path("forgot-password/", views.forgot, name="forgot"),
    path("register/", views.register, name="register"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

urlpatterns = [
    path("", include((pages, "portal-host"))),
    path("<slug:slug>/", include((pages, "portal"))),
    path("<slug:slug>/", RedirectView.as_view(pattern_name="portal:login"), name="portal-home"),
]
