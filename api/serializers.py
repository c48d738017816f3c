"""What the API reads and writes. Serializers check shape and values; the writes
themselves go through the services of each app (contacts.services, automations.services)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.filters import MAX_ID
from automations.models import Automation, Event, Run
from contacts.attributes import clean_attributes
from contacts.models import AttributeDefinition, Contact, Group, Membership, Selection, Suppression, Tag, Transaction
from contacts.selectors import email_taken
from contacts.suppression import normalize
from engage.events import EventType, Scope, scopes_of
from notifications import sendout_ab
from notifications.models import OutboundMessage, PreparedMessage, Sendout, TrackingEvent

MAX_BULK = 1000
# Contact events of the catalogue; "automation finished" is the engine's own.
CONTACT_EVENT_TYPES = [
    value
    for value, _label in EventType.choices
    if Scope.CONTACT in scopes_of(value) and value != EventType.AUTOMATION_FINISHED
]


class StrictMixin:
    """Unknown fields are an error, not silently dropped (a typo must not lose data)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class ProblemSerializer(serializers.Serializer):
    """The one error format of the API."""

    type = serializers.CharField(help_text=_("A stable code, e.g. validation_error, not_found, throttled."))
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Messages per field; nested fields are joined with dots (events.3.type)."),
    )


def _organization(serializer) -> object:
    return serializer.context["organization"]


# --- Contacts -------------------------------------------------------------------------
class ContactSerializer(StrictMixin, serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    attributes = serializers.DictField(required=False, help_text=_("Custom attribute values by key (see /attributes)."))
    registered = serializers.BooleanField(
        required=False,
        write_only=True,
        default=False,
        help_text=_(
            "The person signed up themselves (e.g. on your web site): a new contact then also fires "
            "*registered*, as a sign-up in the preference center does. Ignored for an existing contact."
        ),
    )

    class Meta:
        model = Contact
        fields = [
            "id", "email", "salutation", "first_name", "last_name", "phone", "company", "language",
            "external_ref", "attributes", "tags", "created_at", "updated_at", "registered",
        ]  # fmt: skip
        read_only_fields = ["id", "tags", "created_at", "updated_at"]

    def validate_email(self, value: str) -> str:
        instance_pk = self.instance.pk if self.instance else None
        if email_taken(organization=_organization(self), email=value, exclude_pk=instance_pk):
            raise serializers.ValidationError(_("This organization already has a contact with this e-mail address."))
        return value

    def validate_attributes(self, value: dict) -> dict:
        partial = self.partial or self.instance is not None
        try:
            return clean_attributes(_organization(self), value, partial=partial)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None and "attributes" not in attrs:
            try:  # a new contact needs its required attributes
                attrs["attributes"] = self.validate_attributes({})
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"attributes": exc.detail}) from exc
        return attrs


class ContactUpsertSerializer(ContactSerializer):
    """A contact in a bulk upsert: found by e-mail (case-insensitive), created if new."""

    def validate_email(self, value: str) -> str:
        return value

    def validate_attributes(self, value: dict) -> dict:
        try:
            return clean_attributes(_organization(self), value, partial=True)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc


class BulkContactsSerializer(StrictMixin, serializers.Serializer):
    contacts = ContactUpsertSerializer(many=True, allow_empty=False, max_length=MAX_BULK)

    def validate_contacts(self, value: list[dict]) -> list[dict]:
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            email = item["email"].lower()
            if email in seen:
                raise serializers.ValidationError(
                    {index: {"email": [_("Also in item %(index)d of this request.") % {"index": seen[email]}]}}
                )
            seen[email] = index
        return value


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    contacts = ContactSerializer(many=True)


class TagNameSerializer(StrictMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)


class TagSerializer(StrictMixin, serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]

    def validate_name(self, value: str) -> str:
        if Tag.objects.filter(organization=_organization(self), name__iexact=value).exists():
            raise serializers.ValidationError(_("This tag exists already."))
        return value


class TransactionSerializer(StrictMixin, serializers.ModelSerializer):
    data = serializers.DictField(required=False)

    class Meta:
        model = Transaction
        fields = ["id", "contact", "type", "data", "occurred_at", "created_at"]
        read_only_fields = ["id", "contact", "created_at"]


class AttributeDefinitionSerializer(StrictMixin, serializers.ModelSerializer):
    choices = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=500)

    class Meta:
        model = AttributeDefinition
        fields = ["id", "key", "label", "type", "choices", "required"]

    def validate_key(self, value: str) -> str:
        others = AttributeDefinition.objects.filter(organization=_organization(self), key=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(_("This organization already has an attribute with this key."))
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        kind = attrs.get("type", getattr(self.instance, "type", AttributeDefinition.Type.TEXT))
        choices = attrs.get("choices", getattr(self.instance, "choices", []))
        if kind == AttributeDefinition.Type.CHOICE and not choices:
            raise serializers.ValidationError({"choices": [_("A choice attribute needs at least one choice.")]})
        return attrs


# --- Groups ---------------------------------------------------------------------------
class GroupSerializer(StrictMixin, serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name", "description", "is_public", "double_opt_in"]

    def validate_name(self, value: str) -> str:
        others = Group.objects.filter(organization=_organization(self), name__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(_("This organization already has a group with this name."))
        return value


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="contact.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "group", "contact", "email", "state", "reason", "changed_at", "created_at"]
        read_only_fields = fields


class MembershipChangeSerializer(StrictMixin, serializers.Serializer):
    contact = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("Id of a contact of your organization.")
    )
    action = serializers.ChoiceField(
        choices=[
            ("add", _("add as member")),
            ("subscribe", _("subscribe")),
            ("unsubscribe", _("unsubscribe")),
            ("remove", _("remove from the group")),
        ],
        help_text=_("subscribe records consent (and sends the confirmation for double opt-in groups)."),
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- Events ---------------------------------------------------------------------------
_PLAIN_EVENT_KEYS = frozenset({"type", "name", "contact", "payload", "external_id"})
_CONTACT_EVENT_TYPES = frozenset(CONTACT_EVENT_TYPES)


def _plain_text(value: object, max_length: int) -> bool:
    """Text the serializer's CharField would take unchanged."""
    return (
        type(value) is str and len(value) <= max_length and value.isascii() and "\x00" not in value
        and value == value.strip()
    )  # fmt: skip


def plain_event(data: object) -> dict | None:
    """What EventInSerializer makes of an event that is plainly valid, the common case of a
    bulk call (a catalogue type, a contact id, a payload, maybe a name and an external id,
    all as the serializer would keep them), checked without its per-field machinery; None
    for anything else, which the serializer then checks and words the errors of."""
    if type(data) is not dict or not data.keys() <= _PLAIN_EVENT_KEYS:
        return None
    kind, name, contact = data.get("type"), data.get("name", ""), data.get("contact")
    payload = data.get("payload", {})
    if type(kind) is not str or kind not in _CONTACT_EVENT_TYPES or not _plain_text(name, 100):
        return None
    if (kind == EventType.CUSTOM) != bool(name) or type(contact) is not int or not 1 <= contact <= MAX_ID:
        return None
    if type(payload) is not dict:
        return None
    event = {"type": kind, "name": name, "contact": contact, "payload": payload}
    if "external_id" in data:
        if not _plain_text(data["external_id"], 255) or not data["external_id"]:
            return None
        event["external_id"] = data["external_id"]
    return event


class EventListSerializer(serializers.ListSerializer):
    def run_child_validation(self, data):
        event = plain_event(data)
        return event if event is not None else super().run_child_validation(data)


class EventInSerializer(StrictMixin, serializers.Serializer):
    type = serializers.ChoiceField(
        choices=CONTACT_EVENT_TYPES, help_text=_("An event of the catalogue (contact scope).")
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    contact = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text=_("The contact's id …"))
    email = serializers.EmailField(required=False, help_text=_("… or the contact's e-mail address."))
    payload = serializers.DictField(required=False, default=dict)
    external_id = serializers.CharField(
        max_length=255, required=False, help_text=_("Your id of the event: sent again, it is recorded once.")
    )
    occurred_at = serializers.DateTimeField(required=False)

    class Meta:
        list_serializer_class = EventListSerializer

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("contact" in attrs) == ("email" in attrs):
            raise serializers.ValidationError({"contact": [_("Give either contact (an id) or email, not both.")]})
        if attrs["type"] == EventType.CUSTOM and not attrs.get("name"):
            raise serializers.ValidationError({"name": [_("A custom event needs a name.")]})
        if attrs["type"] != EventType.CUSTOM and attrs.get("name"):
            raise serializers.ValidationError({"name": [_("Only custom events have a name.")]})
        return attrs


class BulkEventsSerializer(StrictMixin, serializers.Serializer):
    events = EventInSerializer(many=True, allow_empty=False, max_length=MAX_BULK)


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "type", "name", "contact", "payload", "source", "external_id", "occurred_at", "created_at"]
        read_only_fields = fields


class EventResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created = serializers.BooleanField(help_text=_("False: an event with this external_id was recorded before."))


class BulkEventsResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    events = EventResultSerializer(many=True)


# --- Automations, runs, messages (read only) -------------------------------------------
class AutomationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Automation
        fields = [
            "id", "name", "description", "event_type", "event_name", "job_type", "is_active",
            "starts_on", "ends_on", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = [
            "id", "automation", "event", "contact", "status", "due_at", "attempts", "error", "output",
            "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class TrackingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["event_type", "esp", "url", "description", "occurred_at"]
        read_only_fields = fields


class OutboundMessageSerializer(serializers.ModelSerializer):
    conversation_id = serializers.UUIDField(source="conversation.uuid", read_only=True, allow_null=True)
    tracking = TrackingEventSerializer(
        source="tracking_events", many=True, read_only=True, help_text=_("What the provider reported, newest first.")
    )

    class Meta:
        model = OutboundMessage
        fields = [
            "id", "contact", "run", "conversation_id", "from_email", "recipient", "subject", "status", "message_id",
            "attempts", "error", "created_at", "sent_at", "tracking",
        ]  # fmt: skip
        read_only_fields = fields


class SuppressionSerializer(StrictMixin, serializers.ModelSerializer):
    reason = serializers.ChoiceField(
        choices=Suppression.Reason.choices,
        default=Suppression.Reason.MANUAL,
        help_text=_(
            "Why no mail goes to the address. On POST: manual (the default), hard_bounce or complaint, e.g. "
            "when bringing over another provider's list; unsubscribe is not accepted, since unsubscribing is "
            "recorded with its consent through a group's memberships."
        ),
    )

    class Meta:
        model = Suppression
        fields = ["id", "address", "reason", "note", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"note": {"max_length": 1000}}

    def validate_reason(self, value: str) -> str:
        if value == Suppression.Reason.UNSUBSCRIBE:
            raise serializers.ValidationError(
                _("Unsubscribe a contact through its group memberships (action unsubscribe), which records it.")
            )
        return value

    def validate_address(self, value: str) -> str:
        address = normalize(value)
        if Suppression.objects.filter(organization=_organization(self), address=address).exists():
            raise serializers.ValidationError(_("This address is on the suppression list already."))
        return address


# --- Group sendouts ---------------------------------------------------------------------


class OwnRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of one of the caller's organization's objects; another's is "does not exist"."""

    def get_queryset(self):
        return super().get_queryset().filter(organization=self.context.get("organization"))


class SendoutSerializer(StrictMixin, serializers.ModelSerializer):
    message = OwnRelatedField(queryset=PreparedMessage.objects.all(), help_text=_("Id of a prepared message."))
    groups = OwnRelatedField(many=True, queryset=Group.objects.all(), help_text=_("Ids of one or more groups."))
    selection = OwnRelatedField(
        queryset=Selection.objects.all(), required=False, allow_null=True,
        help_text=_("Optional: only group members this selection matches when the sendout starts."),
    )  # fmt: skip

    class Meta:
        model = Sendout
        fields = [
            "id", "name", "message", "groups", "selection", "from_email", "from_name", "status", "scheduled_at",
            "time_zone", "recipient_count", "created_at", "started_at", "finished_at",
            "ab_test", "ab_subject", "ab_share", "ab_wait_minutes", "ab_rule", "ab_decide_at", "ab_winner",
        ]  # fmt: skip
        read_only_fields = [
            "status", "scheduled_at", "time_zone", "recipient_count", "created_at", "started_at", "finished_at",
            "ab_decide_at", "ab_winner",
        ]  # fmt: skip

    def validate_groups(self, value):
        if not value:
            raise serializers.ValidationError(_("Choose at least one group."))
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        found = sendout_ab.errors(
            ab_test=attrs.get("ab_test", False), ab_subject=attrs.get("ab_subject", ""),
            ab_share=attrs.get("ab_share"), ab_wait_minutes=attrs.get("ab_wait_minutes"),
        )  # fmt: skip
        if found:
            raise serializers.ValidationError({field: [error] for field, error in found.items()})
        return attrs


class ScheduleSerializer(StrictMixin, serializers.Serializer):
    date = serializers.DateField()
    time = serializers.TimeField()
    time_zone = serializers.CharField(help_text=_("An IANA time zone, e.g. Europe/Berlin."))

    def validate_time_zone(self, value: str) -> str:
        import zoneinfo

        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(_("Unknown time zone."))
        return value


class SendoutReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    progress = serializers.DictField()
    clicks_per_link = serializers.ListField(child=serializers.DictField())
    failures = serializers.ListField(child=serializers.DictField())
    timeline = serializers.ListField(child=serializers.DictField())
    ab_test = serializers.DictField(
        allow_null=True,
        help_text=_(
            "The A/B subject test, or null: rule, share, wait_minutes, decide_at, winner (a, b or null), "
            "variants (variant, label, subject, recipients, opened, clicked, won) and rest."
        ),
    )
