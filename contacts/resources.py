"""CSV columns of contacts (django-import-export), for export and for the streaming import.

Columns: email (the key: rows upsert by e-mail, case-insensitive), salutation, first_name,
last_name, phone, language, external_ref, tags and groups (names separated by commas;
listed tags and group memberships are added, none removed), and one `attr:<key>` column
per custom attribute, validated against its definition.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields, resources

from contacts.attributes import clean_attributes
from contacts.models import AttributeDefinition, Contact, Group, Membership, Organization, Tag

ATTRIBUTE_PREFIX = "attr:"


def split_names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


class ContactResource(resources.ModelResource):
    tags = fields.Field(column_name="tags", readonly=True)
    groups = fields.Field(column_name="groups", readonly=True)

    class Meta:
        model = Contact
        fields = [
            "email",
            "salutation",
            "first_name",
            "last_name",
            "phone",
            "language",
            "external_ref",
            "tags",
            "groups",
        ]
        import_id_fields = ["email"]
        skip_unchanged = True
        report_skipped = False
        clean_model_instances = True

    def __init__(self, organization: Organization | None, **kwargs):
        super().__init__(**kwargs)
        self.organization = organization
        self.attribute_keys = list(
            AttributeDefinition.objects.filter(organization=organization).order_by("key").values_list("key", flat=True)
        )
        for key in self.attribute_keys:
            self.fields[f"{ATTRIBUTE_PREFIX}{key}"] = fields.Field(
                attribute=f"attributes__{key}", column_name=f"{ATTRIBUTE_PREFIX}{key}", readonly=True
            )
        self.groups_by_name = {g.name.lower(): g for g in Group.objects.filter(organization=organization)}

    @classmethod
    def for_organization(cls, organization: Organization | None) -> type[ContactResource]:
        """A resource class bound to one organization, for code that instantiates resource
        classes without arguments (django-import-export's admin export form)."""

        def __init__(self, **kwargs):
            cls.__init__(self, organization, **kwargs)

        return type(cls.__name__, (cls,), {"__init__": __init__})

    # --- export --------------------------------------------------------------------------
    def get_queryset(self):
        return Contact.objects.filter(organization=self.organization).prefetch_related("tags")

    def dehydrate_tags(self, contact: Contact) -> str:
        return ", ".join(sorted(tag.name for tag in contact.tags.all()))

    def dehydrate_groups(self, contact: Contact) -> str:
        memberships = contact.memberships.filter(state__in=Membership.RECEIVING).select_related("group")
        return ", ".join(sorted(m.group.name for m in memberships))

    # --- import --------------------------------------------------------------------------
    def get_instance(self, instance_loader, row):
        email = (row.get("email") or "").strip()
        return Contact.objects.filter(organization=self.organization, email__iexact=email).first()

    def init_instance(self, row=None):
        return Contact(organization=self.organization)

    def import_instance(self, instance: Contact, row, **kwargs) -> None:
        super().import_instance(instance, row, **kwargs)
        raw = {key[len(ATTRIBUTE_PREFIX) :]: value for key, value in row.items() if key.startswith(ATTRIBUTE_PREFIX)}
        errors: dict[str, list[str]] = {}
        try:
            values = clean_attributes(self.organization, raw, partial=True)
        except ValidationError as exc:
            errors.update({f"{ATTRIBUTE_PREFIX}{k}": v for k, v in exc.message_dict.items()})
            values = {}
        unknown = [name for name in split_names(row.get("groups")) if name.lower() not in self.groups_by_name]
        if unknown:
            errors["groups"] = [f"Unknown group: {', '.join(unknown)}"]
        if errors:
            raise ValidationError(errors)
        instance.attributes = {**(instance.attributes or {}), **{k: v for k, v in values.items() if v is not None}}
        instance.email = instance.email.strip()

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if split_names(row.get("tags")) or split_names(row.get("groups")):
            return False  # memberships and tags are not compared by skip_unchanged
        return super().skip_row(instance, original, row, import_validation_errors)

    def after_save_instance(self, instance: Contact, row, **kwargs) -> None:
        if kwargs.get("dry_run"):
            return
        for name in split_names(row.get("tags")):
            tag, _ = Tag.objects.get_or_create(organization=self.organization, name=name)
            instance.tags.add(tag)
        for name in split_names(row.get("groups")):
            # An existing membership keeps its state: an import never undoes an opt-out.
            Membership.objects.get_or_create(
                contact=instance, group=self.groups_by_name[name.lower()], defaults={"state": Membership.State.MEMBER}
            )
