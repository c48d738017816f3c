from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from contacts.admin import ContactAdmin
from contacts.models import AttributeDefinition, Contact
from contacts.tenancy import OrganizationScopedAdmin, ReadOnlyScopedAdmin, ScopedTabularInline, organization_of
from engage import crypto
from engage.errors import PermanentError, TransientError
from integrations.activecampaign import services
from integrations.activecampaign.models import (
    ActiveCampaignConnection,
    Activity,
    ContactSync,
    FieldMapping,
    ListMapping,
    PlanningType,
    Resync,
)
from integrations.common.admin import copyable_url

ACTIVECAMPAIGN_URL = re.compile(r"^https://[a-z0-9-]+\.(api-us\d+\.com|activehosted\.com)/?$")


class ActiveCampaignConnectionForm(forms.ModelForm):
    api_url = forms.URLField(
        label=_("API URL"), assume_scheme="https", help_text=_("Settings → Developer, e.g. https://example.api-us1.com")
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Settings → Developer in ActiveCampaign. Stored encrypted and never shown again."),
    )

    class Meta:
        model = ActiveCampaignConnection
        fields = ["api_url", "api_key", "is_active", "sync_enabled", "pool"]

    webhook_events = forms.MultipleChoiceField(
        label=_("webhook events"),
        required=False,
        choices=[(e, e) for e in services.WEBHOOK_EVENTS],
        initial=list(services.WEBHOOK_EVENTS),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sent to Engage once you press “Register the webhook in ActiveCampaign”."),
    )

    def clean_api_url(self) -> str:
        url = self.cleaned_data["api_url"].strip()
        if not ACTIVECAMPAIGN_URL.match(url):
            raise forms.ValidationError(_("Enter your account's API URL, e.g. https://example.api-us1.com"))
        return url.rstrip("/")

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"].strip()
        if not key and not self.instance.api_key_encrypted:
            raise forms.ValidationError(_("Enter the API key."))
        return key

    def save(self, commit: bool = True):
        if self.cleaned_data.get("api_key"):
            self.instance.api_key_encrypted = crypto.encrypt(self.cleaned_data["api_key"])
        return super().save(commit)


def _catalogue_choices(connection: ActiveCampaignConnection | None, kind: str) -> list[tuple[str, str]]:
    names = connection.names(kind) if connection is not None else {}
    return [("", "---------"), *sorted(((i, f"{n} ({i})") for i, n in names.items()), key=lambda c: c[1].lower())]


class FieldMappingForm(forms.ModelForm):
    """Engage's field or attribute, and ActiveCampaign's field picked by name."""

    class Meta:
        model = FieldMapping
        fields = ["engage_field", "remote_field"]

    def __init__(self, *args, connection: ActiveCampaignConnection | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        standard = [(f, Contact._meta.get_field(f).verbose_name) for f in services.STANDARD_FIELDS]
        attributes = []
        if connection is not None:
            attributes = [
                (f"attributes.{d.key}", d.label)
                for d in AttributeDefinition.objects.filter(organization_id=connection.organization_id)
            ]
        self.fields["engage_field"] = forms.ChoiceField(label=_("Engage field"), choices=standard + attributes)
        self.fields["remote_field"] = forms.ChoiceField(
            label=_("ActiveCampaign field"), choices=_catalogue_choices(connection, "fields")
        )


class ListMappingForm(forms.ModelForm):
    class Meta:
        model = ListMapping
        fields = ["group", "remote_list"]

    def __init__(self, *args, connection: ActiveCampaignConnection | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remote_list"] = forms.ChoiceField(
            label=_("ActiveCampaign list"), choices=_catalogue_choices(connection, "lists")
        )


class FieldMappingInline(ScopedTabularInline):
    model = FieldMapping
    form = FieldMappingForm
    extra = 0

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        return _with_form_kwargs(super().get_formset(request, obj, **kwargs), connection=obj)


class ListMappingInline(ScopedTabularInline):
    model = ListMapping
    form = ListMappingForm
    extra = 0

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        return _with_form_kwargs(super().get_formset(request, obj, **kwargs), connection=obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        organization = organization_of(request)
        if db_field.name == "group" and organization is not None:
            kwargs["queryset"] = db_field.related_model.objects.filter(organization=organization)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _with_form_kwargs(formset, **form_kwargs):
    """The formset class, passing `form_kwargs` to every form (the connection's catalogue)."""

    class WithKwargs(formset):
        def __init__(self, *args, **kwargs):
            kwargs["form_kwargs"] = {**kwargs.get("form_kwargs", {}), **form_kwargs}
            super().__init__(*args, **kwargs)

    return WithKwargs


CONNECTION_BUTTONS = {
    "_test_connection": _("Test the connection"),
    "_refresh_catalogue": _("Read automations, lists and fields again"),
    "_register_webhook": _("Register the webhook in ActiveCampaign"),
    "_start_resync": _("Start a full resync"),
}


@admin.register(ActiveCampaignConnection)
class ActiveCampaignConnectionAdmin(OrganizationScopedAdmin):
    admins_only = True
    form = ActiveCampaignConnectionForm
    list_display = ["api_url", "is_active", "sync_enabled", "created_at"]
    list_filter = ["is_active", "organization"]
    readonly_fields = ["api_key_status", "webhook_url", "catalogue_status", "resync_status", "tools"]
    inlines = [FieldMappingInline, ListMappingInline]
    actions = ["test_connection_action", "refresh_catalogue_action", "start_resync_action"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f not in self.readonly_fields]

    def get_inlines(self, request: HttpRequest, obj=None):
        return self.inlines if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        organization = organization_of(request)
        if db_field.name == "pool" and organization is not None:
            kwargs["queryset"] = db_field.related_model.objects.filter(organization=organization)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("API key"))
    def api_key_status(self, obj: ActiveCampaignConnection) -> str:
        return _("stored (enter a new one above to replace it)") if obj.api_key_encrypted else _("missing")

    @admin.display(description=_("webhook URL (for ActiveCampaign's webhooks)"))
    def webhook_url(self, obj: ActiveCampaignConnection) -> str:
        return copyable_url(reverse("integrations:activecampaign", args=[obj.webhook_token]))

    @admin.display(description=_("automations, lists and fields"))
    def catalogue_status(self, obj: ActiveCampaignConnection) -> str:
        if obj.catalogue_read_at is None:
            return _("not read yet: press “Read automations, lists and fields again”")
        counts = {kind: len(obj.names(kind)) for kind in ("automations", "lists", "fields")}
        return _("%(automations)s automations, %(lists)s lists, %(fields)s fields, read %(at)s") % {
            **counts,
            "at": obj.catalogue_read_at.strftime("%Y-%m-%d %H:%M"),
        }

    @admin.display(description=_("last full resync"))
    def resync_status(self, obj: ActiveCampaignConnection) -> str:
        resync = obj.resyncs.first()
        if resync is None:
            return "–"
        return _progress(resync)

    @admin.display(description=_("ActiveCampaign"))
    def tools(self, obj: ActiveCampaignConnection) -> str:
        return format_html_join(
            " ", '<input type="submit" class="button" name="{}" value="{}">', CONNECTION_BUTTONS.items()
        )

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        """A button of the page acts on the stored connection; the form is not saved."""
        pressed = next((name for name in CONNECTION_BUTTONS if name in request.POST), None)
        if request.method != "POST" or pressed is None or object_id is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return self.press(request, obj, pressed)

    def press(self, request: HttpRequest, obj: ActiveCampaignConnection, pressed: str) -> HttpResponse:
        if pressed == "_test_connection":
            self._say_test(request, obj)
        elif pressed == "_refresh_catalogue":
            self._refresh(request, obj)
        elif pressed == "_register_webhook":
            events = request.POST.getlist("webhook_events")
            try:
                services.register_webhook(connection=obj, events=events)
            except (TransientError, PermanentError) as exc:
                self.message_user(request, _("Not registered: %(error)s") % {"error": exc}, messages.ERROR)
            else:
                self.message_user(request, _("Webhook registered for: %(events)s") % {"events": ", ".join(events)})
        else:
            services.start_resync(connection=obj, started_by=request.user.get_username())
            self.message_user(request, _("Full resync started; its progress shows on this page."))
        return self._redirect_to_change(obj)

    def _redirect_to_change(self, obj: ActiveCampaignConnection) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:integrations_activecampaignconnection_change", args=[obj.pk]))

    def _say_test(self, request: HttpRequest, obj: ActiveCampaignConnection) -> None:
        outcome = services.test_connection(obj)
        text = {
            "accepted": (_("Connection accepted: ActiveCampaign knows the API key."), messages.SUCCESS),
            "wrong token": (_("Wrong token: ActiveCampaign refused the API key."), messages.ERROR),
            "unreachable": (_("Unreachable: ActiveCampaign did not answer at the API URL."), messages.ERROR),
        }[outcome]
        self.message_user(request, text[0], text[1])

    def _refresh(self, request: HttpRequest, obj: ActiveCampaignConnection) -> None:
        try:
            services.refresh_catalogue(connection=obj)
        except (TransientError, PermanentError) as exc:
            self.message_user(request, _("Could not read the account: %(error)s") % {"error": exc}, messages.ERROR)
        else:
            self.message_user(request, _("Automations, lists and fields read from ActiveCampaign."))

    @admin.action(description=_("Test the connection"))
    def test_connection_action(self, request: HttpRequest, queryset) -> None:
        for connection in queryset:
            self._say_test(request, connection)

    @admin.action(description=_("Read automations, lists and fields again"))
    def refresh_catalogue_action(self, request: HttpRequest, queryset) -> None:
        for connection in queryset:
            self._refresh(request, connection)

    @admin.action(description=_("Start a full resync"))
    def start_resync_action(self, request: HttpRequest, queryset) -> None:
        for connection in queryset:
            services.start_resync(connection=connection, started_by=request.user.get_username())
        self.message_user(request, _("Full resync started."))


def _progress(resync: Resync) -> str:
    counts = services.resync_progress(resync)
    done = counts["synced"] + counts["failed"]
    return format_html(
        '<progress max="{}" value="{}"></progress> {} / {} ({} {})',
        max(counts["total"], 1),
        done,
        done,
        counts["total"],
        counts["failed"],
        _("failed"),
    )


@admin.register(ContactSync)
class ContactSyncAdmin(ReadOnlyScopedAdmin):
    list_display = ["contact", "status", "remote_id", "synced_at", "attempts", "error_summary"]
    list_filter = ["status", "priority", "organization"]
    search_fields = ["contact__email", "remote_id"]
    list_select_related = ["contact"]
    fields = ["contact", "status", "remote_id", "synced_at", "attempts", "due_at", "error", "resync"]

    @admin.display(description=_("ActiveCampaign's message"))
    def error_summary(self, obj: ContactSync) -> str:
        return obj.error[:120]


@admin.register(Resync)
class ResyncAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "started_by", "progress"]
    fields = ["created_at", "started_by", "progress", "error_report"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        queryset = super(ReadOnlyScopedAdmin, self).get_queryset(request)
        organization = organization_of(request)
        return queryset.filter(connection__organization=organization) if organization else queryset

    @admin.display(description=_("progress"))
    def progress(self, obj: Resync) -> str:
        return _progress(obj)

    @admin.display(description=_("error report"))
    def error_report(self, obj: Resync) -> str:
        failed = obj.items.filter(status=ContactSync.Status.FAILED).select_related("contact")[:500]
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", ((r.contact.email, r.error) for r in failed)),
        ) if failed else "–"  # fmt: skip


@admin.register(PlanningType)
class PlanningTypeAdmin(OrganizationScopedAdmin):
    list_display = ["name", "automation_name"]
    list_filter = ["organization"]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name != "automation":
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        connection = ActiveCampaignConnection.objects.filter(organization=organization_of(request)).first()
        return forms.ChoiceField(
            label=_("ActiveCampaign automation"),
            choices=_catalogue_choices(connection, "automations"),
            help_text=_("Read from ActiveCampaign (see the connection's page to read them again)."),
        )

    @admin.display(description=_("ActiveCampaign automation"))
    def automation_name(self, obj: PlanningType) -> str:
        connection = ActiveCampaignConnection.objects.filter(organization_id=obj.organization_id).first()
        names = connection.names("automations") if connection else {}
        return f"{names.get(obj.automation, '?')} ({obj.automation})"


@admin.register(Activity)
class ActivityAdmin(ReadOnlyScopedAdmin):
    list_display = ["contact", "planning_type", "status", "created_at", "synced_at", "attempts", "error"]
    list_filter = ["status", "planning_type", "organization"]
    list_select_related = ["contact", "planning_type"]


# --- The contact's page: its sync state, and starting a planning type's automation ----------
class ContactWithActiveCampaignAdmin(ContactAdmin):
    readonly_fields = [*ContactAdmin.readonly_fields, "activecampaign_state"]

    @admin.display(description=_("ActiveCampaign"))
    def activecampaign_state(self, obj: Contact) -> str:
        row = ContactSync.objects.filter(contact=obj).first()
        if row is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a> {} {} {}',
            reverse("admin:integrations_contactsync_change", args=[row.pk]),
            row.get_status_display(),
            row.remote_id,
            row.synced_at.strftime("%Y-%m-%d %H:%M:%S") if row.synced_at else "",
            row.error[:200],
        )

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        organization = organization_of(request)
        for planning_type in PlanningType.objects.filter(organization=organization):
            name = f"activity_{planning_type.pk}"
            description = _("Record activity: %(name)s (starts its ActiveCampaign automation)") % {
                "name": planning_type.name
            }
            actions[name] = (_activity_action(planning_type), name, description)
        return actions


def _activity_action(planning_type: PlanningType):
    def record(modeladmin, request: HttpRequest, queryset) -> None:
        for contact in queryset:
            services.record_activity(
                contact=contact, planning_type=planning_type, source=f"admin ({request.user.get_username()})"
            )
        modeladmin.message_user(request, _("%(count)s activities recorded.") % {"count": queryset.count()})

    return record


admin.site.unregister(Contact)
admin.site.register(Contact, ContactWithActiveCampaignAdmin)
