"""Signed notifications from other systems (Standard Webhooks): POST /inbound/webhooks/<token>/."""

import base64
import hashlib
import hmac
import json
import threading
import time

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse

from automations.models import Event, Run
from automations.services import dispatch_due_runs
from contacts.models import Contact
from integrations.common.models import InboundNotification
from integrations.webhooks import services
from integrations.webhooks.models import WebhookEndpoint, WebhookSecret
from notifications.models import OutboundMessage
from tests.integrations.helpers import automation_for

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ORDER = {"type": "order.shipped", "contact": {"email": "jana.mueller@example.de"}, "order": {"id": "A-4711"}}


@pytest.fixture
def endpoint(alice_org):
    endpoint = WebhookEndpoint.objects.create(organization=alice_org, name="Opacc ERP")
    services.add_webhook_secret(endpoint=endpoint, secret=SECRET)
    return endpoint


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def send(client, endpoint, payload, *, webhook_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", secret=SECRET, age=0, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = int(time.time()) - age
    signed = {
        "HTTP_WEBHOOK_ID": webhook_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(timestamp),
        "HTTP_WEBHOOK_SIGNATURE": signature(secret, webhook_id, timestamp, body),
    }
    signed.update(headers)
    url = reverse("integrations:webhook", args=[endpoint.token])
    return client.post(url, body, content_type="application/json", **signed)


def test_a_signed_notification_fires_an_event_for_the_contact_it_names(client, endpoint, alice_org):
    jana = Contact.objects.create(organization=alice_org, email="jana.mueller@example.de")
    response = send(client, endpoint, ORDER)
    assert response.status_code == 200
    assert response.json()["duplicate"] is False
    notification = InboundNotification.objects.get()
    assert (notification.endpoint, notification.webhook_id) == (endpoint, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
    assert notification.status == "processed"
    assert notification.payload == ORDER
    event = Event.objects.get(type="external_notification")
    assert event.organization == alice_org
    assert event.contact == jana
    assert event.payload == ORDER
    assert notification.event == event


def test_a_top_level_email_names_the_contact_too(client, endpoint, alice_org):
    known = Contact.objects.create(organization=alice_org, email="peter@example.ch")
    send(client, endpoint, {"email": "Peter@Example.ch", "points": 120})
    assert Event.objects.get(type="external_notification").contact == known


def test_a_notification_naming_no_contact_is_stored_and_reported_without_an_event(client, endpoint):
    assert send(client, endpoint, {"type": "stock.low", "sku": "X-1"}).status_code == 200
    notification = InboundNotification.objects.get()
    assert notification.status == "no_contact"
    assert "names no contact" in notification.output
    assert not Event.objects.filter(type="external_notification").exists()


@pytest.mark.parametrize("email", ["not an address", "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "example.com"])
def test_an_invalid_email_is_reported(client, endpoint, email):
    assert send(client, endpoint, {"email": email}).status_code == 200
    assert "not an e-mail address" in InboundNotification.objects.get().output
    assert not Contact.objects.exists()


def test_a_repeated_webhook_id_answers_200_without_a_second_event(client, endpoint):
    first = send(client, endpoint, ORDER)
    again = send(client, endpoint, ORDER)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert InboundNotification.objects.count() == 1
    assert Event.objects.filter(type="external_notification").count() == 1


def test_every_secret_of_the_endpoint_is_accepted_while_rotating(client, endpoint):
    new = services.add_webhook_secret(endpoint=endpoint)
    assert new.startswith("whsec_") and new != SECRET
    assert send(client, endpoint, ORDER, webhook_id="msg_old", secret=SECRET).status_code == 200
    assert send(client, endpoint, ORDER, webhook_id="msg_new", secret=new).status_code == 200
    WebhookSecret.objects.filter(hint=services.secret_hint(SECRET)).delete()
    assert send(client, endpoint, ORDER, webhook_id="msg_old2", secret=SECRET).status_code == 401


def test_secrets_are_encrypted_at_rest(endpoint):
    stored = WebhookSecret.objects.get()
    assert SECRET not in stored.encrypted
    assert stored.hint == "whsec_…LaSw"
    assert services.webhook_secrets(endpoint) == [SECRET]


def test_one_matching_signature_among_several_is_enough(client, endpoint):
    body = json.dumps(ORDER).encode()
    timestamp = int(time.time())
    good = signature(SECRET, "msg_1", timestamp, body)
    header = f"v1,Zm9vYmFy {good} v2,whatever garbage"
    response = send(client, endpoint, body, webhook_id="msg_1", HTTP_WEBHOOK_SIGNATURE=header)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_WEBHOOK_SIGNATURE": "v1,Zm9vYmFy"},
        {"HTTP_WEBHOOK_SIGNATURE": "garbage"},
        {"HTTP_WEBHOOK_SIGNATURE": "v1,%%%not base64%%%"},
        {"HTTP_WEBHOOK_SIGNATURE": ""},
        {"HTTP_WEBHOOK_TIMESTAMP": "not a number"},
        {"HTTP_WEBHOOK_ID": ""},
    ],
)
def test_a_bad_or_missing_signature_is_a_401_and_fires_nothing(client, endpoint, headers):
    response = send(client, endpoint, ORDER, **headers)
    assert response.status_code == 401
    assert response.json()["error"]
    assert not InboundNotification.objects.exists()
    assert not Event.objects.filter(type="external_notification").exists()


def test_a_signature_made_with_another_secret_is_refused(client, endpoint):
    response = send(client, endpoint, ORDER, secret="whsec_" + base64.b64encode(b"x" * 24).decode())
    assert response.status_code == 401
    assert "No signature matches" in response.json()["error"]


def test_a_changed_body_is_refused(client, endpoint):
    body = json.dumps(ORDER).encode()
    timestamp = int(time.time())
    header = signature(SECRET, "msg_1", timestamp, body)
    url = reverse("integrations:webhook", args=[endpoint.token])
    response = client.post(
        url,
        body.replace(b"A-4711", b"A-4712"),
        content_type="application/json",
        HTTP_WEBHOOK_ID="msg_1",
        HTTP_WEBHOOK_TIMESTAMP=str(timestamp),
        HTTP_WEBHOOK_SIGNATURE=header,
    )
    assert response.status_code == 401


# Timestamps are whole seconds: 302 s is past five minutes whatever the fraction of the
# current second (301 s may be 300.2 s from now).
@pytest.mark.parametrize("age", [302, -302, 3600])
def test_timestamps_more_than_five_minutes_away_are_refused(client, endpoint, age):
    response = send(client, endpoint, ORDER, age=age)
    assert response.status_code == 401
    assert "timestamp" in response.json()["error"]
    assert not InboundNotification.objects.exists()


def test_a_timestamp_within_five_minutes_is_accepted(client, endpoint):
    assert send(client, endpoint, ORDER, age=290).status_code == 200


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(client, endpoint, body):
    response = send(client, endpoint, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not InboundNotification.objects.exists()


def test_a_body_that_is_too_large_is_a_400(client, endpoint):
    response = send(client, endpoint, {"email": "a@example.com", "blob": "x" * (1024 * 1024)})
    assert response.status_code == 400
    assert "larger" in response.json()["error"]
    assert not InboundNotification.objects.exists()


def test_an_endpoint_without_secrets_accepts_nothing(client, alice_org):
    bare = WebhookEndpoint.objects.create(organization=alice_org, name="No secret yet")
    assert send(client, bare, ORDER).status_code == 401


def test_an_unknown_or_inactive_endpoint_is_a_404(client, endpoint):
    url = reverse("integrations:webhook", args=["nope"])
    assert client.post(url, b"{}", content_type="application/json").status_code == 404
    endpoint.is_active = False
    endpoint.save()
    assert send(client, endpoint, ORDER).status_code == 404


def test_charlies_secret_does_not_open_alices_endpoint(client, endpoint, charlie_org):
    theirs = WebhookEndpoint.objects.create(organization=charlie_org, name="Charlie ERP")
    theirs_jana = Contact.objects.create(organization=charlie_org, email="jana.mueller@example.de")
    charlie_secret = services.add_webhook_secret(endpoint=theirs)
    assert send(client, endpoint, ORDER, secret=charlie_secret).status_code == 401
    assert send(client, theirs, ORDER, secret=charlie_secret).status_code == 200
    event = Event.objects.get(type="external_notification")
    assert event.organization == charlie_org
    assert event.contact == theirs_jana
    assert not Contact.objects.filter(organization=endpoint.organization).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_webhook_id_fire_once(endpoint):
    body = json.dumps(ORDER).encode()
    barrier, statuses = threading.Barrier(5), []

    def deliver():
        try:
            barrier.wait()
            statuses.append(send(Client(), endpoint, body, webhook_id="msg_race").status_code)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5
    assert InboundNotification.objects.count() == 1
    assert Event.objects.filter(type="external_notification").count() == 1


def test_an_invitation_token_sent_back_names_its_contact(client, endpoint, alice_org, charlie_org):
    from integrations.common.invitations import make_invitation_token

    jana = Contact.objects.create(organization=alice_org, email="jana@example.de")
    someone = Contact.objects.create(organization=alice_org, email="someone.else@example.com")
    token = make_invitation_token(organization_id=alice_org.pk, contact_id=jana.pk, automation_id=1)
    answer = {"type": "survey.completed", "engage_token": token, "email": "someone.else@example.com", "score": 9}
    send(client, endpoint, answer, webhook_id="msg_a")
    assert Event.objects.get(external_id="msg_a").contact == jana
    # A token of another organization, or a forged one, names nobody: the e-mail decides.
    charlie_token = make_invitation_token(organization_id=charlie_org.pk, contact_id=jana.pk, automation_id=1)
    send(client, endpoint, {**answer, "engage_token": charlie_token}, webhook_id="msg_b")
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    send(client, endpoint, {**answer, "engage_token": forged, "email": ""}, webhook_id="msg_c")
    assert Event.objects.get(external_id="msg_b").contact == someone
    assert InboundNotification.objects.get(webhook_id="msg_c").status == "no_contact"


def test_an_unknown_address_creates_no_contact_and_sends_no_mail(client, endpoint, alice_org):
    welcome = automation_for(alice_org, "send_password_to_contact", event_type="contact_created")
    listening = automation_for(alice_org, "send_password_to_contact", event_type="external_notification")
    assert send(client, endpoint, ORDER).json()["status"] == "unmatched"
    dispatch_due_runs()
    assert not Contact.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not Run.objects.filter(automation=welcome).exists()
    assert Run.objects.get(automation=listening).status == "skipped"
    notification = InboundNotification.objects.get()
    assert notification.payload == ORDER  # kept, for when the contact appears
    assert notification.contact is None
    assert notification.event.contact is None


def test_a_notification_matches_a_contact_by_external_reference(client, endpoint, alice_org):
    known = Contact.objects.create(organization=alice_org, email="peter@example.ch", external_ref="ERP-42")
    send(client, endpoint, {"type": "order.shipped", "contact": {"external_ref": "ERP-42"}})
    assert Event.objects.get(type="external_notification").contact == known
    assert InboundNotification.objects.get().status == "processed"
