"""A contact's activities of contact-planning types: recording one starts the type's
ActiveCampaign automation (asynchronously; the activity shows its sync state)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from api.filters import id_or_404
from api.serializers import StrictMixin
from api.views.base import ApiViewSet
from contacts.models import Contact
from integrations.activecampaign import services
from integrations.activecampaign.models import Activity, PlanningType


class ActivitySerializer(StrictMixin, serializers.ModelSerializer):
    planning_type = serializers.SlugRelatedField(slug_field="name", queryset=PlanningType.objects.none())

    class Meta:
        model = Activity
        fields = ["id", "contact", "planning_type", "status", "remote_id", "error", "created_at", "synced_at"]
        read_only_fields = ["id", "contact", "status", "remote_id", "error", "created_at", "synced_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization = self.context.get("organization")
        self.fields["planning_type"].queryset = PlanningType.objects.filter(organization=organization)


@extend_schema_view(
    list=extend_schema(summary="List a contact's activities", tags=["contacts"]),
    create=extend_schema(summary="Record an activity (starts its ActiveCampaign automation)", tags=["contacts"]),
)
class ActivityViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = ActivitySerializer
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def contact(self) -> Contact:
        return get_object_or_404(Contact, organization=self.organization, pk=id_or_404(self.kwargs["contact_pk"]))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        return Activity.objects.filter(organization=self.organization, contact=self.contact())

    def perform_create(self, serializer) -> None:
        serializer.instance = services.record_activity(
            contact=self.contact(), planning_type=serializer.validated_data["planning_type"], source="api"
        )
