from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from automations.services import fire_manual_event
from contacts import services
from contacts.models import Contact, Organization, User
from contacts.selectors import email_taken
from contacts.tenancy import OrganizationScopedAdmin, is_host_admin, is_organization_admin


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [] if is_host_admin(request) else ["slug"]

    def get_prepopulated_fields(self, request: HttpRequest, obj=None):
        return self.prepopulated_fields if is_host_admin(request) else {}

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
        if isinstance(obj, Contact):
            fire_manual_event(organization=obj.organization, contact=obj)
        else:
            fire_manual_event(organization=obj.organization, user=obj)
        count += 1
    modeladmin.message_user(
        request,
        ngettext("Fired the manual event for %d item.", "Fired the manual event for %d items.", count) % count,
        messages.SUCCESS,
    )


class SystemUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "email", "role", "organization"]


@admin.register(User)
class UserAdmin(OrganizationScopedAdmin, DjangoUserAdmin):
    admins_only = True
    add_form = SystemUserCreationForm
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
        if not obj.is_superuser:
            obj.is_staff = True  # every system user of an organization works in the admin
        super().save_model(request, obj, form, change)
        if not change:
            services.system_user_created(obj)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["organization", "email", "first_name", "last_name", "language", "attributes"]

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        if email and organization and email_taken(organization=organization, email=email, exclude_pk=self.instance.pk):
            self.add_error("email", _("This organization already has a contact with this e-mail address."))
        return cleaned


@admin.register(Contact)
class ContactAdmin(OrganizationScopedAdmin):
    form = ContactForm
    list_display = ["email", "first_name", "last_name", "language", "has_password", "created_at"]
    list_filter = ["organization", "language"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["has_password", "created_at", "updated_at"]
    actions = [fire_manual_events]

    @admin.display(boolean=True, description=_("password set"))
    def has_password(self, obj: Contact) -> bool:
        return bool(obj.password)

    def save_model(self, request: HttpRequest, obj: Contact, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.contact_created(obj)
