from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from automations import maintenance, services
from automations.forms import AutomationForm
from automations.jobs import registry
from automations.models import Automation, Event, Holiday, Run
from contacts.tenancy import OrganizationScopedAdmin, ReadOnlyScopedAdmin
from engage.display import pretty_json, status_badge
from engage.events import EventType, scopes_of


@admin.action(description=_("Copy the selected automations (the copies are inactive)"))
def copy_selected(modeladmin, request: HttpRequest, queryset) -> None:
    copies = [services.copy_automation(automation=automation) for automation in queryset]
    modeladmin.message_user(
        request,
        _("%(count)d automation(s) copied; switch a copy on once it is edited.") % {"count": len(copies)},
        messages.SUCCESS,
    )


@admin.register(Automation)
class AutomationAdmin(OrganizationScopedAdmin):
    form = AutomationForm
    actions = [copy_selected]
    save_as = True  # "Save as new": edit a copy of a workflow
    change_form_template = "admin/automations/automation/change_form.html"
    list_display = ["name", "event_type", "job_type", "target", "delay_display", "is_active"]
    list_filter = ["organization", "is_active", "event_type", "job_type"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["target_contact"]
    fieldsets = [
        (None, {"fields": ["organization", "name", "description", "is_active"]}),
        (
            _("When"),
            {"fields": ["event_type", "event_name", "after_automation", ("salesforce_object", "salesforce_action_id")]},
        ),
        (_("Wait"), {"fields": ["delay_value", "delay_unit"], "description": _("Empty or 0: no delay.")}),
        (
            _("Time frame"),
            {
                "fields": [("starts_on", "ends_on"), "time_zone", "execution_days", "holidays"],
                "classes": ["collapse"],
                "description": _("A run due on a day that is not allowed moves to the next allowed day, same time."),
            },
        ),
        (_("Then"), {"fields": ["job_type", "selection"]}),
        (
            _("On whom"),
            {
                "fields": ["target", "target_contact", "target_user"],
                "description": _(
                    "“Use event parameter” acts on the contact (K) or system user (S) of the event. "
                    "A named target needs the contact for contact jobs or the system user for system jobs."
                ),
            },
        ),
    ]

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        context["job_parameters"] = [
            {"key": key, "job": job, "form": form.param_forms[key]} for key, job in registry().items()
        ]
        # Which jobs go with which event: the page offers only the jobs that fit the event.
        context["scopes"] = {
            "events": {event: sorted(scopes_of(event)) for event in EventType.values},
            "jobs": {key: sorted(job.scopes) for key, job in registry().items()},
        }
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("delay"))
    def delay_display(self, obj: Automation) -> str:
        if not obj.delay_unit:
            return "—"
        now = timezone.now()
        return timesince(now - obj.delay, now, depth=2)  # "1 minute", "2 weeks, 3 days"


def _link(obj, label: str | None = None) -> str:
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


@admin.register(Holiday)
class HolidayAdmin(OrganizationScopedAdmin):
    list_display = ["date", "name"]
    list_filter = ["organization"]
    date_hierarchy = "date"


@admin.register(Event)
class EventAdmin(ReadOnlyScopedAdmin):
    list_display = ["id", "type", "scope", "contact", "user", "source", "occurred_at"]
    list_filter = ["organization", "type", "scope", "source"]
    search_fields = ["contact__email", "external_id"]
    date_hierarchy = "occurred_at"
    fields = [
        "organization",
        "type",
        "scope",
        "contact",
        "user",
        "source",
        "external_id",
        "occurred_at",
        "payload_display",
        "runs_display",
    ]
    readonly_fields = fields

    @admin.display(description=_("payload"))
    def payload_display(self, obj: Event) -> str:
        return pretty_json(obj.payload)

    @admin.display(description=_("runs"))
    def runs_display(self, obj: Event) -> str:
        url = reverse("admin:automations_run_changelist") + f"?event__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("%(count)d run(s)") % {"count": obj.runs.count()})


@admin.action(description=_("Retry the selected failed or skipped runs"))
def retry_selected(modeladmin, request: HttpRequest, queryset) -> None:
    count = maintenance.retry_runs(queryset)
    modeladmin.message_user(request, _("%(count)d run(s) scheduled again.") % {"count": count}, messages.SUCCESS)


@admin.action(description=_("Replay the selected runs from their stored input"))
def replay_selected(modeladmin, request: HttpRequest, queryset) -> None:
    replays = maintenance.replay_runs(queryset)
    modeladmin.message_user(request, _("%(count)d replay(s) scheduled.") % {"count": len(replays)}, messages.SUCCESS)


RUN_TONES = {
    Run.Status.SUCCEEDED: "good",
    Run.Status.FAILED: "bad",
    Run.Status.SCHEDULED: "waiting",
    Run.Status.RUNNING: "busy",
    Run.Status.SKIPPED: "neutral",
}


@admin.register(Run)
class RunAdmin(ReadOnlyScopedAdmin):
    actions = [retry_selected, replay_selected]
    # The error or note comes right after the status: at 1366 px it must not fall off-screen.
    list_display = ["id", "status_display", "automation", "target_display", "reason", "due_at", "finished_at"]
    list_filter = ["status", "automation", "organization"]
    search_fields = ["contact__email", "user__username", "error"]
    date_hierarchy = "created_at"
    fields = [
        "organization",
        "automation_link",
        "event_link",
        "status",
        "target_display",
        "due_at",
        "attempts",
        "started_at",
        "finished_at",
        "input_display",
        "output_display",
        "error",
        "messages_display",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("automation", "contact", "user")

    @admin.display(description=_("error or note"))
    def reason(self, run: Run) -> str:
        return Truncator(run.error).chars(70) if run.error else ""

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, run: Run) -> str:
        return status_badge(run.get_status_display(), RUN_TONES.get(run.status, "neutral"))

    @admin.display(description=_("target"))
    def target_display(self, obj: Run) -> str:
        return obj.target_label

    @admin.display(description=_("automation"))
    def automation_link(self, obj: Run) -> str:
        return _link(obj.automation)

    @admin.display(description=_("event"))
    def event_link(self, obj: Run) -> str:
        return _link(obj.event)

    @admin.display(description=_("input payload"))
    def input_display(self, obj: Run) -> str:
        return pretty_json(obj.input)

    @admin.display(description=_("output"))
    def output_display(self, obj: Run) -> str:
        return pretty_json(obj.output)

    @admin.display(description=_("messages"))
    def messages_display(self, obj: Run) -> str:
        url = reverse("admin:notifications_outboundmessage_changelist") + f"?run__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("%(count)d message(s)") % {"count": obj.messages.count()})
