import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportActionMixin
from unfold.contrib.import_export.forms import SelectableFieldsExportForm
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from contacts import gdpr, imports, services
from contacts.attributes import clean_attributes, definitions_of, form_field, form_initial
from contacts.models import (
    AttributeDefinition,
    ConsentRecord,
    Contact,
    ContactImport,
    Group,
    Membership,
    Organization,
    Selection,
    Suppression,
    Tag,
    Transaction,
    User,
)
from contacts.resources import ContactResource
from contacts.selections import validate_definition
from contacts.selectors import count_matching, email_taken, organization_by_id
from contacts.suppression import normalize
from contacts.tenancy import (
    OrganizationScopedAdmin,
    ReadOnlyScopedAdmin,
    ScopedTabularInline,
    is_host_admin,
    is_organization_admin,
    organization_of,
    organization_of_form,
)
from contacts.widgets import SelectionBuilderWidget
from engage import history
from engage.events import EventType, record_event
from engage.lib.remote import client_ip


def editable_field_choices(organization: Organization | None) -> list:
    """What an organization may let contacts edit in the preference center: the standard
    fields, then its custom attributes, each under its translated name."""
    standard = [(name, capfirst(Contact._meta.get_field(name).verbose_name)) for name in Organization.EDITABLE_FIELDS]
    choices = [(_("Contact fields"), standard)]
    if organization is not None:
        attributes = list(AttributeDefinition.objects.filter(organization=organization).values_list("key", "label"))
        if attributes:
            choices.append((capfirst(AttributeDefinition._meta.verbose_name_plural), attributes))
    return choices


class OrganizationForm(forms.ModelForm):
    logo_url = forms.URLField(label=_("logo URL"), required=False, assume_scheme="https")
    portal_editable_fields = forms.MultipleChoiceField(
        label=capfirst(Organization._meta.get_field("portal_editable_fields").verbose_name),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What contacts may change in the preference center, besides their e-mail address."),
    )

    class Meta:
        model = Organization
        fields = ["name", "slug", "logo_url", "portal_host", "portal_editable_fields"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization = self.instance if self.instance.pk else None
        self.fields["portal_editable_fields"].choices = editable_field_choices(organization)

    def clean_portal_host(self) -> str | None:
        return (self.cleaned_data.get("portal_host") or "").strip().lower() or None


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    form = OrganizationForm
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [] if is_host_admin(request) else ["slug"]

    def get_prepopulated_fields(self, request: HttpRequest, obj=None):
        return self.prepopulated_fields if is_host_admin(request) else {}

    def save_model(self, request: HttpRequest, obj: Organization, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.save_new_organization(organization=obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_host_admin(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_organization_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_host_admin(request)


@admin.action(description=_("Fire the manual event for the selected items"))
def fire_manual_events(modeladmin, request: HttpRequest, queryset) -> None:
    count = 0
    for obj in queryset.select_related("organization"):
        if obj.organization_id is None:
            continue
        contact, user = (obj, None) if isinstance(obj, Contact) else (None, obj)
        record_event(organization=obj.organization, type=EventType.MANUAL, contact=contact, user=user, source="admin")
        count += 1
    modeladmin.message_user(
        request,
        ngettext("Fired the manual event for %d item.", "Fired the manual event for %d items.", count) % count,
        messages.SUCCESS,
    )


class SystemUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email", "role", "organization"]


@admin.register(User)
class UserAdmin(OrganizationScopedAdmin, DjangoUserAdmin):
    admins_only = True
    form = UserChangeForm
    add_form = SystemUserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "email", "first_name", "last_name", "organization", "role", "is_active"]
    list_filter = ["organization", "role", "is_active", "is_superuser"]
    actions = [fire_manual_events]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            fields = ["username", "email", "role", "usable_password", "password1", "password2"]
            if is_host_admin(request):
                fields.insert(3, "organization")
            return [(None, {"classes": ["wide"], "fields": fields})]
        account = ["username", "password", "first_name", "last_name", "email", "role", "is_active"]
        if not is_host_admin(request):
            return [(None, {"fields": account}), (_("Important dates"), {"fields": ["last_login", "date_joined"]})]
        return [
            (None, {"fields": account}),
            (_("Host"), {"fields": ["organization", "is_staff", "is_superuser"]}),
            (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ["last_login", "date_joined"]

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        self.scope_object(request, obj)
        services.save_system_user(user=obj)


ATTRIBUTE_PREFIX = "attr_"


class ContactForm(forms.ModelForm):
    """A contact. contact_form_for adds one typed field per custom attribute of the
    organization; only where the organization is not known yet (a host administrator adding
    a contact) are the attributes the JSON box."""

    attribute_definitions: dict[str, AttributeDefinition] = {}

    class Meta:
        model = Contact
        fields = [
            "organization", "email", "salutation", "first_name", "last_name", "phone", "company", "language",
            "external_ref", "tags", "attributes",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.attributes or {}
        for key in self.attribute_definitions:
            self.initial.setdefault(ATTRIBUTE_PREFIX + key, form_initial(stored.get(key)))

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        organization = organization_of_form(self)
        if email and organization and email_taken(organization=organization, email=email, exclude_pk=self.instance.pk):
            self.add_error("email", _("This organization already has a contact with this e-mail address."))
        foreign_tags = [
            t.name for t in cleaned.get("tags") or [] if organization and t.organization_id != organization.pk
        ]
        if foreign_tags:
            self.add_error(
                "tags", _("These tags belong to another organization: %(tags)s") % {"tags": ", ".join(foreign_tags)}
            )
        if self.attribute_definitions:
            self._clean_typed_attributes(organization)
        elif organization and "attributes" in cleaned:
            try:
                cleaned["attributes"] = clean_attributes(organization, cleaned["attributes"])
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error("attributes", f"{key}: {message}")
        return cleaned

    def _clean_typed_attributes(self, organization: Organization | None) -> None:
        """Check the typed fields' values against their definitions and put them into the
        contact's attributes; values of attributes no longer defined stay as they are."""
        values = {
            key: self.cleaned_data[ATTRIBUTE_PREFIX + key]
            for key in self.attribute_definitions
            if ATTRIBUTE_PREFIX + key in self.cleaned_data
        }
        try:
            # Required ones are the fields' to check: a field with an error has no value here.
            cleaned = clean_attributes(organization, values, partial=True, definitions=self.attribute_definitions)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(ATTRIBUTE_PREFIX + key, message)
            return
        kept = {k: v for k, v in (self.instance.attributes or {}).items() if k not in self.attribute_definitions}
        self.instance.attributes = {**kept, **{k: v for k, v in cleaned.items() if v is not None}}


def contact_form_for(organization: Organization | None) -> type[ContactForm]:
    """The contact form with one typed field per custom attribute of the organization."""
    if organization is None:
        return ContactForm
    definitions = definitions_of(organization)
    fields = {ATTRIBUTE_PREFIX + key: form_field(definition) for key, definition in definitions.items()}
    meta = type("Meta", (ContactForm.Meta,), {"fields": [f for f in ContactForm.Meta.fields if f != "attributes"]})
    return type("ContactForm", (ContactForm,), {**fields, "Meta": meta, "attribute_definitions": definitions})


class MembershipInline(ScopedTabularInline):
    model = Membership
    extra = 0
    fields = ["group", "state", "reason", "changed_at"]
    readonly_fields = ["changed_at"]
    autocomplete_fields = ["group"]

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        organization = organization_of(request)
        if db_field.name == "group" and organization is not None:
            kwargs["queryset"] = Group.objects.filter(organization=organization)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TransactionInline(ScopedTabularInline):
    """The contact's timeline, newest first."""

    model = Transaction
    extra = 0
    fields = ["occurred_at", "type", "data"]
    readonly_fields = fields
    ordering = ["-occurred_at"]
    verbose_name_plural = _("transactions (timeline)")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.action(description=_("Export personal data (JSON, GDPR)"))
def export_personal_data(modeladmin, request: HttpRequest, queryset) -> HttpResponse:
    data = [gdpr.export_contact(contact) for contact in queryset.select_related("organization")]
    response = HttpResponse(
        json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    name = f"contact-{data[0]['contact']['id']}" if len(data) == 1 else "contacts"
    response["Content-Disposition"] = f'attachment; filename="{name}-personal-data.json"'
    return response


@admin.action(description=_("Erase personal data (GDPR)…"))
def erase_personal_data(modeladmin, request: HttpRequest, queryset):
    if request.POST.get("confirmed") == "yes":
        count = 0
        for contact in queryset:
            gdpr.erase_contact(contact)
            count += 1
        modeladmin.message_user(
            request,
            ngettext("Erased the personal data of %d contact.", "Erased the personal data of %d contacts.", count)
            % count,
            messages.SUCCESS,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Erase personal data?"),
        "contacts": queryset,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/contacts/contact/erase_confirmation.html", context)


HISTORY_PER_PAGE = 25
MAX_HISTORY_PAGE = 400


def history_page(request: HttpRequest) -> int:
    page = request.GET.get("history_page", "")
    return min(int(page), MAX_HISTORY_PAGE) if page.isdigit() and int(page) > 0 else 1


@admin.register(Contact)
class ContactAdmin(ExportActionMixin, OrganizationScopedAdmin):
    form = ContactForm
    resource_classes = [ContactResource]
    export_form_class = SelectableFieldsExportForm
    list_display = ["email", "first_name", "last_name", "language", "has_password", "created_at"]
    list_filter = ["organization", "language", "tags"]
    search_fields = ["email", "first_name", "last_name", "external_ref"]
    readonly_fields = ["has_password", "created_at", "updated_at"]
    filter_horizontal = ["tags"]
    inlines = [MembershipInline, TransactionInline]
    actions = [fire_manual_events, export_personal_data, erase_personal_data]
    change_form_template = "admin/contacts/contact/change_form.html"

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        organization = obj.organization if obj is not None else organization_of(request)
        kwargs["form"] = contact_form_for(organization)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj=None):
        """The custom attributes in a section of their own."""
        fieldsets = super().get_fieldsets(request, obj)
        (name, options), *rest = fieldsets
        attributes = [f for f in options["fields"] if f.startswith(ATTRIBUTE_PREFIX)]
        if not attributes:
            return fieldsets
        others = [f for f in options["fields"] if f not in attributes]
        section = capfirst(AttributeDefinition._meta.verbose_name_plural)
        return [(name, {**options, "fields": others}), (section, {"fields": attributes}), *rest]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        contact = self.get_object(request, object_id)  # another organization's contact: 404
        page = history_page(request)
        entries, more = history.history(contact, page=page, per_page=HISTORY_PER_PAGE)
        extra_context = {
            **(extra_context or {}),
            "history": entries,
            "history_page": page,
            "history_older": page + 1 if more else None,
            "history_newer": page - 1 if page > 1 else None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)  # also lists formset.deleted_objects; stores nothing
        services.save_memberships_by_hand(
            memberships=memberships,
            deleted=formset.deleted_objects,
            source=f"admin ({request.user.get_username()})",
            ip_address=client_ip(request),
        )

    def get_export_resource_classes(self, request: HttpRequest) -> list:
        return [ContactResource.for_organization(organization_of(request))]

    @admin.display(boolean=True, description=_("password set"))
    def has_password(self, obj: Contact) -> bool:
        return bool(obj.password)

    def save_model(self, request: HttpRequest, obj: Contact, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            self.scope_object(request, obj)
            services.save_new_contact(contact=obj, source="admin")


@admin.register(Tag)
class TagAdmin(OrganizationScopedAdmin):
    list_display = ["name", "contact_count"]
    list_filter = ["organization"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(contact_total=Count("contacts"))

    @admin.display(description=_("contacts"), ordering="contact_total")
    def contact_count(self, obj: Tag) -> int:
        return obj.contact_total


@admin.register(Group)
class GroupAdmin(OrganizationScopedAdmin):
    list_display = ["name", "is_public", "double_opt_in", "receiving_count"]
    list_filter = ["organization", "is_public", "double_opt_in"]
    search_fields = ["name", "description"]

    def save_model(self, request: HttpRequest, obj: Group, form, change: bool) -> None:
        self.scope_object(request, obj)
        # The system user of *group created*: whoever created it, if of this organization.
        user = request.user if request.user.organization_id == obj.organization_id else None
        services.save_group(group=obj, user=user, source=f"admin ({request.user.get_username()})")

    def get_queryset(self, request: HttpRequest):
        receiving = Count("memberships", filter=Q(memberships__state__in=Membership.RECEIVING))
        return super().get_queryset(request).annotate(receiving_total=receiving)

    @admin.display(description=_("receiving"), ordering="receiving_total")
    def receiving_count(self, obj: Group) -> int:
        return obj.receiving_total


class AttributeDefinitionForm(forms.ModelForm):
    class Meta:
        model = AttributeDefinition
        fields = ["organization", "key", "label", "type", "choices", "required"]

    def clean(self):
        cleaned = super().clean()
        choices = cleaned.get("choices")
        if cleaned.get("type") == AttributeDefinition.Type.CHOICE:
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                self.add_error("choices", _('List the allowed values, e.g. ["gold", "silver"].'))
        elif choices:
            self.add_error("choices", _("Only choice attributes have choices."))
        key, organization = (
            cleaned.get("key"),
            cleaned.get("organization") or getattr(self.instance, "organization", None),
        )
        if key and organization:
            others = AttributeDefinition.objects.filter(organization=organization, key=key).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("key", _("This organization already has an attribute with this key."))
        return cleaned


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(OrganizationScopedAdmin):
    form = AttributeDefinitionForm
    list_display = ["label", "key", "type", "required"]
    list_filter = ["organization", "type"]
    search_fields = ["label", "key"]


class SelectionForm(forms.ModelForm):
    class Meta:
        model = Selection
        fields = ["organization", "name", "description", "definition"]
        help_texts = {
            "definition": _(
                "Add conditions with “+ condition”, or a block of conditions of its own with “+ block”; "
                "the count below follows while you edit."
            )
        }

    def clean(self):
        cleaned = super().clean()
        organization = organization_of_form(self)
        if organization and "definition" in cleaned:
            try:
                validate_definition(organization, cleaned["definition"])
            except ValidationError as exc:
                for message in exc.messages:
                    self.add_error("definition", message)
        return cleaned


@admin.register(Selection)
class SelectionAdmin(OrganizationScopedAdmin):
    form = SelectionForm

    def get_urls(self):
        view = self.admin_site.admin_view(self.count_view)
        return [
            path("count/", view, name="contacts_selection_count"),
            path("<int:object_id>/count/", view, name="contacts_selection_count_of"),
            *super().get_urls(),
        ]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "definition":
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            count_url = (
                reverse("admin:contacts_selection_count_of", args=[object_id])
                if object_id and str(object_id).isdigit()
                else reverse("admin:contacts_selection_count")
            )
            kwargs["widget"] = SelectionBuilderWidget(organization_of(request), count_url=count_url)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def count_view(self, request: HttpRequest, object_id: int | None = None) -> JsonResponse:
        """How many contacts a definition matches, before it is saved: POST
        {"definition": {...}} (a host administrator adding a selection names the
        "organization" too). Another organization's selection is a 404."""
        if request.method != "POST":
            return JsonResponse({"errors": [_("Send the definition with POST.")]}, status=405)
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            payload = json.loads(request.body)
            definition = payload["definition"]
        except (ValueError, TypeError, KeyError):
            return JsonResponse({"errors": [_('Send the definition as JSON: {"definition": {...}}.')]}, status=400)
        if object_id is not None:
            organization = self.get_object(request, str(object_id)).organization
        else:
            organization = organization_of(request) or organization_by_id(payload.get("organization"))
        if organization is None:
            return JsonResponse({"errors": [_("Choose the organization first.")]}, status=400)
        try:
            count = count_matching(organization, definition)
        except ValidationError as exc:
            return JsonResponse({"errors": exc.messages}, status=400)
        return JsonResponse({"count": count})

    list_display = ["name", "description", "updated_at"]
    list_filter = ["organization"]
    search_fields = ["name", "description"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyScopedAdmin):
    list_display = ["at", "contact", "group", "action", "source", "ip_address"]
    list_filter = ["organization", "action", "source"]
    search_fields = ["contact__email"]
    date_hierarchy = "at"


class ImportUploadForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("organization"), queryset=Organization.objects.all(), required=False,
        help_text=_("Host administrators choose the organization the contacts belong to."),
    )  # fmt: skip
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, comma or semicolon separated, first line the column names: email (required), salutation, "
            "first_name, last_name, phone, language, external_ref, tags, groups (names separated by commas) and "
            "attr:<key> for custom attributes. Rows are matched by e-mail: existing contacts are updated."
        ),
    )


@admin.register(ContactImport)
class ContactImportAdmin(OrganizationScopedAdmin):
    list_display = ["file_name", "status", "progress", "created_count", "updated_count", "error_count", "created_at"]
    list_filter = ["organization", "status"]
    fields = [
        "organization", "file_name", "status", "progress", "created_count", "updated_count", "skipped_count",
        "error_count", "failure", "created_by", "created_at", "finished_at", "preview_table", "error_table",
    ]  # fmt: skip
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<int:object_id>/start/",
                self.admin_site.admin_view(self.start_view),
                name="contacts_contactimport_start",
            ),
            *super().get_urls(),
        ]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        organization = organization_of(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if organization is not None:
            del form.fields["organization"]
        if request.method == "POST" and form.is_valid():
            organization = organization or form.cleaned_data.get("organization")
            if organization is None:
                form.add_error("organization", _("Choose the organization the contacts belong to."))
            else:
                upload = form.cleaned_data["file"]
                try:
                    contact_import = imports.create_import(
                        organization=organization, file_name=upload.name, binary=upload.file, user=request.user
                    )
                except imports.ImportFileError as exc:
                    form.add_error("file", str(exc))
                else:
                    return redirect("admin:contacts_contactimport_change", contact_import.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import contacts from CSV"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/contacts/contactimport/upload.html", context, status=400 if form.errors else 200
        )

    def start_view(self, request: HttpRequest, object_id: int):
        contact_import = self.get_object(request, str(object_id))
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        if imports.start_import(contact_import):
            self.message_user(request, _("The import has started."), messages.SUCCESS)
        else:
            self.message_user(request, _("This import has already been started."), messages.WARNING)
        return redirect("admin:contacts_contactimport_change", contact_import.pk)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        contact_import = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_start": contact_import.status == ContactImport.Status.UPLOADED and self.has_add_permission(request),
            "refresh": contact_import.status in {ContactImport.Status.QUEUED, ContactImport.Status.RUNNING},
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("progress"))
    def progress(self, obj: ContactImport) -> str:
        return format_html(
            '<progress max="100" value="{}"></progress> {} / {}',
            obj.progress_percent,
            obj.processed_rows,
            obj.total_rows,
        )

    @admin.display(description=_("preview (first rows, nothing saved yet)"))
    def preview_table(self, obj: ContactImport) -> str:
        if obj.status != ContactImport.Status.UPLOADED:
            return _("The import has started; see the counts and the error report.")
        return _rows_table(obj.preview.get("rows", []), show_action=True)

    @admin.display(description=_("error report"))
    def error_table(self, obj: ContactImport) -> str:
        return _rows_table(obj.errors, show_action=False)


def _rows_table(rows: list[dict], *, show_action: bool) -> str:
    if not rows:
        return "—"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                row["line"],
                row.get("action", "") if show_action else "",
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in row.get("errors", {}).items())
                or row.get("email", ""),
            )
            for row in rows
        ),
    )
    head = format_html(
        "<tr><th>{}</th><th>{}</th><th>{}</th></tr>", _("line"), _("action") if show_action else "", _("details")
    )
    return format_html("<table>{}{}</table>", head, body)


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["organization", "address", "reason", "note"]

    def clean_address(self) -> str:
        return normalize(self.cleaned_data["address"])

    def clean(self):
        cleaned = super().clean()
        organization, address = organization_of_form(self), cleaned.get("address")
        listed = Suppression.objects.filter(organization=organization, address=address).exclude(pk=self.instance.pk)
        if organization is not None and address and listed.exists():
            self.add_error("address", _("This address is on the suppression list already."))
        return cleaned


@admin.register(Suppression)
class SuppressionAdmin(OrganizationScopedAdmin):
    """The addresses no mail goes to. Remove an entry to send to the address again."""

    form = SuppressionForm
    list_display = ["address", "reason", "note", "created_at"]
    list_filter = ["reason", "organization"]
    search_fields = ["address", "note"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # An entry is about one address: to list another, add it.
        return ["address", "created_at"] if obj is not None else ["created_at"]
