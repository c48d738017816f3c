from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from api.filters import AutomationFilter, OutboundMessageFilter, RunFilter
from api.serializers import AutomationSerializer, OutboundMessageSerializer, RunSerializer
from api.views.base import ApiReadOnlyViewSet
from automations.models import Automation, Run
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
        return OutboundMessage.objects.filter(organization=self.organization)
