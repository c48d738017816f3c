"""POST /inbound/salesforce/<token>/: an Outbound Message, answered with the SOAP
acknowledgement once it is stored, or with a SOAP fault (Salesforce then delivers again)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.common.views import NO_SUCH_ENDPOINT, read_body
from integrations.salesforce import services, soap
from integrations.salesforce.models import SalesforceConnection

logger = logging.getLogger(__name__)


def _soap(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
def salesforce_outbound(request: HttpRequest, token: str) -> HttpResponse:
    connection = SalesforceConnection.objects.select_related("organization").filter(token=token, is_active=True).first()
    if connection is None:
        return _soap(soap.fault(NO_SUCH_ENDPOINT), 404)
    body = read_body(request)
    if body is None:
        return _soap(soap.fault("The message is too large."), 500)
    try:
        message = soap.parse(body)
    except soap.InvalidMessage as exc:
        return _soap(soap.fault(str(exc)), 500)
    if not soap.same_organization(connection.salesforce_organization_id, message.organization_id):
        return _soap(soap.fault("OrganizationId not accepted by this endpoint"), 500)
    try:
        services.receive_salesforce_message(connection=connection, message=message)
    except Exception:
        # Not stored: a fault makes Salesforce deliver the message again later.
        logger.exception("Could not store Salesforce message for connection %s", connection.pk)
        return _soap(soap.fault("The message could not be stored; please retry.", code="Server"), 500)
    return _soap(soap.ACK, 200)
