"""Tenant isolation in the admin.

A host administrator (superuser) sees every organization. Every other system user sees
and edits only the objects of their own organization: querysets and foreign-key choices
are filtered, the organization is set on save, and another organization's object is a 404.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpRequest
from unfold.admin import ModelAdmin, StackedInline, TabularInline
from unfold.views import ChangeList as UnfoldChangeList

from contacts.models import Organization, User


def organization_of(request: HttpRequest) -> Organization | None:
    user = request.user
    if not user.is_authenticated or user.is_superuser:
        return None
    return user.organization


def organization_of_form(form) -> Organization | None:
    """The organization an admin form's object belongs to: chosen in the form by a host
    administrator, or set on the instance for everybody else (see get_form below)."""
    chosen = getattr(form, "cleaned_data", {}).get("organization")
    return chosen or getattr(form.instance, "organization", None)


def is_host_admin(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def is_member(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or user.organization_id is not None)


def is_organization_admin(request: HttpRequest) -> bool:
    return is_host_admin(request) or (is_member(request) and request.user.role == User.Role.ADMIN)


def _scope_queryset(queryset, model, organization: Organization):
    if model is Organization:
        return queryset.filter(pk=organization.pk)
    if _has_organization(model):
        return queryset.filter(organization=organization)
    return queryset


def _has_organization(model) -> bool:
    return any(field.name == "organization" for field in model._meta.fields)


def _is_relation(model, name) -> bool:
    if not isinstance(name, str) or "__" in name:
        return False
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(field.is_relation and field.related_model and _has_organization(field.related_model))


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The related objects a list can be filtered by, of the user's organization only."""

    def field_choices(self, field, request: HttpRequest, model_admin):
        organization = organization_of(request)
        ordering = self.field_admin_ordering(field, request, model_admin)
        limit = {"organization": organization} if organization is not None else None
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=limit)


class ChangeList(UnfoldChangeList):
    """Refuses a date drill-down to a year the database cannot store in UTC (the admin's
    "invalid lookup" page instead of a crash)."""

    def get_filters(self, request: HttpRequest):
        if self.date_hierarchy:
            year = request.GET.get(f"{self.date_hierarchy}__year", "2000")
            if not year.isdigit() or not 2 <= int(year) <= 9998:
                raise IncorrectLookupParameters(f"No dates in the year {year}.")
        return super().get_filters(request)


class OrganizationScopedAdmin(ModelAdmin):
    """Base for every admin of an organization-owned model (on the admin theme's ModelAdmin)."""

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ChangeList

    # Who may write: every member (admins and marketers), or only organization admins.
    admins_only: bool = False

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        organization = organization_of(request)
        if organization is None:
            return queryset if is_host_admin(request) else queryset.none()
        return _scope_queryset(queryset, self.model, organization)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Another organization's object does not exist for this user.
            raise Http404("No such object.")
        return obj

    def get_exclude(self, request: HttpRequest, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not is_host_admin(request):
            exclude.append("organization")
        return exclude

    def get_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_fields(request, obj))
        if not is_host_admin(request) and "organization" in fields:
            fields.remove("organization")
        return fields

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if is_host_admin(request):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "organization"]})
            for name, options in fieldsets
        ]

    def get_list_filter(self, request: HttpRequest):
        filters = list(super().get_list_filter(request))
        if is_host_admin(request):
            return filters
        if "organization" in filters:
            filters.remove("organization")
        # A filter on a relation lists the related objects: only the organization's own.
        return [(f, ScopedRelatedFieldListFilter) if _is_relation(self.model, f) else f for f in filters]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        organization = organization_of(request)
        if organization is None:
            return form

        class ScopedForm(form):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                # Set before validation, so that model.clean() and unique checks see it.
                if _has_organization(type(self.instance)) and self.instance.organization_id is None:
                    self.instance.organization = organization

            def _get_validation_exclusions(self):
                # The organization is no form field here, but "unique per organization"
                # must be checked (as a form error, not an IntegrityError on save).
                exclusions = super()._get_validation_exclusions()
                exclusions.discard("organization")
                return exclusions

        ScopedForm.__name__ = form.__name__
        return ScopedForm

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        organization = organization_of(request)
        if organization is not None:
            related = db_field.related_model
            kwargs["queryset"] = _scope_queryset(
                kwargs.get("queryset", related._default_manager.all()), related, organization
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        organization = organization_of(request)
        if organization is not None:
            related = db_field.related_model
            kwargs["queryset"] = _scope_queryset(
                kwargs.get("queryset", related._default_manager.all()), related, organization
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def scope_object(self, request: HttpRequest, obj) -> None:
        """Put the object into the user's organization (a host administrator chose it in the
        form). An admin that saves through a service calls this before the service."""
        organization = organization_of(request)
        if organization is not None and _has_organization(type(obj)):
            obj.organization = organization

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        self.scope_object(request, obj)
        super().save_model(request, obj, form, change)

    # Permissions follow the role, not Django's per-model permission table.
    def _may_manage(self, request: HttpRequest) -> bool:
        return is_organization_admin(request) if self.admins_only else is_member(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_manage(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_manage(request)


class ReadOnlyScopedAdmin(OrganizationScopedAdmin):
    """For records the system writes (events, runs, messages): visible, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_host_admin(request)


class ScopedInlineMixin:
    """Inlines follow the role too (Django would ask its per-model permission table, which
    organization users do not use): members may view, add, change and delete."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_member(request)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_member(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_member(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_member(request)


class ScopedTabularInline(ScopedInlineMixin, TabularInline):
    """The base of every editable inline shown as a table."""


class ScopedStackedInline(ScopedInlineMixin, StackedInline):
    """The base of every editable inline shown as stacked forms."""


class ReadOnlyInline(TabularInline):
    """Records the system wrote, shown on their parent's page: members look, nobody edits."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_member(request)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
