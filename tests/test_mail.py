"""Sending through Django's mail API: SMTP answers and anymail ESPs."""

import pytest
from django.core import mail as django_mail

from contacts.models import Organization
from engage.errors import PermanentError, TransientError
from notifications.models import OutboundMessage
from notifications.services import RenderedMail, send_mail

MAIL = RenderedMail(subject="Hello", text="Your code is 123456", html="<p>Your code is 123456</p>", secrets=("123456",))


@pytest.fixture
def organization(db):
    return Organization.objects.create(name="Mailers", slug="mailers")


def test_accepted_mail_is_recorded_as_sent_with_its_message_id(organization, smtp_server):
    message = send_mail(organization=organization, to="a@example.com", mail=MAIL)
    [received] = smtp_server.messages
    assert received["Message-ID"] == message.message_id
    assert received["Subject"] == "Hello"
    assert "123456" in received.get_body(("plain",)).get_content()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.provider_message_id == ""  # plain SMTP has no provider id; Message-ID identifies it
    assert "123456" not in message.text_body + message.html_body


@pytest.mark.parametrize(
    ("reply", "error"),
    [("451 4.3.0 Mailbox busy, try later", TransientError), ("550 5.1.1 No such user", PermanentError)],
)
def test_smtp_answers_decide_between_retry_and_failure(organization, smtp_server, reply, error):
    smtp_server.replies.append(reply)
    with pytest.raises(error, match=reply.split()[0]):
        send_mail(organization=organization, to="a@example.com", mail=MAIL)
    message = OutboundMessage.objects.get()
    expected = OutboundMessage.Status.QUEUED if error is TransientError else OutboundMessage.Status.FAILED
    assert message.status == expected  # a 4xx waits for the next attempt, a 5xx is final
    assert reply.split(" ", 1)[1].split(",")[0] in message.error
    assert message.secret_values == ("" if error is PermanentError else message.secret_values)


def test_unreachable_server_is_transient(organization, no_smtp_server):
    with pytest.raises(TransientError, match="unreachable"):
        send_mail(organization=organization, to="a@example.com", mail=MAIL)


def test_any_anymail_esp_can_be_the_backend(organization, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    message = send_mail(organization=organization, to="b@example.com", mail=MAIL)
    [sent] = django_mail.outbox
    assert sent.to == ["b@example.com"]
    message.refresh_from_db()
    assert message.provider_message_id == str(sent.anymail_status.message_id)
    assert sent.extra_headers["Message-ID"] == message.message_id


@pytest.mark.parametrize(
    ("status", "kind"),
    [(409, TransientError), (429, TransientError), (503, TransientError), (400, PermanentError), (422, PermanentError)],
)
def test_provider_answers_decide_between_retry_and_failure(status, kind):
    import requests
    from anymail.exceptions import AnymailAPIError

    from notifications.services import classify_send_error

    response = requests.Response()
    response.status_code, response.reason, response._content = status, "answer", b"{}"
    error = AnymailAPIError("refused", status_code=status, response=response)
    assert isinstance(classify_send_error(error), kind)
