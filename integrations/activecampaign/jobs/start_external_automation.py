"""Start the automation of a planning type: record an activity of the chosen contact-planning
type for the run's contact and start the type's ActiveCampaign automation.

Syncing the contact is the first step (skipped when it is synced and unchanged), then
contactAutomations. One activity per run: a retried run continues the same activity, so the
automation is started once. (The key is still that of the job it replaced, "start external
automation", so that automations stored under it keep working.)
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from automations.jobs.base import BaseJob, JobContext, JobParameters
from engage.errors import PermanentError, TransientError
from engage.events import K
from engage.notes import note, sentence
from integrations.activecampaign import services
from integrations.activecampaign.models import ActiveCampaignConnection, Activity, PlanningType, SyncState

NOT_CONNECTED = sentence(gettext_noop("The organization has no active ActiveCampaign connection."))
TYPE_GONE = sentence(gettext_noop("The contact-planning type no longer exists."))
BUSY = sentence(gettext_noop("The activity is being started by another worker."))


class Parameters(JobParameters):
    planning_type = forms.ModelChoiceField(
        label=_("contact-planning type"),
        queryset=PlanningType.objects.all(),
        help_text=_("Its ActiveCampaign automation is started for the contact."),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            self.organization is not None
            and not ActiveCampaignConnection.objects.filter(organization=self.organization, is_active=True).exists()
        ):
            raise forms.ValidationError(_("Set up the organization's ActiveCampaign connection first."))
        return cleaned


class Job(BaseJob):
    label = _("Start the automation of a planning type (ActiveCampaign)")
    scopes = K
    transactional = False
    description = _(
        "Records an activity of the chosen contact-planning type: syncs the contact to ActiveCampaign if needed, "
        "then starts the type's automation there. Rate limits, server errors and timeouts are retried; other "
        "refusals fail with ActiveCampaign's message."
    )
    params_form = Parameters

    def execute(self, context: JobContext) -> dict[str, Any]:
        contact = context.require_contact()
        connection = ActiveCampaignConnection.objects.filter(organization=context.organization, is_active=True).first()
        if connection is None:
            raise PermanentError(note(NOT_CONNECTED))
        planning_type = context.related(PlanningType, "planning_type")
        if planning_type is None:
            raise PermanentError(note(TYPE_GONE))
        source = f"run {context.run.pk}"
        activity = Activity.objects.filter(contact=contact, source=source).first() or services.record_activity(
            contact=contact, planning_type=planning_type, source=source
        )
        if activity.status != SyncState.SYNCED:
            claimed = services.claim_activity(activity, timezone.now())
            if claimed is None:
                raise TransientError(note(BUSY))
            services.start_activity(connection, claimed)
            activity.refresh_from_db()
        if activity.status == SyncState.FAILED:
            raise (TransientError if activity.due_at else PermanentError)(activity.error)
        sync = contact.activecampaign_sync
        return {
            "activecampaign_contact": sync.remote_id,
            "planning_type": planning_type.name,
            "automation": planning_type.automation,
            "contact_automation": activity.remote_id,
        }
