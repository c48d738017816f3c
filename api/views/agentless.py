from __future__ import annotations

from email.utils import parseaddr

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from api import agentless
from api.filters import id_or_404
from api.genesys import GenesysErrorsMixin
from api.permissions import CanSendAgentlessEmail
from api.views.base import ApiView
from notifications.conversations import ConversationClosed
from notifications.models import OutboundMessage

REQUEST_EXAMPLE = OpenApiExample(
    "Shipping notice",
    request_only=True,
    value={
        "senderType": "Outbound",
        "fromAddress": {"email": "service@notify.example.de", "name": "Example Kundenservice"},
        "toAddresses": [{"email": "jana.mueller@example.de", "name": "Jana Müller"}],
        "replyToAddress": {"email": "support@reply.example.de", "name": "Example Support"},
        "subject": "Ihre Bestellung 4711 wurde versandt",
        "textBody": "Hallo Jana,\n\nIhre Bestellung 4711 ist unterwegs.",
        "htmlBody": "<p>Hallo Jana,</p><p>Ihre Bestellung <strong>4711</strong> ist unterwegs.</p>",
    },
)


def _address(value: str) -> dict:
    name, email = parseaddr(value)
    return {"email": email, "name": name}


def describe(message: OutboundMessage) -> dict:
    conversation_id = message.conversation.uuid if message.conversation_id else None
    body = {
        "id": str(message.pk),
        "conversationId": str(conversation_id) if conversation_id else None,
        "senderType": "Outbound",
        "fromAddress": _address(message.from_email),
        "toAddresses": [_address(message.recipient)],
        "subject": message.subject,
        "dateCreated": message.created_at.isoformat().replace("+00:00", "Z"),
        "selfUri": f"/api/v1/conversations/emails/{conversation_id}/messages/{message.pk}",
        "status": message.status,
    }
    if reply_to := message.headers.get("Reply-To"):
        body["replyToAddress"] = _address(reply_to)
    return body


class AgentlessEmailView(GenesysErrorsMixin, ApiView):
    permission_classes = [CanSendAgentlessEmail]

    @extend_schema(
        summary="Send one e-mail without an agent (Genesys Cloud's agentless format)",
        tags=["conversations"],
        request=agentless.AgentlessEmailSerializer,
        responses={202: agentless.AgentlessEmailResponseSerializer},
        examples=[REQUEST_EXAMPLE],
        description="Queues the mail and answers at once (202); follow its status at `selfUri`. Limits, each a "
        "400 naming the field: one recipient, subject ≤ 400 characters, local part and display name ≤ 64, "
        "text + HTML body ≤ 3 MB, no attachments, from address on a verified sender domain. At most the "
        "organization's mails per minute (600 by default): over it, 429 with Retry-After.",
    )
    def post(self, request):
        serializer = agentless.AgentlessEmailSerializer(data=request.data, context={"organization": self.organization})
        serializer.is_valid(raise_exception=True)
        try:
            agentless.admit(self.organization)
        except agentless.RateLimited as exc:
            raise exceptions.Throttled(
                wait=exc.wait, detail=_("The organization's mails per minute are used up; retry later.")
            ) from exc
        try:
            message = agentless.send_agentless(organization=self.organization, data=serializer.validated_data)
        except ConversationClosed as exc:  # closed between validation and now
            raise exceptions.ValidationError({"conversationId": [agentless.CLOSED]}) from exc
        return Response(describe(message), status=status.HTTP_202_ACCEPTED)


class AgentlessMessageView(GenesysErrorsMixin, ApiView):
    @extend_schema(
        summary="Get a mail of a conversation (its selfUri)",
        tags=["conversations"],
        responses={200: agentless.AgentlessEmailResponseSerializer},
    )
    def get(self, request, conversation_id, message_id: int):
        message = get_object_or_404(
            OutboundMessage.objects.select_related("conversation"),
            organization=self.organization,
            conversation__uuid=conversation_id,
            pk=id_or_404(message_id),
        )
        return Response(describe(message))
