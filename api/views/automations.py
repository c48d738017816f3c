from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from api.filters import AutomationFilter, OutboundMessageFilter, RunFilter
from api.serializers import AutomationSerializer, OutboundMessageSerializer, RunSerializer, SuppressionSerializer
from api.views.base import ApiReadOnlyViewSet, ApiViewSet
from automations.models import Automation, Run
from contacts.models import Suppression
from contacts.suppression import suppress, unsuppress
from notifications.models import OutboundMessage


@extend_schema_view(
    list=extend_schema(summary="List automations", tags=["automations"]),
    retrieve=extend_schema(summary="Get an automation", tags=["automations"]),
)
class AutomationViewSet(ApiReadOnlyViewSet):
    serializer_class = AutomationSerializer
    filterset_class = AutomationFilter
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return Automation.objects.filter(organization=self.organization)


@extend_schema_view(
    list=extend_schema(summary="List runs (filter by status, automation, contact, creation time)", tags=["runs"]),
    retrieve=extend_schema(summary="Get a run", tags=["runs"]),
)
class RunViewSet(ApiReadOnlyViewSet):
    serializer_class = RunSerializer
    filterset_class = RunFilter
    ordering_fields = ["created_at", "due_at", "finished_at", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        return Run.objects.filter(organization=self.organization)


@extend_schema_view(
    list=extend_schema(summary="List outbound messages and their status", tags=["messages"]),
    retrieve=extend_schema(summary="Get an outbound message", tags=["messages"]),
)
class OutboundMessageViewSet(ApiReadOnlyViewSet):
    serializer_class = OutboundMessageSerializer
    filterset_class = OutboundMessageFilter
    ordering_fields = ["created_at", "sent_at", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        return (
            OutboundMessage.objects.filter(organization=self.organization)
            .select_related("conversation")
            .prefetch_related("tracking_events")
        )


@extend_schema_view(
    list=extend_schema(summary="List the suppression list (addresses no mail goes to)", tags=["suppressions"]),
    retrieve=extend_schema(summary="Get a suppressed address", tags=["suppressions"]),
    create=extend_schema(
        summary="Suppress an address (reason: manual, hard_bounce or complaint)", tags=["suppressions"]
    ),
    destroy=extend_schema(summary="Send to an address again", tags=["suppressions"]),
)
class SuppressionViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    serializer_class = SuppressionSerializer
    filterset_fields = ["reason", "address"]
    ordering_fields = ["created_at", "address", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        return Suppression.objects.filter(organization=self.organization)

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = suppress(
            organization=self.organization, address=data["address"],
            reason=data.get("reason", Suppression.Reason.MANUAL), note=data.get("note", ""),
        )  # fmt: skip

    def perform_destroy(self, instance: Suppression) -> None:
        unsuppress(organization=self.organization, address=instance.address)
