"""Provider tracking webhooks (anymail): recorded payloads of Mailgun, Postmark and
SparkPost, signed as the providers sign them, update the message and start automations
once, whatever their age; replayed, unsigned or foreign events change nothing."""

import base64
import copy
import hashlib
import hmac
import json
import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from automations.models import Event
from contacts.models import Suppression
from contacts.suppression import is_suppressed
from engage.events import EventType
from notifications.models import OutboundMessage, TrackingEvent
from notifications.services import RenderedMail, enqueue_mail
from tests.factories import ContactFactory

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "engage:webhook-password"
SIGNING_KEY = "mailgun-webhook-signing-key"
MAIL = RenderedMail(subject="Summer deals", text="Hi")
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def message(alice_org):
    contact = ContactFactory(organization=alice_org, email="alice@example.com")
    return sent_message(alice_org, to="alice@example.com", contact=contact)


def sent_message(organization, *, to, contact=None, provider_id=""):
    message = enqueue_mail(organization=organization, to=to, mail=MAIL, contact=contact)
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENT, sent_at=timezone.now(), provider_message_id=provider_id
    )
    message.refresh_from_db()
    return message


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def post(client, esp: str, payload, *, auth: str = SECRET):
    return client.post(
        f"/webhooks/anymail/{esp}/tracking/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(auth.encode()).decode(),
    )


def mailgun(name: str, message: OutboundMessage, *, at: datetime | None = None, key: str = SIGNING_KEY) -> dict:
    """A recorded Mailgun event about `message`, signed like Mailgun signs it."""
    payload = load(name)
    at = at or timezone.now()
    data = payload["event-data"]
    data["timestamp"] = at.timestamp()
    data["recipient"] = message.recipient
    data["user-variables"]["engage_message_id"] = message.message_id
    token, stamp = secrets.token_hex(25), str(int(at.timestamp()))
    signature = hmac.new(key.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    payload["signature"] = {"timestamp": stamp, "token": token, "signature": signature}
    return payload


def postmark(name: str, message: OutboundMessage, *, at: datetime | None = None, **changes) -> dict:
    payload = load(name)
    at = (at or timezone.now()).isoformat().replace("+00:00", "Z")
    for field in ("ReceivedAt", "DeliveredAt", "BouncedAt"):
        if field in payload:
            payload[field] = at
    payload["Email" if "Email" in payload else "Recipient"] = message.recipient
    payload["Metadata"]["engage_message_id"] = message.message_id
    payload.update(changes)
    return payload


def sparkpost(name: str, message: OutboundMessage, *, at: datetime | None = None) -> list:
    payload = load(name)
    event = next(iter(payload[0]["msys"].values()))
    event["timestamp"] = str(int((at or timezone.now()).timestamp()))
    event["raw_rcpt_to"] = event["rcpt_to"] = message.recipient
    event["rcpt_meta"]["engage_message_id"] = message.message_id
    return payload


def status_of(message: OutboundMessage) -> str:
    return OutboundMessage.objects.get(pk=message.pk).status


# --- Mailgun (HMAC-signed) -----------------------------------------------------------------
def test_mailgun_open_marks_the_message_opened_and_starts_automations(client, message):
    assert post(client, "mailgun", mailgun("mailgun_tracking_opened.json", message)).status_code == 200
    assert status_of(message) == Status.OPENED
    tracked = TrackingEvent.objects.get()
    assert (tracked.message, tracked.esp, tracked.event_type) == (message, "mailgun", "opened")
    assert tracked.raw["event-data"]["client-info"]["client-name"] == "Chrome"
    event = Event.objects.get(type=EventType.MESSAGE_OPENED)
    assert (event.contact, event.organization) == (message.contact, message.organization)
    assert event.payload["message_id"] == message.pk


def test_a_replayed_event_is_processed_once(client, message):
    payload = mailgun("mailgun_tracking_opened.json", message)
    assert post(client, "mailgun", payload).status_code == 200
    assert post(client, "mailgun", payload).status_code == 200
    assert TrackingEvent.objects.count() == 1
    assert Event.objects.filter(type=EventType.MESSAGE_OPENED).count() == 1


def test_a_second_open_reported_with_another_id_starts_automations_only_once(client, message):
    for _ in range(2):
        post(client, "mailgun", mailgun("mailgun_tracking_opened.json", message))
    assert TrackingEvent.objects.count() == 2  # both kept for the record
    assert Event.objects.filter(type=EventType.MESSAGE_OPENED).count() == 1


def test_mailgun_event_with_a_wrong_signature_is_refused(client, message):
    response = post(client, "mailgun", mailgun("mailgun_tracking_opened.json", message, key="not-the-key"))
    assert response.status_code == 400
    assert status_of(message) == Status.SENT
    assert not TrackingEvent.objects.exists()


def test_webhook_without_our_basic_auth_is_refused(client, message):
    response = post(client, "mailgun", mailgun("mailgun_tracking_opened.json", message), auth="engage:guess")
    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()


def test_a_bounce_reported_an_hour_late_still_bounces_and_suppresses_the_address(client, message):
    """Providers retry for hours: a report delayed by an outage is as true as a fresh one."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    response = post(client, "mailgun", mailgun("mailgun_tracking_failed_permanent.json", message, at=an_hour_ago))
    assert response.status_code == 200
    assert status_of(message) == Status.BOUNCED
    assert is_suppressed(message.organization, "alice@example.com")
    assert abs(TrackingEvent.objects.get().occurred_at - an_hour_ago) < timedelta(seconds=1)  # as reported
    assert Event.objects.get().type == EventType.MESSAGE_BOUNCED


def test_the_same_late_report_delivered_twice_is_recorded_once(client, message):
    payload = mailgun("mailgun_tracking_failed_permanent.json", message, at=timezone.now() - timedelta(hours=1))
    assert post(client, "mailgun", payload).status_code == 200
    assert post(client, "mailgun", payload).status_code == 200  # the provider's retry
    assert TrackingEvent.objects.count() == 1
    assert Suppression.objects.count() == 1
    assert Event.objects.filter(type=EventType.MESSAGE_BOUNCED).count() == 1


def test_mailgun_permanent_failure_bounces_and_suppresses_the_address(client, message):
    post(client, "mailgun", mailgun("mailgun_tracking_failed_permanent.json", message))
    assert status_of(message) == Status.BOUNCED
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    assert is_suppressed(message.organization, "alice@example.com")
    assert Event.objects.get().type == EventType.MESSAGE_BOUNCED


# --- Postmark (basic auth) -----------------------------------------------------------------
def test_postmark_late_delivery_does_not_overwrite_the_open(client, message):
    post(client, "postmark", postmark("postmark_tracking_open.json", message))
    post(client, "postmark", postmark("postmark_tracking_delivery.json", message))
    assert status_of(message) == Status.OPENED
    assert sorted(TrackingEvent.objects.values_list("event_type", flat=True)) == ["delivered", "opened"]


def test_postmark_open_without_an_id_is_still_processed_once(client, message):
    payload = postmark("postmark_tracking_open.json", message)
    post(client, "postmark", payload)
    post(client, "postmark", payload)
    assert TrackingEvent.objects.count() == 1


def test_postmark_hard_bounce_suppresses_the_address(client, message):
    post(client, "postmark", postmark("postmark_tracking_bounce.json", message))
    assert status_of(message) == Status.BOUNCED
    assert is_suppressed(message.organization, message.recipient)


def test_postmark_soft_bounce_is_recorded_but_neither_bounces_nor_suppresses(client, message):
    post(client, "postmark", postmark("postmark_tracking_bounce.json", message, Type="SoftBounce", TypeCode=4096))
    assert status_of(message) == Status.SENT
    assert TrackingEvent.objects.get().event_type == "deferred"
    assert not Suppression.objects.exists()
    assert not Event.objects.exists()


def test_postmark_without_basic_auth_is_refused(client, message):
    response = client.post(
        "/webhooks/anymail/postmark/tracking/",
        json.dumps(postmark("postmark_tracking_open.json", message)),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert status_of(message) == Status.SENT


# --- SparkPost (basic auth, batches) ---------------------------------------------------------
def test_sparkpost_click_records_the_url_and_starts_automations(client, message):
    assert post(client, "sparkpost", sparkpost("sparkpost_tracking_click.json", message)).status_code == 200
    assert status_of(message) == Status.CLICKED
    assert TrackingEvent.objects.get().url == "https://example.com/summer-deals"
    event = Event.objects.get(type=EventType.MESSAGE_CLICKED)
    assert event.payload == {
        "message_id": message.pk,
        "subject": "Summer deals",
        "url": "https://example.com/summer-deals",
    }


def test_sparkpost_spam_complaint_suppresses_the_address(client, message):
    post(client, "sparkpost", sparkpost("sparkpost_tracking_spam_complaint.json", message))
    assert status_of(message) == Status.COMPLAINED
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


# --- Tenancy and strays ----------------------------------------------------------------------
def test_an_event_only_touches_the_message_it_names(client, message, charlie_org):
    theirs = sent_message(charlie_org, to="alice@example.com")
    post(client, "mailgun", mailgun("mailgun_tracking_failed_permanent.json", theirs))
    assert status_of(theirs) == Status.BOUNCED
    assert status_of(message) == Status.SENT
    assert is_suppressed(charlie_org, "alice@example.com")
    assert not is_suppressed(message.organization, "alice@example.com")


def test_an_event_whose_recipient_is_not_the_messages_is_ignored(client, message, charlie_org):
    forged = copy.deepcopy(message)
    forged.recipient = "mallory@example.com"  # an id of alice's mail in an event about another address
    post(client, "mailgun", mailgun("mailgun_tracking_failed_permanent.json", forged))
    assert status_of(message) == Status.SENT
    assert not Suppression.objects.exists()
    assert not TrackingEvent.objects.exists()


def test_an_event_about_no_message_of_ours_is_acknowledged_and_ignored(client, message):
    payload = mailgun("mailgun_tracking_opened.json", message)
    payload["event-data"]["user-variables"]["engage_message_id"] = "<unknown@example.com>"
    assert post(client, "mailgun", payload).status_code == 200  # no retries for something we will never know
    assert not TrackingEvent.objects.exists()


def test_a_message_without_contact_is_tracked_without_automations(client, alice_org):
    message = sent_message(alice_org, to="ops@example.com")
    post(client, "mailgun", mailgun("mailgun_tracking_opened.json", message))
    assert status_of(message) == Status.OPENED
    assert not Event.objects.exists()


def test_a_provider_id_identifies_the_message_when_metadata_is_missing(client, alice_org):
    message = sent_message(alice_org, to="john@example.com", provider_id="883953f4-6105-42a2-a16a-77a8eac79483")
    payload = postmark("postmark_tracking_delivery.json", message)
    payload["Metadata"] = {}
    post(client, "postmark", payload)
    assert status_of(message) == Status.DELIVERED


def test_a_report_that_arrives_before_we_record_the_send_is_kept(alice_org, monkeypatch, settings):
    from notifications import services
    from notifications.tracking import record_tracking

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    send_one = services._send_one

    def fast_provider(message, connection):
        provider_id = send_one(message, connection)
        record_tracking(message=message, esp="mailgun", event_id="fast", event_type="delivered")
        return provider_id

    monkeypatch.setattr(services, "_send_one", fast_provider)
    message = services.send_mail(organization=alice_org, to="ann@example.org", mail=MAIL)
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert message.sent_at is not None
    assert message.provider_message_id


def test_a_missing_webhook_secret_is_a_deployment_warning(settings):
    from django.core.checks import run_checks

    from notifications.checks import webhook_secret_check

    settings.ANYMAIL = {}
    assert "notifications.W001" in [w.id for w in run_checks(include_deployment_checks=True)]
    assert [w.id for w in webhook_secret_check(None)] == ["notifications.W001"]
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert webhook_secret_check(None) == []


@pytest.mark.parametrize(
    ("esp", "body"),
    [("postmark", "not json"), ("postmark", "[]"), ("sparkpost", '{"msys": 1}'), ("sparkpost", "[{}]")],
)
def test_a_malformed_authenticated_post_is_a_400_not_a_500(client, db, esp, body):
    client.raise_request_exception = False
    response = client.post(
        f"/webhooks/anymail/{esp}/tracking/", body, content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(SECRET.encode()).decode(),
    )  # fmt: skip
    assert response.status_code == 400
    assert (response["Content-Type"], response.content) == ("text/plain", b"Malformed payload.")
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("esp", ["mailgun", "postmark", "sparkpost"])
def test_our_own_error_while_handling_an_event_is_a_500(client, message, monkeypatch, caplog, esp):
    """The provider's payload was fine: our failure must not tell it "malformed, do not retry"."""
    from notifications import tracking

    def broken(**kwargs):
        raise ValueError("a bug in our tracking code")

    monkeypatch.setattr(tracking, "record_tracking", broken)
    client.raise_request_exception = False
    payload = {
        "mailgun": lambda: mailgun("mailgun_tracking_opened.json", message),
        "postmark": lambda: postmark("postmark_tracking_open.json", message),
        "sparkpost": lambda: sparkpost("sparkpost_tracking_click.json", message),
    }[esp]()
    response = post(client, esp, payload)
    assert response.status_code == 500
    [logged] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert (logged.name, logged.exc_info[0]) == ("django.request", ValueError)
    assert str(logged.exc_info[1]) == "a bug in our tracking code"
    assert "Malformed webhook post" not in caplog.text
