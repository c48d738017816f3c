"""CSV columns of contacts (django-import-export) for the export: the same columns the
import reads (see contacts.import_rows), so an exported file can be imported again."""

from __future__ import annotations

from import_export import fields, resources

from contacts.attributes import definitions_of
from contacts.import_rows import ATTRIBUTE_PREFIX
from contacts.models import Contact, Membership, Organization


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

    def __init__(self, organization: Organization | None, **kwargs):
        super().__init__(**kwargs)
        self.organization = organization
        self.definitions = definitions_of(organization)
        self.attribute_keys = sorted(self.definitions)
        for key in self.attribute_keys:
            self.fields[f"{ATTRIBUTE_PREFIX}{key}"] = fields.Field(
                attribute=f"attributes__{key}", column_name=f"{ATTRIBUTE_PREFIX}{key}", readonly=True
            )

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
