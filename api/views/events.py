from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api import services
from api.filters import EventFilter
from api.serializers import (
    BulkEventsResultSerializer,
    BulkEventsSerializer,
    EventInSerializer,
    EventResultSerializer,
    EventSerializer,
)
from api.views.base import ApiViewSet
from automations.models import Event

EVENT_EXAMPLE = OpenApiExample(
    "A custom event",
    value={
        "type": "custom",
        "name": "order_shipped",
        "email": "jana.mueller@example.de",
        "payload": {"order": "4711"},
        "external_id": "shop-4711-shipped",
        "occurred_at": "2026-11-27T09:20:11Z",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List events recorded through the API and elsewhere", tags=["events"]),
    retrieve=extend_schema(summary="Get an event", tags=["events"]),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = EventSerializer
    ordering_fields = ["occurred_at", "id"]
    ordering = ["-id"]
    filterset_class = EventFilter

    def get_queryset(self):
        return Event.objects.filter(organization=self.organization)

    @extend_schema(
        summary="Record an event of a contact",
        tags=["events"],
        request=EventInSerializer,
        responses={201: EventResultSerializer, 200: EventResultSerializer},
        description="201 for a new event; 200 with `created: false` when an event with this `external_id` "
        "was recorded before (nothing runs again). An unknown contact is a 404.",
        examples=[EVENT_EXAMPLE],
    )
    def create(self, request):
        serializer = EventInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            [(event, created)] = services.ingest_events(
                organization=self.organization, items=[serializer.validated_data]
            )
        except services.UnknownContacts as exc:
            raise exceptions.NotFound({"contact": ["No such contact."]}) from exc
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response({"id": event.pk, "created": created}, status=code)

    @extend_schema(
        summary="Record up to 1,000 events",
        tags=["events"],
        request=BulkEventsSerializer,
        responses={200: BulkEventsResultSerializer},
        description="All or nothing: one invalid event (400) or unknown contact (404) and none is recorded; "
        "`errors` names it (`events.3.type`).",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        serializer = BulkEventsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            results = services.ingest_events(organization=self.organization, items=serializer.validated_data["events"])
        except services.UnknownContacts as exc:
            errors = {f"events.{index}.contact": [message] for index, message in exc.errors.items()}
            raise exceptions.NotFound(errors) from exc
        created = sum(1 for _event, new in results if new)
        body = {
            "created": created,
            "duplicates": len(results) - created,
            "events": [{"id": event.pk, "created": new} for event, new in results],
        }
        return Response(body)
