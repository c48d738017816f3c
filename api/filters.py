from __future__ import annotations

import django_filters

from automations.models import Automation, Run
from contacts.models import Contact
from notifications.models import OutboundMessage


class ContactFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="iexact", distinct=True)
    language = django_filters.ChoiceFilter(choices=Contact.Language.choices)
    external_ref = django_filters.CharFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Contact
        fields = ["email", "tag", "language", "external_ref", "updated_since"]


class AutomationFilter(django_filters.FilterSet):
    class Meta:
        model = Automation
        fields = ["is_active", "event_type"]


class RunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Run.Status.choices)
    automation = django_filters.NumberFilter(field_name="automation_id")
    contact = django_filters.NumberFilter(field_name="contact_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Run
        fields = ["status", "automation", "contact", "created_after", "created_before"]


class OutboundMessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboundMessage.Status.choices)
    contact = django_filters.NumberFilter(field_name="contact_id")
    recipient = django_filters.CharFilter(lookup_expr="iexact")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = OutboundMessage
        fields = ["status", "contact", "recipient", "created_after", "created_before"]
