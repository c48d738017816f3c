"""Password reset for system users, linked from the admin's login page ("Forgotten your
password?"). Django's views and tokens (contrib.auth), with two changes: the mail goes
through the user's organization's mail settings or the host's (notifications.system_mail),
and the link points at BASE_URL, never at the Host header of the request.

An unknown address gets the same answer as a known one, and no mail.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.template import loader
from django.urls import path

from notifications.services import RenderedMail
from notifications.system_mail import send_system_mail


class SystemPasswordResetForm(auth_forms.PasswordResetForm):
    def get_users(self, email: str):
        # System users are staff; anybody else has no admin to log in to.
        return (user for user in super().get_users(email) if user.is_staff)

    def save(self, **kwargs) -> None:
        base = urlsplit(settings.BASE_URL)
        kwargs.update(domain_override=base.netloc, use_https=base.scheme == "https")
        kwargs["extra_email_context"] = {"site_name": "Engage", **(kwargs.get("extra_email_context") or {})}
        super().save(**kwargs)

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ) -> None:
        subject = " ".join(loader.render_to_string(subject_template_name, context).split())
        body = loader.render_to_string(email_template_name, context)
        # The token is kept out of the outbox's readable copy.
        mail = RenderedMail(subject=subject, text=body, secrets=(context["token"],))
        send_system_mail(user=context["user"], mail=mail)


urlpatterns = [
    path(
        "admin/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=SystemPasswordResetForm),
        name="admin_password_reset",
    ),
    path("admin/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
