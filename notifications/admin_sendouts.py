"""The admin of group sendouts: prepare, test, schedule, send, watch and report."""

from __future__ import annotations

import csv
import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.tenancy import OrganizationScopedAdmin
from engage import notes
from engage.errors import PermanentError, TransientError
from notifications import sendout_ab, sendouts
from notifications.models import OutboundMessage, Sendout
from notifications.reports import sendout_report

EDITABLE = (Sendout.Status.DRAFT, Sendout.Status.SCHEDULED)
AB_FIELDS = ["ab_test", "ab_subject", "ab_share", "ab_wait_minutes", "ab_rule"]
TIME_ZONES = sorted(zoneinfo.available_timezones())


class SendoutForm(forms.ModelForm):
    class Meta:
        model = Sendout
        fields = [
            "organization", "name", "message", "groups", "selection", "from_email", "from_name",
            *AB_FIELDS,
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The test's settings matter only when it is on: left empty, they keep their defaults.
        for name in ("ab_share", "ab_wait_minutes", "ab_rule"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in ("ab_share", "ab_wait_minutes", "ab_rule"):
            if name in self.fields and cleaned.get(name) in (None, "") and name not in self.errors:
                cleaned[name] = Sendout._meta.get_field(name).default
        for field, error in sendout_ab.errors(
            ab_test=cleaned.get("ab_test", False), ab_subject=cleaned.get("ab_subject", ""),
            ab_share=cleaned.get("ab_share"), ab_wait_minutes=cleaned.get("ab_wait_minutes"),
        ).items():  # fmt: skip
            self.add_error(field, error)
        return cleaned


class ScheduleForm(forms.Form):
    day = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.TimeField(label=_("time"), widget=forms.TimeInput(attrs={"type": "time"}))
    time_zone = forms.ChoiceField(label=_("time zone"), choices=[(name, name) for name in TIME_ZONES])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        cleaned["moment"] = sendouts.local_moment(cleaned["day"], cleaned["at"], cleaned["time_zone"])
        if cleaned["moment"] <= timezone.now():
            raise ValidationError(_("Choose a moment in the future, or send now."))
        return cleaned


class Buttons:
    """What each button does, and in which states it is offered."""

    ACTIONS = {
        "start": (sendouts.start_sendout, EDITABLE, _("Sending has started.")),
        "pause": (sendouts.pause_sendout, (Sendout.Status.SENDING,), _("Paused: no further mail is queued.")),
        "resume": (sendouts.resume_sendout, (Sendout.Status.PAUSED,), _("Sending again.")),
        "cancel": (
            sendouts.cancel_sendout,
            (*EDITABLE, Sendout.Status.SENDING, Sendout.Status.PAUSED),
            _("Cancelled: nobody still waiting gets the mail."),
        ),
    }


@admin.register(Sendout)
class SendoutAdmin(OrganizationScopedAdmin):
    form = SendoutForm
    list_display = ["name", "status", "scheduled_at", "recipient_count", "started_at", "finished_at", "report_link"]
    list_filter = ["organization", "status"]
    search_fields = ["name"]
    filter_horizontal = ["groups"]
    change_form_template = "admin/notifications/sendout/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = ["status", "scheduled_at", "time_zone", "recipients_now"]
        if obj is not None and obj.status not in EDITABLE:
            fields += ["name", "message", "groups", "selection", "from_email", "from_name", *AB_FIELDS]
        if obj is not None and obj.ab_test:
            fields += ["ab_decide_at", "ab_winner"]
        return fields

    def get_fields(self, request: HttpRequest, obj=None):
        moved = ("status", "scheduled_at", "time_zone", "ab_decide_at", "ab_winner")
        fields = [f for f in super().get_fields(request, obj) if f not in moved]
        if obj is not None and obj.ab_test:
            fields = [*fields, "ab_decide_at", "ab_winner"]
        return [*fields, "status", "scheduled_at", "time_zone"] if obj else fields

    @admin.display(description=_("recipients if it started now"))
    def recipients_now(self, obj: Sendout) -> str:
        if obj.pk is None:
            return "–"
        if obj.status not in EDITABLE:
            return str(obj.recipient_count)
        return str(sendouts.count_recipients(obj))

    @admin.display(description=_("report"))
    def report_link(self, obj: Sendout) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:notifications_sendout_report", args=[obj.pk]), _("report")
        )

    def save_model(self, request: HttpRequest, obj: Sendout, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        def view(name):
            return self.admin_site.admin_view(getattr(self, f"{name}_view"))

        return [
            path("<int:object_id>/control/", view("control"), name="notifications_sendout_control"),
            path("<int:object_id>/schedule/", view("schedule"), name="notifications_sendout_schedule"),
            path("<int:object_id>/preview/", view("preview"), name="notifications_sendout_preview"),
            path("<int:object_id>/test/", view("test"), name="notifications_sendout_test"),
            path("<int:object_id>/report/", view("report"), name="notifications_sendout_report"),
            path("<int:object_id>/report.json", view("report_json"), name="notifications_sendout_report_json"),
            path("<int:object_id>/report-chart/", view("report_chart"), name="notifications_sendout_report_chart"),
            path("<int:object_id>/report.csv", view("report_csv"), name="notifications_sendout_report_csv"),
            *super().get_urls(),
        ]

    def _change_url(self, sendout: Sendout) -> str:
        return reverse("admin:notifications_sendout_change", args=[sendout.pk])

    def control_view(self, request: HttpRequest, object_id: int):
        """Send now, pause, resume, cancel: one POST each."""
        sendout = self.get_object(request, str(object_id))
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        action = Buttons.ACTIONS.get(request.POST.get("action", ""))
        if action is None or not self.has_change_permission(request, sendout):
            return HttpResponseNotAllowed(["POST"])
        service, _states, done = action
        if service(sendout=sendout):
            self.message_user(request, done)
        else:
            self.message_user(request, _("Not possible in this state."), messages.WARNING)
        target = "report" if request.POST["action"] == "start" else "change"
        return HttpResponseRedirect(reverse(f"admin:notifications_sendout_{target}", args=[sendout.pk]))

    def schedule_view(self, request: HttpRequest, object_id: int):
        sendout = self.get_object(request, str(object_id))
        initial = {"time_zone": sendout.time_zone}
        form = ScheduleForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            at, zone = form.cleaned_data["moment"], form.cleaned_data["time_zone"]
            if sendouts.schedule_sendout(sendout=sendout, at=at, time_zone=zone):
                self.message_user(request, _("Scheduled."))
            else:
                self.message_user(request, _("Not possible in this state."), messages.WARNING)
            return HttpResponseRedirect(self._change_url(sendout))
        context = self._context(request, sendout, _("Schedule"), form=form)
        return TemplateResponse(request, "admin/notifications/sendout/schedule.html", context)

    def preview_view(self, request: HttpRequest, object_id: int):
        """The mail as any recipient will receive it."""
        sendout = self.get_object(request, str(object_id))
        candidates = sendouts.audience(sendout).order_by("email")
        chosen = request.GET.get("contact", "")
        is_id = chosen.isdigit() and int(chosen) < 2**63
        contact = (candidates.filter(pk=chosen).first() if is_id else None) or candidates.first()
        error, prepared = "", None
        try:
            prepared = sendouts.render_for(sendout, contact)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        context = self._context(
            request, sendout, _("Preview"), contacts=candidates[:200], contact=contact, prepared=prepared, error=error
        )
        return TemplateResponse(request, "admin/notifications/sendout/preview.html", context)

    def test_view(self, request: HttpRequest, object_id: int):
        """Send a test to me: the mail as the first recipient gets it, to my own address."""
        sendout = self.get_object(request, str(object_id))
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.email:
            self.message_user(request, _("Your user has no e-mail address."), messages.ERROR)
            return HttpResponseRedirect(self._change_url(sendout))
        sample = sendouts.audience(sendout).order_by("pk").first()
        try:
            sent = sendouts.send_test(sendout=sendout, to=request.user.email, contact=sample)
        except (ValidationError, PermanentError, TransientError) as exc:
            self.message_user(request, _("The test was not sent: %(error)s") % {"error": exc}, messages.ERROR)
            return HttpResponseRedirect(self._change_url(sendout))
        if sent.status == OutboundMessage.Status.SUPPRESSED:
            self.message_user(request, sent.error, messages.WARNING)
        else:
            self.message_user(request, _("Test sent to %(to)s.") % {"to": request.user.email})
        return HttpResponseRedirect(self._change_url(sendout))

    def report_view(self, request: HttpRequest, object_id: int):
        sendout = self.get_object(request, str(object_id))
        reader = sendout_report(sendout)
        report = _shown(reader.as_dict())
        context = self._context(request, sendout, _("Report"), report=report, labels=COUNT_LABELS, chart=reader.chart())
        return TemplateResponse(request, "admin/notifications/sendout/report.html", context)

    def report_chart_view(self, request: HttpRequest, object_id: int):
        """The chart of opens and clicks alone, for the report page to swap in while it sends."""
        sendout = self.get_object(request, str(object_id))
        context = {"chart": sendout_report(sendout).chart()}
        return TemplateResponse(request, "admin/notifications/sendout/_timeline_chart.html", context)

    def report_json_view(self, request: HttpRequest, object_id: int):
        sendout = self.get_object(request, str(object_id))
        return JsonResponse(_shown(sendout_report(sendout).as_dict()))

    def report_csv_view(self, request: HttpRequest, object_id: int):
        sendout = self.get_object(request, str(object_id))
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in sendout_report(sendout).rows()), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="sendout-{sendout.pk}.csv"'
        return response

    def _context(self, request: HttpRequest, sendout: Sendout, title, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "original": sendout,
            "opts": self.model._meta,
            **extra,
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["buttons"] = [
                (name, label) for name, label in BUTTON_LABELS.items() if obj.status in Buttons.ACTIONS[name][1]
            ]
            context["may_schedule"] = obj.status in EDITABLE
        return super().render_change_form(request, context, add, change, form_url, obj)


class _Echo:
    def write(self, value: str) -> str:
        return value


BUTTON_LABELS = {
    "start": _("Send now"),
    "pause": _("Pause"),
    "resume": _("Resume"),
    "cancel": _("Cancel sendout"),
}

COUNT_LABELS = {
    "recipients": _("Recipients"),
    "waiting": _("Still waiting"),
    "sent": _("Sent"),
    "delivered": _("Delivered"),
    "bounced_hard": _("Bounced (hard)"),
    "bounced_soft": _("Bounced (soft)"),
    "opened": _("Opened"),
    "clicked": _("Clicked"),
    "unsubscribed": _("Unsubscribed"),
    "complained": _("Marked as spam"),
    "failed": _("Failed"),
    "suppressed": _("Suppressed"),
    "skipped": _("No longer in the group"),
    "cancelled": _("Not sent (cancelled)"),
}


def _shown(report: dict) -> dict:
    """The report with its failure reasons in the reader's language."""
    failures = [{**row, "reason": notes.shown(row["reason"])} for row in report.get("failures", [])]
    return {**report, "failures": failures}
