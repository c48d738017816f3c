from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from automations.models import Automation, Event, Run
from contacts.models import Contact
from notifications.models import OutboundMessage


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 time in UTC: PostgreSQL refuses odd offsets like +18:35, which are
    valid ISO 8601 and would otherwise reach the database."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(_("Enter a date and time between the years 1 and 9999."), "invalid") from exc


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


MAX_ID = 2**63 - 1  # the largest value of a BigAutoField; larger numbers overflow the database driver


def id_or_404(value) -> int:
    """A path id as a number, or 404 when it is none the database can hold."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise Http404
    return int(text)


class IdField(forms.IntegerField):
    """A whole number from 1 to MAX_ID: 1e20 or 99999999999999999999 is an input error
    (400), not a number the database driver cannot bind."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class ContactFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="iexact", distinct=True)
    language = django_filters.ChoiceFilter(choices=Contact.Language.choices)
    external_ref = django_filters.CharFilter()
    updated_since = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Contact
        fields = ["email", "tag", "language", "external_ref", "updated_since"]


class AutomationFilter(django_filters.FilterSet):
    class Meta:
        model = Automation
        fields = ["is_active", "event_type"]


class RunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Run.Status.choices)
    automation = IdFilter(field_name="automation_id")
    contact = IdFilter(field_name="contact_id")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Run
        fields = ["status", "automation", "contact", "created_after", "created_before"]


class OutboundMessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboundMessage.Status.choices)
    contact = IdFilter(field_name="contact_id")
    recipient = django_filters.CharFilter(lookup_expr="iexact")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = OutboundMessage
        fields = ["status", "contact", "recipient", "created_after", "created_before"]


class EventFilter(django_filters.FilterSet):
    # By id, not a choice of every contact: another organization's id is no error, only no match.
    contact = IdFilter(field_name="contact_id")

    class Meta:
        model = Event
        fields = ["type", "contact", "external_id"]
