from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from automations.jobs._prepared import MessageParameters
from automations.jobs.base import BaseJob, JobContext
from contacts.models import Group, Selection
from engage.events import S
from notifications import sendouts
from notifications.models import PreparedMessage


class GroupSendoutParameters(MessageParameters):
    groups = forms.ModelMultipleChoiceField(label=_("groups"), queryset=Group.objects.all())
    selection = forms.ModelChoiceField(
        label=_("only contacts in selection"), queryset=Selection.objects.all(), required=False
    )

    def to_json(self) -> dict:
        data = super().to_json()
        data["groups"] = sorted(group.pk for group in self.cleaned_data["groups"])
        return data


class Job(BaseJob):
    label = _("Send prepared message to group")
    scopes = S
    description = _(
        "Creates a group sendout of the prepared message to everybody who receives the mail of the chosen groups "
        "(optionally only those in a selection) and starts it at once. Its report is under Group sendouts."
    )
    params_form = GroupSendoutParameters
    needs_target = False

    def execute(self, context: JobContext) -> dict:
        message = context.related(PreparedMessage, "message")
        groups = list(
            Group.objects.filter(organization=context.organization, pk__in=context.params.get("groups") or [])
        )
        selection = context.related(Selection, "selection") if context.params.get("selection") else None
        sendout = sendouts.create_sendout(
            organization=context.organization,
            name=f"{context.automation.name}: {message.name} ({timezone.localdate():%Y-%m-%d})",
            message=message,
            groups=groups,
            selection=selection,
            created_by=context.user,
        )
        sendouts.start_sendout(sendout=sendout)
        return {"sendout": sendout.pk, "name": sendout.name}
