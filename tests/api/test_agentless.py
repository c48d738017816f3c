"""Agentless e-mail in Genesys Cloud's format: each limit at and one past its boundary."""

from __future__ import annotations

import copy
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from api.agentless import MAX_BODY_BYTES
from api.models import RateCount
from notifications.models import Conversation, OutboundMessage, SenderDomain, SendQuota

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
URL = "/api/v1/conversations/emails/agentless"


def genesys(name: str) -> dict:
    return json.loads((FIXTURES / f"genesys_agentless_{name}.json").read_text())


@pytest.fixture
def verified_domain(alice_org):
    return SenderDomain.objects.create(organization=alice_org, domain="notify.example.de", verified_at=timezone.now())


@pytest.fixture
def body(verified_domain) -> dict:
    return copy.deepcopy(genesys("request"))


def send(api, body: dict):
    return api.post(URL, body, format="json")


def test_the_genesys_request_is_queued_and_answered_like_genesys(alice_api, alice_org, body):
    response = send(alice_api, body)
    assert response.status_code == 202
    answer = response.json()
    assert set(genesys("response")) <= set(answer)
    message = OutboundMessage.objects.get(pk=int(answer["id"]))
    assert message.organization == alice_org
    assert message.recipient == "Jana Müller <jana.mueller@example.de>"
    assert message.from_email == "Example Kundenservice <service@notify.example.de>"
    assert message.headers["Reply-To"] == "Example Support <support@reply.example.de>"
    assert (message.subject, message.text_body, message.html_body) == (
        body["subject"], body["textBody"], body["htmlBody"],
    )  # fmt: skip
    assert answer["conversationId"] == str(message.conversation.uuid)
    assert answer["toAddresses"] == [{"email": "jana.mueller@example.de", "name": "Jana Müller"}]
    assert answer["selfUri"] == f"/api/v1/conversations/emails/{answer['conversationId']}/messages/{answer['id']}"
    assert alice_api.get(answer["selfUri"]).json()["status"] == "queued"


def test_the_mail_is_sent_once_the_request_commits(alice_api, body, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = send(alice_api, body).json()
    [mail] = smtp_server.messages
    assert mail["To"] == "Jana Müller <jana.mueller@example.de>"
    assert mail["Subject"] == body["subject"]
    assert OutboundMessage.objects.get(pk=int(answer["id"])).status == OutboundMessage.Status.SENT


def test_conversation_id_threads_mails_together(alice_api, body):
    first = send(alice_api, body).json()
    body["conversationId"] = first["conversationId"]
    body["subject"] = "Re: " + body["subject"]
    second = send(alice_api, body).json()
    assert second["conversationId"] == first["conversationId"]
    assert Conversation.objects.get(uuid=first["conversationId"]).messages.count() == 2


def test_a_conversation_id_continues_within_30_days_after_the_original_mail(alice_api, body):
    start = timezone.now()
    first = send(alice_api, body).json()
    body["conversationId"] = first["conversationId"]
    with time_machine.travel(start + timedelta(days=20)):
        assert send(alice_api, body).json()["conversationId"] == first["conversationId"]
    with time_machine.travel(start + timedelta(days=29, hours=23)):
        assert send(alice_api, body).json()["conversationId"] == first["conversationId"]
    assert Conversation.objects.get().messages.count() == 3


def test_an_expired_conversation_id_is_refused_not_replaced(alice_api, body):
    start = timezone.now()
    first = send(alice_api, body).json()
    body["conversationId"] = first["conversationId"]
    with time_machine.travel(start + timedelta(days=20)):
        send(alice_api, body)  # activity does not extend the 30 days
    with time_machine.travel(start + timedelta(days=30, minutes=1)):
        response = send(alice_api, body)
    answer = response.json()
    assert (response.status_code, answer["code"]) == (400, "bad.request")
    assert [detail["fieldName"] for detail in answer["details"]] == ["conversationId"]
    assert "30 days" in answer["message"]
    assert Conversation.objects.count() == 1
    assert OutboundMessage.objects.count() == 2


def test_another_organizations_conversation_id_starts_a_new_one(alice_api, charlie_api, charlie_org, body):
    SenderDomain.objects.create(organization=charlie_org, domain="notify.example.de", verified_at=timezone.now())
    theirs = send(charlie_api, body).json()["conversationId"]
    body["conversationId"] = theirs
    mine = send(alice_api, body).json()
    assert mine["conversationId"] != theirs
    assert alice_api.get(f"/api/v1/conversations/emails/{theirs}/messages/{mine['id']}").status_code == 404


def test_charlie_cannot_read_alices_mail(alice_api, charlie_api, body):
    answer = send(alice_api, body).json()
    assert charlie_api.get(answer["selfUri"]).status_code == 404


def test_a_read_key_cannot_send(bob_api, body):
    assert send(bob_api, body).status_code == 403
    assert not OutboundMessage.objects.exists()


def assert_refused(api, body, field: str) -> None:
    response = send(api, body)
    assert response.status_code == 400, response.json()
    assert field in [detail["fieldName"] for detail in response.json()["details"]], response.json()
    assert not OutboundMessage.objects.exists()


def test_exactly_one_recipient(alice_api, body):
    recipient = body["toAddresses"][0]
    assert_refused(alice_api, {**body, "toAddresses": []}, "toAddresses")
    assert_refused(alice_api, {**body, "toAddresses": [recipient, {"email": "b@example.de"}]}, "toAddresses")
    assert send(alice_api, {**body, "toAddresses": [recipient]}).status_code == 202


def test_subject_at_most_400_characters(alice_api, body):
    assert_refused(alice_api, {**body, "subject": "s" * 401}, "subject")
    assert send(alice_api, {**body, "subject": "s" * 400}).status_code == 202


def test_local_part_at_most_64_characters(alice_api, body):
    assert_refused(alice_api, {**body, "toAddresses": [{"email": "l" * 65 + "@example.de"}]}, "toAddresses.0.email")
    assert send(alice_api, {**body, "toAddresses": [{"email": "l" * 64 + "@example.de"}]}).status_code == 202


def test_local_part_of_the_sender_too(alice_api, body):
    sender = {"email": "l" * 65 + "@notify.example.de", "name": "X"}
    assert_refused(alice_api, {**body, "fromAddress": sender}, "fromAddress.email")


def test_display_name_at_most_64_characters(alice_api, body):
    assert_refused(alice_api, {**body, "fromAddress": {**body["fromAddress"], "name": "n" * 65}}, "fromAddress.name")
    recipient = {"email": "jana.mueller@example.de", "name": "n" * 65}
    assert_refused(alice_api, {**body, "toAddresses": [recipient]}, "toAddresses.0.name")
    assert send(alice_api, {**body, "fromAddress": {**body["fromAddress"], "name": "n" * 64}}).status_code == 202


def test_body_at_most_3_mb(alice_api, body):
    html = "<p>é</p>"  # é is two bytes in UTF-8: the limit counts bytes, not characters
    text = "t" * (MAX_BODY_BYTES - len(html.encode()))
    assert_refused(alice_api, {**body, "textBody": text + "t", "htmlBody": html}, "htmlBody")
    assert_refused(alice_api, {**body, "textBody": "t" * (MAX_BODY_BYTES + 1), "htmlBody": ""}, "textBody")
    assert send(alice_api, {**body, "textBody": text, "htmlBody": html}).status_code == 202


def test_a_body_is_needed(alice_api, body):
    assert_refused(alice_api, {**body, "textBody": "", "htmlBody": ""}, "textBody")


def test_no_attachments(alice_api, body):
    attachment = {"name": "invoice.pdf", "contentUri": "https://example.de/invoice.pdf"}
    assert_refused(alice_api, {**body, "attachments": [attachment]}, "attachments")
    assert send(alice_api, {**body, "attachments": []}).status_code == 202


def test_the_from_address_must_be_on_a_verified_domain(alice_api, body, verified_domain):
    assert_refused(alice_api, {**body, "fromAddress": {"email": "x@unverified.example"}}, "fromAddress.email")
    SenderDomain.objects.filter(pk=verified_domain.pk).update(verified_at=None)
    assert_refused(alice_api, body, "fromAddress.email")


def test_charlies_verified_domain_is_not_alices(charlie_api, body):
    assert_refused(charlie_api, body, "fromAddress.email")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": "Hi\r\nBcc: all@example.de"}, "subject"),
        ({"senderType": "Inbound"}, "senderType"),
        ({"conversationId": "not-a-uuid"}, "conversationId"),
        ({"toAddresses": "jana@example.de"}, "toAddresses"),
        ({"fromAddress": {"email": "service@notify.example.de", "name": "A\nB"}}, "fromAddress.name"),
        ({"cc": ["x@example.de"]}, "cc"),
    ],
)
def test_other_bad_input_is_400_naming_the_field(alice_api, body, change, field):
    assert_refused(alice_api, {**body, **change}, field)


def test_600_mails_a_minute_by_default_then_429(alice_api, alice_org, body, counted_in_database):
    with time_machine.travel("2026-11-27 10:00:15Z", tick=False):
        window = int(time.time() // 60)
        # as if 599 went out this minute
        RateCount.objects.create(key=f"api-agentless:{alice_org.pk}", window=window, count=599)
        assert send(alice_api, body).status_code == 202
        response = send(alice_api, body)
        assert response.status_code == 429
        assert response["Retry-After"] == "45"
        assert OutboundMessage.objects.count() == 1


def test_the_organizations_own_rate_applies(alice_api, alice_org, body):
    SendQuota.objects.create(organization=alice_org, mails_per_minute=2, tokens=2, updated_at=timezone.now())
    with time_machine.travel("2026-11-27 10:00:00Z", tick=False):
        assert [send(alice_api, body).status_code for _ in range(3)] == [202, 202, 429]
    with time_machine.travel("2026-11-27 10:01:00Z", tick=False):
        assert send(alice_api, body).status_code == 202


def test_the_same_idempotency_key_sends_once(alice_api, body):
    first = alice_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="mail-1")
    second = alice_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="mail-1")
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert OutboundMessage.objects.count() == 1
