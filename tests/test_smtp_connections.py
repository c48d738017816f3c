"""Mail to one SMTP server leaves over several connections in parallel, kept open between
batches; every mail is sent and recorded once."""

import pytest
from aiosmtpd.controller import Controller

from notifications import smtppool
from notifications.models import OutboundMessage
from notifications.services import RenderedMail, deliver, enqueue_mail
from tests.conftest import Inbox, free_port


class CountingInbox(Inbox):
    """Notes the connection (client port) each mail arrived on."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list = []

    async def handle_DATA(self, server, session, envelope):
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def counting_server(settings):
    inbox = CountingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.ENGAGE_SMTP_CONNECTIONS = 4
    settings.ENGAGE_MAILS_PER_MINUTE = 100_000
    yield inbox
    smtppool.close_all()
    controller.stop()


def queue_mails(organization, count: int, prefix: str = "m") -> list[int]:
    mail = RenderedMail(subject="Hi", text="Hello", html="<p>Hello</p>")
    return [enqueue_mail(organization=organization, to=f"{prefix}{n}@example.com", mail=mail).pk for n in range(count)]


def test_a_large_batch_leaves_over_several_connections_each_mail_once(alice_org, counting_server):
    ids = queue_mails(alice_org, 200)

    assert deliver(ids) == 200

    recipients = [message["To"] for message in counting_server.messages]
    assert sorted(recipients) == sorted(f"m{n}@example.com" for n in range(200))
    assert len(set(counting_server.peers)) == 4
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 200


def test_a_small_batch_keeps_one_connection(alice_org, counting_server):
    assert deliver(queue_mails(alice_org, 60)) == 60

    assert len(set(counting_server.peers)) == 1


def test_a_host_can_be_capped_to_fewer_connections(alice_org, counting_server, settings):
    settings.ENGAGE_SMTP_CONNECTIONS_PER_HOST = {"127.0.0.1": 2}

    assert deliver(queue_mails(alice_org, 200)) == 200

    assert len(set(counting_server.peers)) == 2


def test_the_next_batch_reuses_the_open_connections(alice_org, counting_server):
    deliver(queue_mails(alice_org, 100, prefix="a"))
    first = set(counting_server.peers)

    deliver(queue_mails(alice_org, 100, prefix="b"))

    assert len(first) == 2
    assert set(counting_server.peers) == first


def test_a_connection_the_server_dropped_is_replaced(alice_org, counting_server):
    deliver(queue_mails(alice_org, 1, prefix="a"))
    for _, connection in [entry for entries in smtppool._idle.values() for entry in entries]:
        connection.connection.sock.close()  # the server hung up while the connection was idle

    assert deliver(queue_mails(alice_org, 1, prefix="b")) == 1
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 2


def test_a_failure_on_one_connection_is_recorded_for_its_mail_only(alice_org, counting_server):
    counting_server.replies = ["550 5.1.1 No such user"]
    ids = queue_mails(alice_org, 100)

    assert deliver(ids) == 99

    failed = OutboundMessage.objects.get(status=OutboundMessage.Status.FAILED)
    assert "550" in failed.error
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 99
