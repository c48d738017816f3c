"""Parameters and sending shared by the "send prepared message" jobs."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from automations.jobs.base import JobContext, JobParameters
from engage.errors import PermanentError
from engage.lib.dynamic import check_template, render_text
from engage.notes import note, sentence
from notifications.conversations import conversation_for
from notifications.models import Conversation, PreparedMessage
from notifications.prepared import render_prepared
from notifications.services import enqueue_mail

NOT_AN_ADDRESS = sentence(gettext_noop("“%(address)s” is not an e-mail address."))


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
        raise PermanentError(note(NOT_AN_ADDRESS, address=to)) from exc
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
        conversation=_conversation_of_event(context, prepared.mail.subject, contact if to_contact else None),
    )
    # The mail has no id yet in a batch of runs: the engine stores it by its id (see _stored).
    return {"message_id": outbound, "prepared_message": message.name, "recipient": to}


def _conversation_of_event(context: JobContext, subject: str, contact) -> Conversation | None:
    """A mail to the contact about a conversation (a reply received) answers in it: the
    conversation the event names if it is still open, else a new one. None otherwise."""
    if contact is None:
        return None
    payload = context.event.payload if context.event else {}
    try:
        conversation_id = uuid.UUID(str(payload.get("conversation")))
    except ValueError:
        return None
    return conversation_for(
        organization=context.organization, conversation_id=conversation_id, subject=subject, contact=contact
    )


def address(context: JobContext) -> str:
    return render_text(context.params["address"], context.template_data()).strip()
