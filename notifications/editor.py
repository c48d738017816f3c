"""The prepared-message editor's help: the placeholders a marketer can insert, and the
live preview of a language variant that is not saved yet."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from contacts.models import AttributeDefinition, Contact, Organization
from notifications.models import PreparedMessage, PreparedMessageVariant
from notifications.prepared import PreparedMail, check_variant, render_variant

# The contact fields dynamic text can use (engage.lib.dynamic.template_data).
CONTACT_FIELDS = ["salutation", "first_name", "last_name", "email", "phone", "language", "external_ref"]
DRAFT_FIELDS = ["subject", "preheader", "html_body", "text_body"]


def placeholders(organization: Organization | None) -> list[dict]:
    """The picker's groups: each a label and its (label, placeholder) options."""
    contact = [
        (str(capfirst(Contact._meta.get_field(name).verbose_name)), f"{{{{ contact.{name} }}}}")
        for name in CONTACT_FIELDS
    ]
    groups = [{"label": _("Contact"), "options": contact}]
    definitions = AttributeDefinition.objects.filter(organization=organization) if organization else []
    attributes = [(d.label, f"{{{{ contact.attributes.{d.key} }}}}") for d in definitions]
    if attributes:
        groups.append({"label": str(capfirst(AttributeDefinition._meta.verbose_name_plural)), "options": attributes})
    groups.append(
        {
            "label": _("Event"),
            "options": [
                (_("event name"), "{{ event.name }}"),
                (_("event type"), "{{ event.type }}"),
                (_("event data (payload)"), "{{ event.payload }}"),
                (_("event source"), "{{ event.source }}"),
            ],
        }
    )
    groups.append(
        {
            "label": _("Other"),
            "options": [
                (_("organization name"), "{{ organization.name }}"),
                (_("unsubscribe link"), "{{ unsubscribe_url }}"),
                (_("latest transaction's type"), "{{ transactions.0.type }}"),
            ],
        }
    )
    return groups


def render_draft(message: PreparedMessage, variant: PreparedMessageVariant, *, contact: Contact | None) -> PreparedMail:
    """The variant as `contact` would receive it, as typed. Raises ValidationError naming
    each field whose dynamic text is broken."""
    check_variant(variant)
    try:
        return render_variant(message, variant, contact=contact)
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise ValidationError({"html_body": [_("Invalid dynamic text: %(error)s") % {"error": exc}]}) from exc
