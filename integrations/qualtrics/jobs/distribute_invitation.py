from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from automations.jobs import _prepared
from automations.jobs.base import BaseJob, JobContext
from engage.errors import PermanentError
from engage.events import K
from engage.lib.dynamic import check_template, render_text
from engage.notes import note, sentence
from integrations.common.invitations import make_invitation_token, personal_link

NOT_A_LINK = sentence(gettext_noop("The invitation link “%(url)s” is not an http(s) address."))


class Parameters(_prepared.MessageParameters):
    link = forms.CharField(
        label=_("survey or landing page URL"),
        max_length=2000,
        help_text=_(
            "May hold dynamic text, e.g. https://survey.example.com/form?case={{ event.payload.fields.CaseNumber }}. "
            "The contact's signed token is appended as engage_token=…; the message shows the link as "
            "{{ invitation_link }}."
        ),
    )

    def clean_link(self) -> str:
        link = self.cleaned_data["link"]
        check_template(link)
        if urlsplit(link).scheme not in {"http", "https"}:
            raise forms.ValidationError(_("Use an http:// or https:// address."))
        return link

    def clean(self):
        cleaned = super().clean()
        message = cleaned.get("message")
        if message is not None and not any(
            "invitation_link" in variant.html_body + variant.text_body for variant in message.variants.all()
        ):
            self.add_error("message", _("The message must show the link: put {{ invitation_link }} in its body."))
        return cleaned


class Job(BaseJob):
    label = _("Distribute invitation")
    scopes = K
    description = _(
        "Sends a prepared message to the contact with a personal link: the URL (with dynamic text) and the "
        "contact's signed token, shown in the message as {{ invitation_link }}."
    )
    params_form = Parameters

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        url = render_text(context.params["link"], context.template_data()).strip()
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise PermanentError(note(NOT_A_LINK, url=url))
        token = make_invitation_token(
            organization_id=context.organization.pk, contact_id=contact.pk, automation_id=context.automation.pk
        )
        link = personal_link(url, token)
        output = _prepared.send(context, to=contact.email, contact=contact, extra={"invitation_link": link})
        return {**output, "invitation_link": link}
