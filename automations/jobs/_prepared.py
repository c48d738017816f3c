"""Parameters and sending shared by the "send prepared message" jobs."""

from __future__ import annotations

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from automations.dynamic import check_template, render_text
from automations.jobs.base import JobContext, JobParameters
from engage.errors import PermanentError
from notifications.models import PreparedMessage
from notifications.prepared import render_prepared
from notifications.services import enqueue_mail


class MessageParameters(JobParameters):
    message = forms.ModelChoiceField(label=_("prepared message"), queryset=PreparedMessage.objects.all())


class AddressParameters(MessageParameters):
    address = forms.CharField(
        label=_("address"),
        max_length=320,
        help_text=_("An e-mail address, or dynamic text such as {{ event.payload.email }}."),
    )

    def clean_address(self) -> str:
        address = self.cleaned_data["address"]
        check_template(address)
        if "{" not in address:
            validate_email(address)
        return address


def send(context: JobContext, *, to: str, contact=None, extra: dict | None = None) -> dict:
    """Render the chosen message (`extra`: more values for its dynamic text) and queue it."""
    message = context.related(PreparedMessage, "message")
    try:
        validate_email(to)
    except forms.ValidationError as exc:
        raise PermanentError(f"“{to}” is not an e-mail address.") from exc
    to_contact = contact is not None and to.lower() == contact.email.lower()
    prepared = render_prepared(message, contact=contact, event=context.event, extra=extra, to_contact=to_contact)
    outbound = enqueue_mail(
        organization=context.organization,
        to=to,
        mail=prepared.mail,
        contact=contact,
        run=context.run,
        from_email=prepared.from_email or None,
        headers=prepared.headers,
    )
    return {"message_id": outbound.pk, "prepared_message": message.name, "recipient": to}


def address(context: JobContext) -> str:
    return render_text(context.params["address"], context.template_data()).strip()
