import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Organization
from contacts.selectors import organization_by_id
from contacts.tenancy import (
    OrganizationScopedAdmin,
    ReadOnlyInline,
    ReadOnlyScopedAdmin,
    ScopedStackedInline,
    is_host_admin,
    organization_of,
    organization_of_form,
)
from engage import notes
from engage.errors import PermanentError, TransientError
from notifications import domains, mailsettings, ratelimit
from notifications.editor import DRAFT_FIELDS, placeholders, render_draft
from notifications.models import (
    Conversation,
    InboundMessage,
    MailSettings,
    OutboundMessage,
    PreparedMessage,
    PreparedMessageVariant,
    SenderDomain,
    SendQuota,
    TrackingEvent,
    normalize_domain,
)
from notifications.prepared import check_variant, render_prepared
from notifications.services import send_mail, send_test_mail


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ["occurred_at", "event_type", "esp", "url", "description", "raw_payload"]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description=_("raw payload"))
    def raw_payload(self, obj: TrackingEvent) -> str:
        payload = json.dumps(obj.raw, indent=2, ensure_ascii=False)
        return format_html("<pre style='white-space: pre-wrap; max-width: 60em'>{}</pre>", payload)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyScopedAdmin):
    inlines = [TrackingEventInline]
    list_display = ["subject", "recipient", "status", "created_at", "sent_at", "next_attempt", "gives_up"]
    list_filter = ["status", "organization"]
    search_fields = ["recipient", "subject", "message_id", "provider_message_id"]
    date_hierarchy = "created_at"
    fields = [
        "organization",
        "recipient",
        "from_email",
        "subject",
        "status",
        "message_id",
        "provider_message_id",
        "attempts",
        "next_attempt",
        "gives_up",
        "note",
        "contact",
        "run",
        "conversation",
        "created_at",
        "sent_at",
        "text_body",
        "html_preview",
    ]
    readonly_fields = fields

    @admin.display(description=_("next attempt"), ordering="next_attempt_at")
    def next_attempt(self, obj: OutboundMessage):
        """Only while the mail waits in the outbox; a sent or failed mail has none."""
        if obj.status not in (OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING):
            return "—"
        return _when(obj.next_attempt_at)

    @admin.display(description=_("gives up at"))
    def gives_up(self, obj: OutboundMessage):
        """When a mail the server keeps refusing for now fails (ENGAGE_MAIL_RETRY_HOURS)."""
        if obj.status not in (OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING):
            return "—"
        return _when(obj.gives_up_at)

    @admin.display(description=_("error"))
    def note(self, obj: OutboundMessage) -> str:
        return notes.shown(obj.error)

    @admin.display(description=_("HTML body"))
    def html_preview(self, obj: OutboundMessage) -> str:
        if not obj.html_body:
            return "—"
        # Shown in a sandboxed frame: the mail's HTML never runs in the admin's origin.
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width: 100%; min-height: 360px; border: 1px solid #ccc;"></iframe>',
            obj.html_body,
        )


def _when(moment) -> str:
    """A time as the admin writes it in lists (local time, the language's format)."""
    if moment is None:
        return "—"
    return date_format(localtime(moment), "DATETIME_FORMAT")


class MailSettingsForm(forms.ModelForm):
    """Secrets are write-only: they are never shown again; leave a field empty to keep it."""

    password = forms.CharField(
        label=_("password"), required=False, strip=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored password."),
    )  # fmt: skip
    clear_password = forms.BooleanField(label=_("no password (anonymous)"), required=False)
    esp_api_key = forms.CharField(
        label=_("API key / server token"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored key."),
    )  # fmt: skip
    esp_secret_key = forms.CharField(
        label=_("secret key (Mailjet)"), required=False, widget=forms.PasswordInput(render_value=False)
    )
    esp_sender_domain = forms.CharField(label=_("sending domain (Mailgun)"), required=False)

    class Meta:
        model = MailSettings
        fields = [
            "organization", "use_host_settings", "transport", "smtp_host", "smtp_domain", "smtp_port", "smtp_username",
            "security", "timeout", "esp", "from_email", "from_name",
        ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("use_host_settings"):
            return cleaned
        if cleaned.get("transport") == MailSettings.Transport.SMTP and not cleaned.get("smtp_host"):
            self.add_error("smtp_host", _("Enter the SMTP server's host name."))
        if cleaned.get("transport") == MailSettings.Transport.ESP:
            if not cleaned.get("esp"):
                self.add_error("esp", _("Choose the provider."))
            elif not (cleaned.get("esp_api_key") or self.instance.esp_credentials):
                self.add_error("esp_api_key", _("Enter the provider's API key."))
        if cleaned.get("timeout") is not None and not 1 <= cleaned["timeout"] <= 300:
            self.add_error("timeout", _("Between 1 and 300 seconds."))
        _check_from_address(self, cleaned)
        return cleaned

    def new_secrets(self) -> dict:
        """The secrets typed in, for mailsettings.save_settings: None keeps what is stored."""
        password = "" if self.cleaned_data.get("clear_password") else (self.cleaned_data.get("password") or None)
        credentials = None
        if self.cleaned_data.get("esp_api_key"):
            key_name = mailsettings.ESP_BACKENDS[self.instance.esp][1][0]
            credentials = {
                key_name: self.cleaned_data["esp_api_key"],
                "secret_key": self.cleaned_data.get("esp_secret_key"),
                "sender_domain": self.cleaned_data.get("esp_sender_domain"),
            }
        return {"password": password, "esp_credentials": credentials}


def _check_from_address(form: forms.ModelForm, cleaned: dict) -> None:
    try:
        domains.validate_from_address(organization_of_form(form), cleaned.get("from_email") or "")
    except ValidationError as exc:
        form.add_error("from_email", exc)


class TestMailForm(forms.Form):
    to = forms.EmailField(label=_("send a test mail to"))


@admin.register(MailSettings)
class MailSettingsAdmin(OrganizationScopedAdmin):
    form = MailSettingsForm
    admins_only = True
    list_display = ["__str__", "use_host_settings", "transport", "smtp_host", "esp", "from_email", "updated_at"]
    change_form_template = "admin/notifications/mailsettings/change_form.html"
    fieldsets = [
        (None, {"fields": ["organization", "use_host_settings", "transport"]}),
        (_("SMTP"), {"fields": ["smtp_host", "smtp_domain", "smtp_port", "smtp_username", "password", "clear_password",
                                 "security", "timeout"]}),
        (_("Provider"), {"fields": ["esp", "esp_api_key", "esp_secret_key", "esp_sender_domain"]}),
        (_("Sender"), {"fields": ["from_email", "from_name"]}),
    ]  # fmt: skip

    def get_urls(self):
        return [
            path(
                "<int:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="notifications_mailsettings_test",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: MailSettings, form: MailSettingsForm, change: bool) -> None:
        self.scope_object(request, obj)
        mailsettings.save_settings(row=obj, **form.new_secrets())

    def has_add_permission(self, request: HttpRequest) -> bool:
        organization = organization_of(request)
        if organization is None:
            return is_host_admin(request)
        return (
            super().has_add_permission(request) and not MailSettings.objects.filter(organization=organization).exists()
        )

    def test_view(self, request: HttpRequest, object_id: int):
        row = self.get_object(request, str(object_id))
        form = TestMailForm(request.POST or None, initial={"to": request.user.email})
        result = None
        if request.method == "POST" and form.is_valid():
            ok, text = send_test_mail(organization=row.organization, to=form.cleaned_data["to"])
            result = {"ok": ok, "text": text}
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send a test mail"),
            "form": form,
            "result": result,
            "original": row,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/notifications/mailsettings/test_mail.html", context)


class VariantForm(forms.ModelForm):
    class Meta:
        model = PreparedMessageVariant
        fields = ["language", "subject", "preheader", "html_body", "text_body"]

    def clean(self):
        cleaned = super().clean()
        variant = PreparedMessageVariant(**{k: cleaned.get(k) or "" for k in self.Meta.fields})
        try:
            check_variant(variant)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return cleaned


class VariantInline(ScopedStackedInline):
    model = PreparedMessageVariant
    form = VariantForm
    extra = 0
    min_num = 1

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        # A message without a language variant could not be sent: at least one, checked.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


@admin.action(description=_("Send a test of the selected messages to me"))
def send_test_to_me(modeladmin, request: HttpRequest, queryset) -> None:
    if not request.user.email:
        modeladmin.message_user(request, _("Your user has no e-mail address."), messages.ERROR)
        return
    for message in queryset.select_related("organization"):
        sample = message.organization.contact_set.order_by("pk").first()
        try:
            prepared = render_prepared(message, contact=sample, to_contact=False)
            sent = send_mail(
                organization=message.organization, to=request.user.email, mail=prepared.mail,
                from_email=prepared.from_email or None,
            )  # fmt: skip
        except (ValidationError, PermanentError, TransientError) as exc:
            modeladmin.message_user(
                request, f"{message.name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
            )
        else:
            if sent.status == OutboundMessage.Status.SUPPRESSED:
                modeladmin.message_user(request, f"{message.name}: {sent.error}", messages.WARNING)
                continue
            modeladmin.message_user(
                request, _("“%(name)s” sent to %(to)s.") % {"name": message.name, "to": request.user.email}
            )


class PreparedMessageForm(forms.ModelForm):
    class Meta:
        model = PreparedMessage
        fields = ["organization", "name", "is_marketing", "from_email", "from_name"]

    def clean(self):
        cleaned = super().clean()
        _check_from_address(self, cleaned)
        return cleaned


@admin.register(PreparedMessage)
class PreparedMessageAdmin(OrganizationScopedAdmin):
    form = PreparedMessageForm
    list_display = ["name", "is_marketing", "from_email", "updated_at"]
    list_filter = ["organization", "is_marketing"]
    search_fields = ["name", "variants__subject"]
    inlines = [VariantInline]
    actions = [send_test_to_me]
    change_form_template = "admin/notifications/preparedmessage/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        draft = self.admin_site.admin_view(self.draft_preview_view)
        return [
            path("<int:object_id>/preview/", view, name="notifications_preparedmessage_preview"),
            path("draft-preview/", draft, name="notifications_preparedmessage_draft_preview"),
            path("<int:object_id>/draft-preview/", draft, name="notifications_preparedmessage_draft_preview_of"),
            *super().get_urls(),
        ]

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        """The editor's help: the field picker's placeholders and the live preview's
        contacts, of the message's organization."""
        organization = obj.organization if obj is not None else organization_of(request)
        contacts = Contact.objects.filter(organization=organization).order_by("email") if organization else []
        context["editor_options"] = {"placeholders": placeholders(organization), "insert": str(_("Insert a field…"))}
        context["preview_contacts"] = contacts[:PREVIEW_CONTACTS]
        context["draft_preview_url"] = (
            reverse("admin:notifications_preparedmessage_draft_preview_of", args=[obj.pk])
            if obj is not None
            else reverse("admin:notifications_preparedmessage_draft_preview")
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def draft_preview_view(self, request: HttpRequest, object_id: int | None = None) -> JsonResponse:
        """The language variant being edited, rendered as a contact of the organization:
        POST {"contact": id, "language", "subject", "preheader", "html_body", "text_body",
        "is_marketing"} (a host administrator adding a message names the "organization").
        Another organization's message or contact is a 404; broken dynamic text a 400."""
        if request.method != "POST":
            return JsonResponse({"errors": {"__all__": [_("Send the draft with POST.")]}}, status=405)
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            draft = json.loads(request.body)
            if not isinstance(draft, dict):
                raise ValueError
        except ValueError:
            return JsonResponse({"errors": {"__all__": [_("Send the draft as a JSON object.")]}}, status=400)
        if object_id is not None:
            message = self.get_object(request, str(object_id))
        else:
            organization = organization_of(request) or organization_by_id(draft.get("organization"))
            if organization is None:
                return JsonResponse({"errors": {"__all__": [_("Choose the organization first.")]}}, status=400)
            message = PreparedMessage(organization=organization)
        message.is_marketing = bool(draft.get("is_marketing"))
        contact = _draft_contact(message.organization, draft.get("contact"))
        variant = PreparedMessageVariant(
            language=str(draft.get("language") or ""), **{name: str(draft.get(name) or "") for name in DRAFT_FIELDS}
        )
        if variant.language not in Contact.Language.values:
            return JsonResponse({"errors": {"language": [_("Choose one of the message's languages.")]}}, status=400)
        try:
            prepared = render_draft(message, variant, contact=contact)
        except ValidationError as exc:
            return JsonResponse({"errors": exc.message_dict}, status=400)
        mail = prepared.mail
        return JsonResponse(
            {"subject": mail.subject, "html": mail.html, "text": mail.text, "headers": prepared.headers}
        )

    def preview_view(self, request: HttpRequest, object_id: int):
        """The message as one contact of the organization will receive it."""
        message = self.get_object(request, str(object_id))
        contacts = Contact.objects.filter(organization=message.organization).order_by("email")
        chosen = request.GET.get("contact", "")
        is_id = chosen.isdigit() and int(chosen) < 2**63
        contact = (contacts.filter(pk=chosen).first() if is_id else None) or contacts.first()
        error, prepared = "", None
        try:
            prepared = render_prepared(message, contact=contact)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview"),
            "original": message,
            "opts": self.model._meta,
            "contacts": contacts[:200],
            "contact": contact,
            "prepared": prepared,
            "error": error,
        }
        return TemplateResponse(request, "admin/notifications/preparedmessage/preview.html", context)


PREVIEW_CONTACTS = 200


def _draft_contact(organization: Organization, chosen) -> Contact | None:
    """The organization's contact the preview is for; none chosen: render without one.
    Another organization's contact, or one that does not exist, is a 404."""
    if chosen in (None, ""):
        return None
    text = str(chosen)
    if not text.isdigit() or int(text) >= 2**63:
        raise Http404("No such contact.")
    return get_object_or_404(Contact, organization=organization, pk=int(text))


@admin.register(SendQuota)
class SendQuotaAdmin(OrganizationScopedAdmin):
    """Sending rate limits are the host's to set; organizations may look at theirs."""

    list_display = ["organization", "mails_per_minute", "campaign_mails_per_minute"]
    fields = ["organization", "mails_per_minute", "campaign_mails_per_minute"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_host_admin(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_host_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_host_admin(request)

    def save_model(self, request: HttpRequest, obj: SendQuota, form, change: bool) -> None:
        self.scope_object(request, obj)
        ratelimit.save_quota(quota=obj)


class SenderDomainForm(forms.ModelForm):
    class Meta:
        model = SenderDomain
        fields = ["organization", "domain", "dkim_selector"]

    def clean(self):
        cleaned = super().clean()
        organization, domain = organization_of_form(self), cleaned.get("domain")
        if organization and domain:
            others = SenderDomain.objects.filter(organization=organization, domain=normalize_domain(domain))
            if others.exclude(pk=self.instance.pk).exists():
                self.add_error("domain", _("This organization has added this domain already."))
        return cleaned


@admin.action(description=_("Check DNS now"))
def check_dns_now(modeladmin, request: HttpRequest, queryset) -> None:
    for domain in queryset:
        _report_check(modeladmin, request, domain)


def _report_check(modeladmin, request: HttpRequest, domain: SenderDomain) -> None:
    findings = domains.check_sender_domain(domain)
    passed = str(_("passed"))
    summary = "; ".join(
        f"{domains.KINDS[kind]!s}: {passed if finding.ok else finding.detail}" for kind, finding in findings.items()
    )
    if domain.is_verified:
        text = _("%(domain)s is verified. %(summary)s") % {"domain": domain, "summary": summary}
        modeladmin.message_user(request, text, messages.SUCCESS)
    else:
        text = _("%(domain)s is not verified. %(summary)s") % {"domain": domain, "summary": summary}
        modeladmin.message_user(request, text, messages.WARNING)


@admin.register(SenderDomain)
class SenderDomainAdmin(OrganizationScopedAdmin):
    """Organization admins add the domains they send from, publish the records shown on the
    domain's page and let Engage check them."""

    form = SenderDomainForm
    admins_only = True
    list_display = ["domain", "verified", "verification_ok", "spf_ok", "dkim_ok", "dmarc_ok", "last_checked_at"]
    list_filter = ["organization"]
    search_fields = ["domain"]
    actions = [check_dns_now]
    change_form_template = "admin/notifications/senderdomain/change_form.html"
    details = ["dns_records", "dns_check", "verified_at", "last_checked_at"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = ["organization", "domain", "dkim_selector"]
        if obj is not None:
            fields += self.details
        if not is_host_admin(request):
            fields.remove("organization")
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # A domain's name and selector are what its records were published for: to change
        # them, add the domain anew.
        return ["organization", "domain", "dkim_selector", *self.details] if obj is not None else []

    def get_urls(self):
        view = self.admin_site.admin_view(self.check_view)
        return [path("<int:object_id>/check/", view, name="notifications_senderdomain_check"), *super().get_urls()]

    def check_view(self, request: HttpRequest, object_id: int):
        domain = self.get_object(request, str(object_id))
        if not self.has_change_permission(request, domain):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        _report_check(self, request, domain)
        return HttpResponseRedirect(reverse("admin:notifications_senderdomain_change", args=[domain.pk]))

    @admin.display(description=_("verified"), boolean=True)
    def verified(self, obj: SenderDomain) -> bool:
        return obj.is_verified

    @admin.display(description=_("DNS records to publish"))
    def dns_records(self, obj: SenderDomain) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code style='word-break: break-all'>{}</code></td>"
            "<td><button type='button' class='button engage-copy' data-copy='{}'>{}</button></td></tr>",
            ((r.label, r.type, r.name, r.value, r.value, _("Copy")) for r in domains.records_to_publish(obj)),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
            _("Record"), _("Type"), _("Name"), _("Value"),
        )  # fmt: skip
        note = _(
            "The domain is verified when the verification record, or both SPF and DKIM, are found. "
            "If the domain has an SPF record already, add Engage's mechanisms to it: there must be only one."
        )
        return format_html("<table>{}{}</table><p class='help'>{}</p>", head, rows, note)

    @admin.display(description=_("last DNS check"))
    def dns_check(self, obj: SenderDomain) -> str:
        if not obj.last_check:
            return _("Not checked yet.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}: {}</li>",
                (
                    ("✔" if found.get("ok") else "✘", domains.KINDS.get(kind, kind), found.get("detail", ""))
                    for kind, found in obj.last_check.items()
                ),
            ),
        )


class ConversationMessageInline(ReadOnlyInline):
    model = OutboundMessage
    fk_name = "conversation"
    fields = ["created_at", "subject", "recipient", "status"]
    readonly_fields = fields
    verbose_name_plural = _("mails sent")


class ConversationReplyInline(ReadOnlyInline):
    model = InboundMessage
    fk_name = "conversation"
    fields = ["received_at", "from_email", "subject"]
    readonly_fields = fields
    verbose_name_plural = _("replies received")


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyScopedAdmin):
    list_display = ["subject", "contact", "last_message_at", "created_at"]
    list_filter = ["organization"]
    search_fields = ["subject", "contact__email", "uuid"]
    date_hierarchy = "last_message_at"
    fields = ["organization", "subject", "contact", "uuid", "created_at", "last_message_at"]
    readonly_fields = fields
    inlines = [ConversationMessageInline, ConversationReplyInline]


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyScopedAdmin):
    list_display = ["subject", "from_email", "conversation", "received_at"]
    list_filter = ["esp", "organization"]
    search_fields = ["from_email", "subject", "message_id"]
    date_hierarchy = "received_at"
    fields = [
        "organization", "from_email", "subject", "received_at", "conversation", "in_reply_to", "contact", "esp",
        "message_id", "text", "html_preview", "header_lines",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("HTML"))
    def html_preview(self, obj: InboundMessage) -> str:
        if not obj.html:
            return "—"
        # A stranger's HTML never runs in the admin's origin.
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width: 100%; min-height: 300px; border: 1px solid #ccc;"></iframe>',
            obj.html,
        )

    @admin.display(description=_("headers"))
    def header_lines(self, obj: InboundMessage) -> str:
        lines = "\n".join(f"{name}: {value}" for name, value in obj.headers)
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", lines)


from notifications import admin_sendouts  # noqa: E402, F401  (registers the group sendouts' admin)
