"""Replies to our mails (anymail inbound): recorded Mailgun and Postmark payloads, signed,
join their conversation for 30 days and start MESSAGE_REPLY automations once."""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from automations.models import Automation, Event
from automations.services import dispatch_due_runs
from engage.events import EventType
from notifications.conversations import conversation_for
from notifications.models import (
    Conversation,
    InboundMessage,
    OutboundMessage,
    PreparedMessage,
    PreparedMessageVariant,
)
from notifications.services import RenderedMail, enqueue_mail
from tests.factories import ContactFactory

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "engage:webhook-password"
SIGNING_KEY = "mailgun-webhook-signing-key"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    settings.ENGAGE_REPLY_ADDRESS = "replies@in.example.org"


@pytest.fixture
def contact(alice_org):
    return ContactFactory(organization=alice_org, email="alice@example.com")


@pytest.fixture
def conversation(alice_org, contact):
    return conversation_for(organization=alice_org, conversation_id=None, subject="Summer deals", contact=contact)


@pytest.fixture
def sent(alice_org, contact, conversation):
    mail = RenderedMail(subject="Summer deals", text="Hi")
    return enqueue_mail(organization=alice_org, to=contact.email, mail=mail, contact=contact, conversation=conversation)


def mailgun_reply(in_reply_to: str, *, key: str = SIGNING_KEY, message_id: str | None = None) -> dict:
    """The recorded Mailgun inbound post, answering `in_reply_to`, signed like Mailgun signs it."""
    fields = json.loads((FIXTURES / "mailgun_inbound_reply.json").read_text())
    headers = dict(json.loads(fields["message-headers"]))
    headers["In-Reply-To"] = headers["References"] = fields["In-Reply-To"] = fields["References"] = in_reply_to
    if message_id:
        headers["Message-Id"] = fields["Message-Id"] = message_id
    fields["message-headers"] = json.dumps(list(headers.items()))
    fields["timestamp"], fields["token"] = str(int(timezone.now().timestamp())), secrets.token_hex(25)
    fields["signature"] = hmac.new(
        key.encode(), (fields["timestamp"] + fields["token"]).encode(), hashlib.sha256
    ).hexdigest()
    return fields


def postmark_reply(*, references: str = "", to: str = "replies@in.example.org", subject: str = "Re: Your order"):
    payload = json.loads((FIXTURES / "postmark_inbound_reply.json").read_text())
    payload["Headers"] = [h for h in payload["Headers"] if h["Name"] not in {"In-Reply-To", "References"}]
    if references:
        payload["Headers"].append({"Name": "References", "Value": references})
    payload["ToFull"][0]["Email"], payload["Subject"] = to, subject
    return payload


def post_mailgun(client, fields):
    return client.post("/webhooks/anymail/mailgun/inbound/", fields, HTTP_AUTHORIZATION=AUTH)


def post_postmark(client, payload, auth=AUTH):
    return client.post(
        "/webhooks/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )  # fmt: skip


def test_mails_of_a_conversation_carry_its_id_in_the_reply_address(sent, conversation):
    assert sent.headers["Reply-To"] == f"replies+{conversation.uuid}@in.example.org"


def test_a_reply_joins_its_conversation_and_starts_automations(client, sent, conversation, contact):
    assert post_mailgun(client, mailgun_reply(sent.message_id)).status_code == 200
    reply = InboundMessage.objects.get()
    assert (reply.conversation, reply.in_reply_to, reply.contact) == (conversation, sent, contact)
    assert (reply.from_email, reply.subject, reply.esp) == ("alice@example.com", "Re: Summer deals", "mailgun")
    assert reply.text.startswith("Yes please, send me the catalogue.")
    assert "catalogue" in reply.html
    assert ["X-Mailgun-Sflag", "No"] in reply.headers
    event = Event.objects.get(type=EventType.MESSAGE_REPLY)
    assert event.contact == contact
    assert event.payload["conversation"] == str(conversation.uuid)
    assert event.payload["reply_id"] == reply.pk
    assert Conversation.objects.get().last_message_at >= reply.received_at - timedelta(seconds=1)


def test_a_redelivered_reply_is_stored_once(client, sent):
    fields = mailgun_reply(sent.message_id)
    post_mailgun(client, fields)
    post_mailgun(client, {**fields, **_resigned(fields)})  # a new delivery: new token, same mail
    assert InboundMessage.objects.count() == 1
    assert Event.objects.filter(type=EventType.MESSAGE_REPLY).count() == 1


def _resigned(fields: dict) -> dict:
    token = secrets.token_hex(25)
    signature = hmac.new(SIGNING_KEY.encode(), (fields["timestamp"] + token).encode(), hashlib.sha256).hexdigest()
    return {"token": token, "signature": signature}


def test_a_mailgun_reply_with_a_wrong_signature_is_refused(client, sent):
    assert post_mailgun(client, mailgun_reply(sent.message_id, key="wrong")).status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_postmark_reply_found_by_its_references_chain(client, sent, conversation):
    references = f"<first@mail.example.com> {sent.message_id}"
    assert post_postmark(client, postmark_reply(references=references)).status_code == 200
    reply = InboundMessage.objects.get()
    assert (reply.conversation, reply.esp, reply.from_email) == (conversation, "postmark", "john@example.com")


def test_a_reply_found_by_the_conversation_id_in_its_address(client, sent, conversation):
    post_postmark(client, postmark_reply(to=f"replies+{conversation.uuid}@in.example.org"))
    assert InboundMessage.objects.get().conversation == conversation


def test_a_reply_found_by_the_conversation_id_in_its_subject(client, sent, conversation):
    post_postmark(client, postmark_reply(subject=f"Re: Your order [ref:{conversation.uuid}]"))
    assert InboundMessage.objects.get().conversation == conversation


def test_a_postmark_reply_without_basic_auth_is_refused(client, sent):
    assert post_postmark(client, postmark_reply(references=sent.message_id), auth="").status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_reply_after_30_quiet_days_is_kept_but_joins_nothing(client, sent, conversation, alice_org):
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        post_postmark(client, postmark_reply(references=sent.message_id))
    reply = InboundMessage.objects.get()
    assert (reply.organization, reply.conversation, reply.in_reply_to) == (alice_org, None, sent)
    assert not Event.objects.filter(type=EventType.MESSAGE_REPLY).exists()
    assert Conversation.objects.get().last_message_at == conversation.last_message_at


def another_reply(*, references: str, subject: str) -> dict:
    """A Postmark reply with a Message-ID of its own (the recorded one would be a duplicate)."""
    payload = postmark_reply(references=references, subject=subject)
    for header in payload["Headers"]:
        if header["Name"] == "Message-ID":
            header["Value"] = f"<{uuid.uuid4()}@mail.example.com>"
    return payload


def test_a_reply_after_day_30_of_the_original_mail_joins_nothing_however_busy(
    client, sent, conversation, alice_org, contact
):
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=25)):  # the conversation goes on …
        mail = RenderedMail(subject="Re: Summer deals", text="Still there?")
        later = enqueue_mail(
            organization=alice_org, to=contact.email, mail=mail, contact=contact, conversation=conversation
        )
    with time_machine.travel(start + timedelta(days=29)):
        post_postmark(client, another_reply(references=later.message_id, subject="Re: one"))
    with time_machine.travel(start + timedelta(days=31)):  # … but its 30 days are over
        post_postmark(client, another_reply(references=later.message_id, subject="Re: two"))
    joined = dict(InboundMessage.objects.values_list("subject", "conversation"))
    assert joined == {"Re: one": conversation.pk, "Re: two": None}
    assert Event.objects.filter(type=EventType.MESSAGE_REPLY).count() == 1


def test_a_conversation_started_by_a_reply_dates_from_the_original_mail(client, alice_org, contact):
    lone = enqueue_mail(organization=alice_org, to=contact.email, mail=RenderedMail(subject="W", text="x"))
    with time_machine.travel(timezone.now() + timedelta(days=20)):
        post_postmark(client, another_reply(references=lone.message_id, subject="Re: early"))
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        post_postmark(client, another_reply(references=lone.message_id, subject="Re: late"))
    conversation = Conversation.objects.get()
    assert conversation.created_at == lone.created_at
    joined = dict(InboundMessage.objects.values_list("subject", "conversation"))
    assert joined == {"Re: early": conversation.pk, "Re: late": None}


def test_a_reply_to_nothing_of_ours_is_acknowledged_and_dropped(client, sent):
    assert post_postmark(client, postmark_reply(references="<someone-else@example.com>")).status_code == 200
    assert not InboundMessage.objects.exists()


def test_a_reply_belongs_to_the_organization_of_the_mail_it_answers(client, sent, charlie_org):
    theirs = enqueue_mail(organization=charlie_org, to="alice@example.com", mail=RenderedMail(subject="C", text="c"))
    post_postmark(client, postmark_reply(references=theirs.message_id))
    reply = InboundMessage.objects.get()
    assert (reply.organization, reply.in_reply_to) == (charlie_org, theirs)
    assert reply.conversation.organization == charlie_org
    assert not InboundMessage.objects.for_organization(sent.organization).exists()
    assert not Event.objects.filter(organization=sent.organization).exists()


def test_a_reply_to_a_mail_outside_conversations_starts_one(client, alice_org, contact):
    mail = RenderedMail(subject="Welcome", text="Hi")
    lone = enqueue_mail(organization=alice_org, to=contact.email, mail=mail, contact=contact)
    post_postmark(client, postmark_reply(references=lone.message_id))
    reply = InboundMessage.objects.get()
    assert (reply.conversation.subject, reply.conversation.contact) == ("Welcome", contact)
    assert OutboundMessage.objects.get(pk=lone.pk).conversation == reply.conversation
    assert Event.objects.get(type=EventType.MESSAGE_REPLY).contact == contact


def test_a_late_reply_to_a_mail_outside_conversations_joins_nothing(client, alice_org, contact):
    lone = enqueue_mail(organization=alice_org, to=contact.email, mail=RenderedMail(subject="W", text="x"))
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        post_postmark(client, postmark_reply(references=lone.message_id))
    assert InboundMessage.objects.get().conversation is None
    assert not Conversation.objects.exists()
    assert not Event.objects.exists()


def test_mails_of_a_conversation_thread_under_its_last_message(alice_org, sent, conversation, client):
    post_postmark(client, postmark_reply(references=sent.message_id))
    reply = InboundMessage.objects.get()
    mail = RenderedMail(subject="Re: Summer deals", text="It ships tomorrow.")
    answer = enqueue_mail(organization=alice_org, to="alice@example.com", mail=mail, conversation=conversation)
    assert answer.headers["In-Reply-To"] == reply.message_id
    assert answer.headers["References"] == f"{sent.message_id} {reply.message_id}"


def test_an_automation_answering_a_reply_answers_in_its_conversation(client, alice_org, sent, conversation, contact):
    answer = PreparedMessage.objects.create(organization=alice_org, name="Thanks", is_marketing=False)
    PreparedMessageVariant.objects.create(message=answer, language="en", subject="We got it", text_body="Thanks!")
    PreparedMessageVariant.objects.create(message=answer, language="de", subject="Erhalten", text_body="Danke!")
    automation = Automation(
        organization=alice_org, name="thank", event_type=EventType.MESSAGE_REPLY,
        job_type="send_prepared_message_contact", job_params={"message": answer.pk},
    )  # fmt: skip
    automation.full_clean()
    automation.save()
    post_postmark(client, postmark_reply(references=sent.message_id))
    dispatch_due_runs()
    thanks = OutboundMessage.objects.exclude(pk=sent.pk).get()
    assert thanks.conversation == conversation
    assert thanks.headers["In-Reply-To"] == InboundMessage.objects.get().message_id


def test_a_malformed_reply_post_is_a_400(client, db, caplog):
    client.raise_request_exception = False
    response = client.post(
        "/webhooks/anymail/postmark/inbound/", "not json", content_type="application/json", HTTP_AUTHORIZATION=AUTH
    )
    assert (response.status_code, response.content) == (400, b"Malformed payload.")
    assert "Malformed webhook post to /webhooks/anymail/postmark/inbound/: JSONDecodeError" in caplog.text


@pytest.mark.parametrize("esp", ["mailgun", "postmark"])
def test_our_own_error_while_storing_a_reply_is_a_500(client, sent, monkeypatch, caplog, esp):
    from notifications import inbound

    def broken(*args, **kwargs):
        raise KeyError("a bug in our reply code")

    monkeypatch.setattr(inbound, "store_reply", broken)
    client.raise_request_exception = False
    if esp == "mailgun":
        response = post_mailgun(client, mailgun_reply(sent.message_id))
    else:
        response = post_postmark(client, postmark_reply(references=sent.message_id))
    assert response.status_code == 500
    [logged] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert (logged.name, logged.exc_info[0]) == ("django.request", KeyError)
    assert "Malformed webhook post" not in caplog.text
    assert not InboundMessage.objects.exists()
