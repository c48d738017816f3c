from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.serializers import ScheduleSerializer, SendoutReportSerializer, SendoutSerializer
from api.views.base import ApiViewSet
from notifications import sendouts
from notifications.models import Sendout
from notifications.reports import sendout_report

AB_FIELDS = ("ab_test", "ab_subject", "ab_share", "ab_wait_minutes", "ab_rule")


@extend_schema_view(
    list=extend_schema(summary="List group sendouts", tags=["sendouts"]),
    retrieve=extend_schema(summary="Get a group sendout", tags=["sendouts"]),
    create=extend_schema(summary="Prepare a group sendout (a draft; start or schedule it next)", tags=["sendouts"]),
)
class SendoutViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = SendoutSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "started_at", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        return Sendout.objects.filter(organization=self.organization).prefetch_related("groups")

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = sendouts.create_sendout(
            organization=self.organization, name=data["name"], message=data["message"], groups=data["groups"],
            selection=data.get("selection"), from_email=data.get("from_email", ""),
            from_name=data.get("from_name", ""),
            **{field: data[field] for field in AB_FIELDS if field in data},
        )  # fmt: skip

    def _change(self, service) -> Response:
        sendout = self.get_object()
        if not service(sendout=sendout):
            raise serializers.ValidationError(
                {
                    "status": [
                        _("Not possible while the sendout is %(status)s.") % {"status": sendout.get_status_display()}
                    ]
                }
            )
        sendout.refresh_from_db()
        return Response(SendoutSerializer(sendout, context=self.get_serializer_context()).data)

    @extend_schema(summary="Send a draft or scheduled sendout now", request=None, tags=["sendouts"])
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None) -> Response:
        return self._change(sendouts.start_sendout)

    @extend_schema(
        summary="Schedule a sendout at a date and time of a time zone", request=ScheduleSerializer, tags=["sendouts"]
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None) -> Response:
        form = ScheduleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        moment = sendouts.local_moment(data["date"], data["time"], data["time_zone"])
        if moment <= timezone.now():
            raise serializers.ValidationError({"date": [_("Choose a moment in the future, or start it now.")]})
        return self._change(
            lambda sendout: sendouts.schedule_sendout(sendout=sendout, at=moment, time_zone=data["time_zone"])
        )

    @extend_schema(summary="Pause a sendout (no further mail is queued)", request=None, tags=["sendouts"])
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None) -> Response:
        return self._change(sendouts.pause_sendout)

    @extend_schema(summary="Resume a paused sendout", request=None, tags=["sendouts"])
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None) -> Response:
        return self._change(sendouts.resume_sendout)

    @extend_schema(summary="Cancel a sendout (nobody still waiting gets it)", request=None, tags=["sendouts"])
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None) -> Response:
        return self._change(sendouts.cancel_sendout)

    @extend_schema(
        summary="A sendout's report: counts, progress, clicks per link, failures",
        responses=SendoutReportSerializer,
        tags=["sendouts"],
    )
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None) -> Response:
        return Response(sendout_report(self.get_object()).as_dict(), status=status.HTTP_200_OK)
