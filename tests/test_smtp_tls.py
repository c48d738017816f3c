"""SMTP over STARTTLS and implicit TLS against a real server with a test CA: certificates
are verified, the trust store is configurable, and the server's answers decide between
retry and failure."""

import pytest

from engage.errors import PermanentError, TransientError
from notifications import mailsettings
from notifications.models import MailSettings, OutboundMessage
from notifications.services import RenderedMail, send_mail, send_test_mail
from tests.smtp_servers import SmtpServer, make_pki

# aiosmtpd cannot tell that an implicit-TLS connection is encrypted and warns about AUTH.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MAIL = RenderedMail(subject="Hello", text="Hello over TLS")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(params=["starttls", "tls"])
def server(request, pki):
    server = SmtpServer(request.param, pki).start()
    yield server
    server.stop()


@pytest.fixture
def starttls_server(pki):
    server = SmtpServer("starttls", pki).start()
    yield server
    server.stop()


def use_server(organization, server: SmtpServer, security: str | None = None) -> MailSettings:
    row = MailSettings(
        organization=organization, smtp_host="127.0.0.1", smtp_port=server.port, smtp_username="engage",
        security=security or server.security, timeout=5, from_email="news@alice.example",
    )  # fmt: skip
    mailsettings.store_secrets(row, password="pw-123")
    row.save()
    return row


def test_tls_with_a_trusted_ca_delivers(alice_org, server, pki, settings):
    settings.ENGAGE_SMTP_CA_FILE = pki.ca_file
    use_server(alice_org, server)
    ok, text = send_test_mail(organization=alice_org, to="me@example.com")
    assert ok, text
    assert server.inbox.logins == [b"engage"]
    assert len(server.inbox.raw) == 1


def test_tls_with_an_untrusted_certificate_is_a_tls_error(alice_org, server, settings):
    settings.ENGAGE_SMTP_CA_FILE = ""  # the system's trust store does not know the test CA
    use_server(alice_org, server)
    ok, text = send_test_mail(organization=alice_org, to="me@example.com")
    assert not ok
    assert text.startswith("TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert server.inbox.raw == [] and server.inbox.logins == []  # the password never left


def test_the_system_trust_store_can_be_changed_with_ssl_cert_file(
    alice_org, starttls_server, pki, settings, monkeypatch
):
    settings.ENGAGE_SMTP_CA_FILE = ""
    monkeypatch.setenv("SSL_CERT_FILE", pki.ca_file)
    use_server(alice_org, starttls_server)
    assert send_test_mail(organization=alice_org, to="me@example.com")[0]


def test_a_certificate_for_another_host_name_is_refused(alice_org, pki, settings):
    settings.ENGAGE_SMTP_CA_FILE = pki.ca_file
    server = SmtpServer("starttls", pki, hostname="127.0.0.2").start()  # the certificate names 127.0.0.1
    try:
        row = use_server(alice_org, server)
        row.smtp_host = "127.0.0.2"
        row.save()
        ok, text = send_test_mail(organization=alice_org, to="me@example.com")
    finally:
        server.stop()
    assert not ok
    assert text.startswith("TLS error:") and "127.0.0.2" in text


def test_a_server_that_wants_starttls_refuses_a_plain_login(alice_org, starttls_server, pki, settings):
    settings.ENGAGE_SMTP_CA_FILE = pki.ca_file
    use_server(alice_org, starttls_server, security="none")
    ok, text = send_test_mail(organization=alice_org, to="me@example.com")
    assert (ok, text) == (False, "The server does not support this: SMTP AUTH extension not supported by server.")


@pytest.mark.parametrize(
    ("reply", "status", "error"),
    [
        (None, OutboundMessage.Status.SENT, None),
        ("421 4.7.0 Service not available, try again later", OutboundMessage.Status.QUEUED, TransientError),
        ("451 4.3.0 Mailbox busy", OutboundMessage.Status.QUEUED, TransientError),
        ("550 5.1.1 No such user", OutboundMessage.Status.FAILED, PermanentError),
    ],
)
def test_the_servers_answer_over_tls_decides_retry_or_failure(
    alice_org, starttls_server, pki, settings, reply, status, error
):
    settings.ENGAGE_SMTP_CA_FILE = pki.ca_file
    use_server(alice_org, starttls_server)
    if reply:
        starttls_server.inbox.replies.append(reply)
        with pytest.raises(error, match=reply.split()[0]):
            send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    else:
        send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    message = OutboundMessage.objects.get()
    assert message.status == status
    assert len(starttls_server.inbox.raw) == (1 if reply is None else 0)
    if status == OutboundMessage.Status.QUEUED:
        assert message.next_attempt_at is not None  # retried later


def test_an_untrusted_certificate_in_the_outbox_is_a_tls_error_retried_later(alice_org, starttls_server, settings):
    settings.ENGAGE_SMTP_CA_FILE = ""
    use_server(alice_org, starttls_server)
    with pytest.raises(TransientError, match=r"TLS error: .*CERTIFICATE_VERIFY_FAILED"):
        send_mail(organization=alice_org, to="a@example.com", mail=MAIL)
    message = OutboundMessage.objects.get()
    assert message.status == OutboundMessage.Status.QUEUED and message.error.startswith("TLS error:")
    assert starttls_server.inbox.raw == []
