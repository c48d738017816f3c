"""Idempotency keys: every outbox message carries one key to the ESP, the same on every
retry, and Resend gets it in its Idempotency-Key header."""

import json

import pytest
import requests
from anymail.backends import test as anymail_test
from anymail.exceptions import AnymailAPIError
from django.core import mail as django_mail
from django.utils import timezone

from engage.errors import TransientError
from notifications import mailsettings
from notifications.esp import METADATA_KEY, idempotency_key
from notifications.models import MailSettings, OutboundMessage
from notifications.services import RenderedMail, deliver, send_mail

MAIL = RenderedMail(subject="Your order", text="Thanks for your order.")


class FlakyBackend(anymail_test.EmailBackend):
    """anymail's test backend whose first send times out after the ESP took the request."""

    failures = 1

    def post_to_esp(self, payload, message):
        sent = super().post_to_esp(payload, message)  # recorded in the outbox with its params
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise AnymailAPIError("Read timed out")
        return sent


def retry_now(message: OutboundMessage) -> None:
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    deliver([message.pk])


def test_the_key_is_attached_and_stable_across_retries(alice_org, settings):
    settings.EMAIL_BACKEND = "tests.test_esp_idempotency.FlakyBackend"
    FlakyBackend.failures = 1
    with pytest.raises(TransientError, match="Read timed out"):
        send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    message = OutboundMessage.objects.get()
    assert message.status == OutboundMessage.Status.QUEUED
    retry_now(message)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 2
    keys = [sent.anymail_test_params["metadata"][METADATA_KEY] for sent in django_mail.outbox]
    assert keys == [idempotency_key(message)] * 2
    assert keys[0].startswith(f"engage-{message.pk}-")


def test_every_message_has_its_own_key(alice_org, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    first = send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    second = send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    keys = [sent.anymail_test_params["metadata"][METADATA_KEY] for sent in django_mail.outbox]
    assert keys == [idempotency_key(first), idempotency_key(second)]
    assert keys[0] != keys[1]


class ResendApi:
    """Stands in for Resend's HTTP API: records each request; the first may time out."""

    def __init__(self, monkeypatch, *, timeouts: int = 0):
        self.requests: list[dict] = []
        self.timeouts = timeouts
        monkeypatch.setattr(requests.Session, "request", self.request)

    def request(self, method, url, **kwargs):
        self.requests.append({"url": url, "headers": kwargs["headers"], "data": json.loads(kwargs["data"])})
        if self.timeouts:
            self.timeouts -= 1
            raise requests.exceptions.ReadTimeout("Read timed out")
        response = requests.Response()
        response.status_code, response.encoding = 200, "utf-8"
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps({"id": f"re-{len(self.requests)}"}).encode()
        return response


def test_resend_gets_the_key_in_its_idempotency_key_header(alice_org, monkeypatch):
    row = MailSettings(organization=alice_org, transport="esp", esp="resend", from_email="news@alice.example")
    mailsettings.store_secrets(row, esp_credentials={"api_key": "re_test_key"})
    row.save()
    api = ResendApi(monkeypatch, timeouts=1)
    with pytest.raises(TransientError):
        send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    message = OutboundMessage.objects.get()
    retry_now(message)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.provider_message_id == "re-2"
    assert [r["url"] for r in api.requests] == ["https://api.resend.com/emails"] * 2
    assert [r["headers"]["Idempotency-Key"] for r in api.requests] == [idempotency_key(message)] * 2


def test_the_environments_resend_settings_send_the_key_too(alice_org, settings, monkeypatch):
    settings.EMAIL_BACKEND = "anymail.backends.resend.EmailBackend"
    settings.ANYMAIL = {"RESEND_API_KEY": "re_test_key"}
    api = ResendApi(monkeypatch)
    message = send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    [request] = api.requests
    assert request["headers"]["Idempotency-Key"] == idempotency_key(message)
