"""Inbound endpoints. Each is addressed by a secret token in its URL; an unknown or
inactive token is a 404, whoever's it is. Nothing is acknowledged before it is committed."""

from __future__ import annotations

import hashlib
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from engage.lib import nesting
from integrations import activecampaign, salesforce, services, webhooks
from integrations.models import ActiveCampaignConnection, InboundNotification, SalesforceConnection, WebhookEndpoint

logger = logging.getLogger(__name__)

# The same answer for a token that never existed and one that is inactive or another's.
NO_SUCH_ENDPOINT = "No active endpoint has this address; check the token in the URL."
MAX_BODY = 1024 * 1024  # Salesforce sends at most 100 notifications; webhooks are small


def _body(request: HttpRequest) -> bytes | None:
    """The request body, or None if it is larger than MAX_BODY."""
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return None
    if length > MAX_BODY:
        return None
    body = request.read(MAX_BODY + 1)
    return body if len(body) <= MAX_BODY else None


def _soap(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
def salesforce_outbound(request: HttpRequest, token: str) -> HttpResponse:
    connection = SalesforceConnection.objects.select_related("organization").filter(token=token, is_active=True).first()
    if connection is None:
        return _soap(salesforce.fault(NO_SUCH_ENDPOINT), 404)
    body = _body(request)
    if body is None:
        return _soap(salesforce.fault("The message is too large."), 500)
    try:
        message = salesforce.parse(body)
    except salesforce.InvalidMessage as exc:
        return _soap(salesforce.fault(str(exc)), 500)
    if not salesforce.same_organization(connection.salesforce_organization_id, message.organization_id):
        return _soap(salesforce.fault("OrganizationId not accepted by this endpoint"), 500)
    try:
        services.receive_salesforce_message(connection=connection, message=message)
    except Exception:
        # Not stored: a fault makes Salesforce deliver the message again later.
        logger.exception("Could not store Salesforce message for connection %s", connection.pk)
        return _soap(salesforce.fault("The message could not be stored; please retry.", code="Server"), 500)
    return _soap(salesforce.ACK, 200)


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, token: str) -> JsonResponse:
    endpoint = WebhookEndpoint.objects.select_related("organization").filter(token=token, is_active=True).first()
    if endpoint is None:
        return _error(NO_SUCH_ENDPOINT, 404)
    body = _body(request)
    if body is None:
        return _error(f"The body is larger than {MAX_BODY} bytes.", 400)
    try:
        webhook_id = webhooks.verify(body, request.headers, services.webhook_secrets(endpoint))
    except webhooks.InvalidSignature as exc:
        return _error(str(exc), 401)
    try:
        payload = nesting.loads(body)
    except nesting.TooDeep as exc:
        return _error(str(exc), 400)
    except ValueError:
        return _error("The body is not valid JSON.", 400)
    if not isinstance(payload, dict):
        return _error("The body must be a JSON object.", 400)
    if len(webhook_id) > 255:
        return _error("webhook-id is longer than 255 characters.", 400)
    notification, created = services.receive_notification(
        organization=endpoint.organization,
        source=InboundNotification.Source.WEBHOOK,
        webhook_id=webhook_id,
        payload=payload,
        endpoint=endpoint,
    )
    return JsonResponse({"id": notification.pk, "status": notification.status, "duplicate": not created})


@csrf_exempt
@require_POST
def activecampaign_webhook(request: HttpRequest, token: str) -> JsonResponse:
    connection = (
        ActiveCampaignConnection.objects.select_related("organization")
        .filter(webhook_token=token, is_active=True)
        .first()
    )
    if connection is None:
        return _error(NO_SUCH_ENDPOINT, 404)
    body = _body(request)
    if body is None:
        return _error(f"The body is larger than {MAX_BODY} bytes.", 400)
    try:
        payload = activecampaign.parse_webhook(body.decode())
    except activecampaign.TooDeep as exc:
        return _error(str(exc), 400)
    except (UnicodeDecodeError, ValueError):
        return _error("The body is not UTF-8 form data.", 400)
    # ActiveCampaign sends no id; the same body delivered twice is the same notification.
    webhook_id = hashlib.sha256(body).hexdigest()
    notification, created = services.receive_notification(
        organization=connection.organization,
        source=InboundNotification.Source.ACTIVECAMPAIGN,
        webhook_id=webhook_id,
        payload=payload,
    )
    return JsonResponse({"id": notification.pk, "status": notification.status, "duplicate": not created})
