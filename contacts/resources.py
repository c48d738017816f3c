"""CSV columns of contacts (django-import-export), for export and for the streaming import.

Columns: email (the key: rows upsert by e-mail, case-insensitive), salutation, first_name,
last_name, phone, language, external_ref, tags and groups (names separated by commas;
listed tags and group memberships are added, none removed), and one `attr:<key>` column
per custom attribute, validated against its definition.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from import_export import fields, resources

from contacts.attributes import clean_attributes, definitions_of
from contacts.models import Contact, Group, Membership, Organization, Tag

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
            "company",
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
        self.definitions = definitions_of(organization)
        self.attribute_keys = sorted(self.definitions)
        for key in self.attribute_keys:
            self.fields[f"{ATTRIBUTE_PREFIX}{key}"] = fields.Field(
                attribute=f"attributes__{key}", column_name=f"{ATTRIBUTE_PREFIX}{key}", readonly=True
            )
        self.groups_by_name = {g.name.lower(): g for g in Group.objects.filter(organization=organization)}
        self.tags_by_name = {t.name.lower(): t for t in Tag.objects.filter(organization=organization)}
        self.existing: dict[str, Contact] = {}

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
    def before_import(self, dataset, **kwargs) -> None:
        """Look up the batch's existing contacts in one query instead of one per row."""
        emails = {(email or "").strip().lower() for email in dataset["email"]} if dataset.height else set()
        candidates = Contact.objects.filter(organization=self.organization).annotate(email_lower=Lower("email"))
        self.existing = {c.email_lower: c for c in candidates.filter(email_lower__in=emails)}

    def get_instance(self, instance_loader, row):
        return self.existing.get((row.get("email") or "").strip().lower())

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Field validation only: the e-mail's uniqueness is settled by `existing`, which
        also holds the contacts created earlier in this batch, without a query per row."""
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=errors.keys(), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def init_instance(self, row=None):
        return Contact(organization=self.organization)

    def import_instance(self, instance: Contact, row, **kwargs) -> None:
        super().import_instance(instance, row, **kwargs)
        raw = {key[len(ATTRIBUTE_PREFIX) :]: value for key, value in row.items() if key.startswith(ATTRIBUTE_PREFIX)}
        errors: dict[str, list[str]] = {}
        try:
            values = clean_attributes(self.organization, raw, partial=True, definitions=self.definitions)
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

    def _tag(self, name: str) -> Tag:
        tag = self.tags_by_name.get(name.lower())
        if tag is None:
            tag = self.tags_by_name[name.lower()] = Tag.objects.create(organization=self.organization, name=name)
        return tag

    def after_save_instance(self, instance: Contact, row, **kwargs) -> None:
        self.existing[instance.email.lower()] = instance
        if kwargs.get("dry_run"):
            return
        tags = [self._tag(name) for name in split_names(row.get("tags"))]
        Contact.tags.through.objects.bulk_create(
            [Contact.tags.through(contact_id=instance.pk, tag_id=tag.pk) for tag in tags], ignore_conflicts=True
        )
        # An existing membership keeps its state (ignore_conflicts): an import never undoes an opt-out.
        Membership.objects.bulk_create(
            [
                Membership(contact=instance, group=self.groups_by_name[name.lower()], state=Membership.State.MEMBER)
                for name in split_names(row.get("groups"))
            ],
            ignore_conflicts=True,
        )
