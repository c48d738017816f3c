"""POST /inbound/activecampaign/<token>/: one of ActiveCampaign's form-encoded webhooks.

It fires EXTERNAL_NOTIFICATION, and changes Engage: names and phone of the contact,
unsubscribes from mapped lists, tags added or removed there."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.activecampaign import services, webhook
from integrations.activecampaign.models import ActiveCampaignConnection
from integrations.common.models import InboundNotification
from integrations.common.services import receive_notification
from integrations.common.views import MAX_BODY, NO_SUCH_ENDPOINT, json_error, read_body


@csrf_exempt
@require_POST
def activecampaign_webhook(request: HttpRequest, token: str) -> JsonResponse:
    connection = (
        ActiveCampaignConnection.objects.select_related("organization")
        .filter(webhook_token=token, is_active=True)
        .first()
    )
    if connection is None:
        return json_error(NO_SUCH_ENDPOINT, 404)
    if request.content_type != "application/x-www-form-urlencoded":
        return json_error("ActiveCampaign sends form data (application/x-www-form-urlencoded).", 415)
    body = read_body(request)
    if body is None:
        return json_error(f"The body is larger than {MAX_BODY} bytes.", 400)
    try:
        payload = webhook.parse_webhook(body.decode())
    except webhook.TooDeep as exc:
        return json_error(str(exc), 400)
    except (UnicodeDecodeError, ValueError):
        return json_error("The body is not UTF-8 form data.", 400)
    # ActiveCampaign sends no id; the same body delivered twice is the same notification.
    webhook_id = hashlib.sha256(body).hexdigest()
    notification, created = receive_notification(
        organization=connection.organization,
        source=InboundNotification.Source.ACTIVECAMPAIGN,
        webhook_id=webhook_id,
        payload=payload,
        create_contact=True,  # a sync partner, not a source of strangers
    )
    if created and notification.contact is not None:
        services.apply_feedback(connection=connection, contact=notification.contact, payload=payload)
    return JsonResponse({"id": notification.pk, "status": notification.status, "duplicate": not created})
