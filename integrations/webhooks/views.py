"""POST /inbound/webhooks/<token>/: a notification signed with one of the endpoint's secrets."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from engage.lib import nesting
from integrations.common.models import InboundNotification
from integrations.common.services import receive_notification
from integrations.common.views import MAX_BODY, NO_SUCH_ENDPOINT, json_error, read_body
from integrations.webhooks import services, signatures
from integrations.webhooks.models import WebhookEndpoint


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, token: str) -> JsonResponse:
    endpoint = WebhookEndpoint.objects.select_related("organization").filter(token=token, is_active=True).first()
    if endpoint is None:
        return json_error(NO_SUCH_ENDPOINT, 404)
    body = read_body(request)
    if body is None:
        return json_error(f"The body is larger than {MAX_BODY} bytes.", 400)
    try:
        webhook_id = signatures.verify(body, request.headers, services.webhook_secrets(endpoint))
    except signatures.InvalidSignature as exc:
        return json_error(str(exc), 401)
    try:
        payload = nesting.loads(body)
    except nesting.TooDeep as exc:
        return json_error(str(exc), 400)
    except ValueError:
        return json_error("The body is not valid JSON.", 400)
    if not isinstance(payload, dict):
        return json_error("The body must be a JSON object.", 400)
    if len(webhook_id) > 255:
        return json_error("webhook-id is longer than 255 characters.", 400)
    notification, created = receive_notification(
        organization=endpoint.organization,
        source=InboundNotification.Source.WEBHOOK,
        webhook_id=webhook_id,
        payload=payload,
        endpoint=endpoint,
    )
    return JsonResponse({"id": notification.pk, "status": notification.status, "duplicate": not created})
