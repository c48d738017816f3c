from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api import genesys
from api.views.activities import ActivityViewSet
from api.views.agentless import AgentlessEmailView, AgentlessMessageView
from api.views.automations import AutomationViewSet, OutboundMessageViewSet, RunViewSet, SuppressionViewSet
from api.views.contacts import (
    AttributeDefinitionViewSet,
    ContactViewSet,
    GroupViewSet,
    TagViewSet,
    TransactionViewSet,
)
from api.views.events import EventViewSet
from api.views.oauth import TokenView
from api.views.sendouts import SendoutViewSet

router = SimpleRouter(trailing_slash=False)
router.register("contacts", ContactViewSet, basename="contact")
router.register(r"contacts/(?P<contact_pk>\d+)/transactions", TransactionViewSet, basename="contact-transaction")
router.register(r"contacts/(?P<contact_pk>\d+)/activities", ActivityViewSet, basename="contact-activity")
router.register("attributes", AttributeDefinitionViewSet, basename="attribute")
router.register("tags", TagViewSet, basename="tag")
router.register("groups", GroupViewSet, basename="group")
router.register("events", EventViewSet, basename="event")
router.register("automations", AutomationViewSet, basename="automation")
router.register("runs", RunViewSet, basename="run")
router.register("messages", OutboundMessageViewSet, basename="message")
router.register("suppressions", SuppressionViewSet, basename="suppression")
router.register("sendouts", SendoutViewSet, basename="sendout")


@csrf_exempt  # no cookie-authenticated session is ever used under /api/
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/ answers in the API's error format, not with a page."""
    body = {"type": "not_found", "title": _("Not found."), "status": 404, "detail": _("No such address.")}
    return JsonResponse(body, status=404)


@csrf_exempt
def genesys_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Other addresses under the agentless endpoints answer in Genesys' error format."""
    body = genesys.body(404, "not.found", _("No such address."))
    return JsonResponse(body, status=404, headers={"inin-correlation-id": body["contextId"]})


app_name = "api"
urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/conversations/emails/agentless", AgentlessEmailView.as_view(), name="agentless"),
    path(
        "api/v1/conversations/emails/<uuid:conversation_id>/messages/<int:message_id>",
        AgentlessMessageView.as_view(),
        name="agentless-message",
    ),
    re_path(r"^api/v1/conversations/emails/(?P<rest>.*)$", genesys_not_found),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("oauth/token", TokenView.as_view(), name="token"),
    re_path(r"^api/(?P<rest>.*)$", not_found),
]
