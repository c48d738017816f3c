from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from automations import maintenance, selectors, services
from automations.forms import AutomationForm
from automations.jobs import registry
from automations.models import Automation, Event, Holiday, Run, subject_of
from contacts.tenancy import OrganizationScopedAdmin, ReadOnlyScopedAdmin
from engage import notes, ports
from engage.display import pretty_json, status_badge
from engage.events import EventType, scope_label, scopes_of

# What the page says when a job does not fit the chosen event (filled in by its script).
FIT_TEXTS = {
    "unfit": _("Does not fit “%(event)s”: this job acts on %(job_subject)s, the event happens to %(event_subject)s."),
    "hint": _("Greyed-out jobs do not fit “%(event)s”, which happens to %(event_subject)s; point at one to see why."),
    "cleared": _(
        "The job “%(job)s” was cleared: it acts on %(job_subject)s, and “%(event)s” happens to "
        "%(event_subject)s. Choose a job that fits."
    ),
}


@admin.action(description=_("Copy the selected automations (the copies are inactive)"))
def copy_selected(modeladmin, request: HttpRequest, queryset) -> None:
    copies = [services.copy_automation(automation=automation) for automation in queryset]
    modeladmin.message_user(
        request,
        _("%(count)d automation(s) copied; switch a copy on once it is edited.") % {"count": len(copies)},
        messages.SUCCESS,
    )


@admin.action(description=_("Switch the selected automations on"))
def activate_selected(modeladmin, request: HttpRequest, queryset) -> None:
    changed = services.set_active(automations=queryset, active=True)
    modeladmin.message_user(request, _("%(count)d automation(s) switched on.") % {"count": changed}, messages.SUCCESS)
    for automation in queryset.filter(pk__in=selectors.password_conflicts()):
        modeladmin.message_user(request, password_warning(automation), messages.WARNING)


@admin.action(description=_("Switch the selected automations off"))
def deactivate_selected(modeladmin, request: HttpRequest, queryset) -> None:
    changed = services.set_active(automations=queryset, active=False)
    modeladmin.message_user(request, _("%(count)d automation(s) switched off.") % {"count": changed}, messages.SUCCESS)


def password_warning(automation: Automation) -> str:
    others = ", ".join(f"“{a.name}”" for a in selectors.other_password_automations(automation))
    return _(
        "“%(name)s” sends a new password on the same event as %(others)s: each mail makes the password "
        "of the one before useless. Keep one of them active."
    ) % {"name": automation.name, "others": others}


@admin.register(Automation)
class AutomationAdmin(OrganizationScopedAdmin):
    form = AutomationForm
    actions = [activate_selected, deactivate_selected, copy_selected]
    save_as = True  # "Save as new": edit a copy of a workflow
    change_form_template = "admin/automations/automation/change_form.html"
    list_display = ["name", "summary", "last_run", "runs_recent", "failure_rate", "is_active"]
    list_filter = ["organization", "is_active", "event_type", "job_type"]
    list_select_related = ["selection"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["target_contact"]
    fieldsets = [
        (None, {"fields": ["organization", "name", "description", "is_active"]}),
        (
            _("When"),
            {
                "fields": [
                    "event_type",
                    "event_name",
                    "after_automation",
                    "salesforce_connection_id",
                    ("salesforce_object", "salesforce_action_id"),
                    "salesforce_conditions",
                ]
            },
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
        # Which jobs go with which event: the page offers only the jobs that fit the event,
        # says why the others are greyed out, and clears a chosen job that no longer fits.
        context["scopes"] = {
            "events": {event: sorted(scopes_of(event)) for event in EventType.values},
            "jobs": {key: sorted(job.scopes) for key, job in registry().items()},
            "labels": {
                **{e.value: str(e.label) for e in EventType},
                **{k: str(j.label) for k, j in registry().items()},
            },
            "subjects": {
                **{e.value: f"{subject_of(scopes_of(e))} ({scope_label(scopes_of(e))})" for e in EventType},
                **{key: f"{subject_of(job.scopes)} ({job.scope_label()})" for key, job in registry().items()},
            },
            "texts": {key: str(text) for key, text in FIT_TEXTS.items()},
        }
        # Salesforce workflows: the connections, and the objects and fields of recent
        # notifications, to pick from instead of typing them.
        organization_id = form.instance.organization_id
        salesforce = ports.salesforce_choices(organization_id=organization_id) if organization_id else None
        form.set_salesforce_choices(salesforce.connections if salesforce else [])
        context["salesforce_objects"] = salesforce.objects if salesforce else {}
        context["salesforce_actions"] = salesforce.actions if salesforce else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_queryset(self, request: HttpRequest):
        return selectors.with_password_conflict(selectors.with_run_figures(super().get_queryset(request)))

    def save_model(self, request: HttpRequest, obj: Automation, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if selectors.other_password_automations(obj).exists():
            self.message_user(request, password_warning(obj), messages.WARNING)

    @admin.display(description=_("when → wait → whom → what"))
    def summary(self, obj: Automation) -> str:
        custom = obj.event_type == EventType.CUSTOM and obj.event_name
        event = obj.event_name if custom else obj.get_event_type_display()
        delay = self.delay_display(obj) if obj.delay_unit and obj.delay_value else _("at once")
        whom = obj.selection.name if obj.selection else _("everybody the event concerns")
        job = registry().get(obj.job_type)
        text = " → ".join(str(part) for part in (event, delay, whom, job.label if job else obj.job_type))
        if getattr(obj, "password_conflict", False):
            return format_html(
                '{} <strong class="password-conflict" title="{}">⚠ {}</strong>',
                text,
                _("Another active automation sends a new password on the same event."),
                _("second password mail"),
            )
        return text

    @admin.display(description=_("last run"), ordering="last_run_at")
    def last_run(self, obj: Automation) -> str:
        return date_format(timezone.localtime(obj.last_run_at), "SHORT_DATETIME_FORMAT") if obj.last_run_at else "—"

    @admin.display(description=_("runs, 7 days"), ordering="runs_recent")
    def runs_recent(self, obj: Automation) -> str:
        url = reverse("admin:automations_run_changelist") + f"?automation__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.runs_recent)

    @admin.display(description=_("failed, 7 days"), ordering="failed_recent")
    def failure_rate(self, obj: Automation) -> str:
        if not obj.runs_recent:
            return "—"
        share = f"{obj.failed_recent} ({100 * obj.failed_recent / obj.runs_recent:.0f} %)"
        if not obj.failed_recent:
            return share
        url = reverse("admin:automations_run_changelist") + f"?automation__id__exact={obj.pk}&status__exact=failed"
        return format_html('<a href="{}">{}</a>', url, status_badge(share, "bad"))

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
        "note",
        "messages_display",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("automation", "contact", "user")

    @admin.display(description=_("error or note"))
    def reason(self, run: Run) -> str:
        return Truncator(notes.shown(run.error)).chars(70) if run.error else ""

    @admin.display(description=_("error or note"))
    def note(self, run: Run) -> str:
        return notes.shown(run.error)

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
