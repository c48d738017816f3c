"""DKIM: mail from a verified sender domain leaves the SMTP connection signed with the
domain's key, and a receiver verifies the signature against the published public key."""

import dkim
import pytest
from django.utils import timezone

from notifications import mailsettings
from notifications.domains import records_to_publish
from notifications.models import MailSettings, SenderDomain
from notifications.services import RenderedMail, send_mail
from tests.smtp_servers import SmtpServer

MAIL = RenderedMail(subject="Grüße", text="Hallo Erika,\n\ndie Neuigkeiten.\n", html="<p>Hallo Erika</p>")
UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://engage.example/u/abc>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


@pytest.fixture
def server():
    server = SmtpServer("none", auth=False).start()
    yield server
    server.stop()


@pytest.fixture
def alice_domain(alice_org):
    return SenderDomain.objects.create(
        organization=alice_org, domain="alice.example", dkim_selector="s2026", verified_at=timezone.now()
    )


def use_server(organization, server: SmtpServer) -> None:
    row = MailSettings(
        organization=organization, smtp_host="127.0.0.1", smtp_port=server.port, smtp_username="",
        security="none", timeout=5, from_email="news@alice.example",
    )  # fmt: skip
    row.save()


def published(domain: SenderDomain):
    """A DNS for dkimpy that holds the domain's DKIM record as Engage told to publish it."""
    [record] = [r for r in records_to_publish(domain) if r.kind == "dkim"]
    asked = []

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        asked.append(name)
        return record.value.encode() if name == f"{record.name}.".encode() else None

    return dnsfunc, asked


def test_mail_from_a_verified_domain_is_signed_and_verifies(alice_org, alice_domain, server):
    use_server(alice_org, server)
    send_mail(organization=alice_org, to="erika@example.com", mail=MAIL, headers=UNSUBSCRIBE)
    [raw] = server.inbox.raw
    assert raw.startswith(b"DKIM-Signature: ")
    dnsfunc, asked = published(alice_domain)
    assert dkim.verify(raw, dnsfunc=dnsfunc)
    assert asked == [b"s2026._domainkey.alice.example."]
    signature = dkim.DKIM(raw)
    signature.verify(dnsfunc=dnsfunc)
    signed = {name.lower() for name, _ in signature.signed_headers}
    assert {b"from", b"to", b"subject", b"message-id", b"list-unsubscribe", b"list-unsubscribe-post"} <= signed


def test_a_changed_mail_no_longer_verifies(alice_org, alice_domain, server):
    use_server(alice_org, server)
    send_mail(organization=alice_org, to="erika@example.com", mail=MAIL)
    [raw] = server.inbox.raw
    dnsfunc, _ = published(alice_domain)
    assert not dkim.verify(raw.replace(b"Neuigkeiten", b"Rechnungen").replace(b"Hallo", b"Hello"), dnsfunc=dnsfunc)
    other = SenderDomain.objects.create(organization=alice_org, domain="other.example")
    assert not dkim.verify(raw, dnsfunc=lambda name, timeout=5: f"v=DKIM1; k=rsa; p={other.dkim_public_key}".encode())


@pytest.mark.parametrize(
    "from_email",
    ["news@unverified.example", "news@charlie.example", "news@mail.alice.example"],
)
def test_mail_from_other_domains_is_not_signed(alice_org, charlie_org, alice_domain, server, from_email):
    SenderDomain.objects.create(organization=alice_org, domain="unverified.example")
    SenderDomain.objects.create(organization=charlie_org, domain="charlie.example", verified_at=timezone.now())
    use_server(alice_org, server)
    send_mail(organization=alice_org, to="erika@example.com", mail=MAIL, from_email=from_email)
    [raw] = server.inbox.raw
    assert b"DKIM-Signature" not in raw


def test_the_environments_smtp_server_signs_too(alice_org, alice_domain, smtp_server):
    assert mailsettings.effective(alice_org).source == "environment"
    send_mail(organization=alice_org, to="erika@example.com", mail=MAIL, from_email="news@alice.example")
    [received] = smtp_server.messages
    tags = dict(tag.strip().split("=", 1) for tag in received["DKIM-Signature"].split(";") if "=" in tag)
    assert (tags["d"], tags["s"]) == ("alice.example", "s2026")
