from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api.views.automations import AutomationViewSet, OutboundMessageViewSet, RunViewSet
from api.views.contacts import (
    AttributeDefinitionViewSet,
    ContactViewSet,
    GroupViewSet,
    TagViewSet,
    TransactionViewSet,
)
from api.views.events import EventViewSet
from api.views.oauth import TokenView

router = SimpleRouter(trailing_slash=False)
router.register("contacts", ContactViewSet, basename="contact")
router.register(r"contacts/(?P<contact_pk>\d+)/transactions", TransactionViewSet, basename="contact-transaction")
router.register("attributes", AttributeDefinitionViewSet, basename="attribute")
router.register("tags", TagViewSet, basename="tag")
router.register("groups", GroupViewSet, basename="group")
router.register("events", EventViewSet, basename="event")
router.register("automations", AutomationViewSet, basename="automation")
router.register("runs", RunViewSet, basename="run")
router.register("messages", OutboundMessageViewSet, basename="message")

app_name = "api"
urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("oauth/token", TokenView.as_view(), name="token"),
]
