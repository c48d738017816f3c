"""Mail settings: host level, an organization's own, "use host settings", secrets, test mail."""

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.db import connection
from django.utils import timezone

from notifications import mailsettings
from notifications.models import MailSettings, SenderDomain
from notifications.services import RenderedMail, send_mail, send_test_mail
from tests.conftest import Inbox, free_port


class AuthServer:
    """A real SMTP server on loopback that wants user "engage" with password "pw-123"."""

    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
                b"engage",
                b"pw-123",
            )
            return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticate,
            auth_require_tls=False,
            auth_exclude_mechanism=["LOGIN"],  # smtplib then tries PLAIN only, as against most servers
        )


@pytest.fixture
def auth_server():
    server = AuthServer()
    server.controller.start()
    yield server
    server.controller.stop()


def smtp_settings(organization, port, password="pw-123", **fields) -> MailSettings:  # noqa: S107
    row = MailSettings(
        organization=organization, smtp_host="127.0.0.1", smtp_port=port, smtp_username="engage",
        security="none", timeout=5, from_email=f"news@{organization.slug if organization else 'host'}.example",
        **fields,
    )  # fmt: skip
    mailsettings.store_secrets(row, password=password)
    row.save()
    return row


def test_organizations_inherit_host_settings_until_they_set_their_own(alice_org, charlie_org):
    assert mailsettings.effective(alice_org).source == "environment"
    smtp_settings(None, 2525)
    assert mailsettings.effective(alice_org).source == "host"
    own = smtp_settings(alice_org, 2526)
    assert mailsettings.effective(alice_org).options["port"] == 2526
    assert mailsettings.effective(charlie_org).options["port"] == 2525
    own.use_host_settings = True
    own.save()
    assert mailsettings.effective(alice_org).source == "host"


def test_passwords_are_encrypted_at_rest_and_never_shown(client, alice, alice_org):
    row = smtp_settings(alice_org, 2526, password="Sup3r-Secret!")
    with connection.cursor() as cursor:
        cursor.execute("SELECT smtp_password FROM notifications_mailsettings WHERE id = %s", [row.pk])
        raw = cursor.fetchone()[0]
    assert raw and "Sup3r-Secret!" not in raw
    assert mailsettings.effective(alice_org).options["password"] == "Sup3r-Secret!"
    client.force_login(alice)
    page = client.get(f"/admin/notifications/mailsettings/{row.pk}/change/")
    assert page.status_code == 200 and "Sup3r-Secret!" not in page.text and raw not in page.text


def verify(organization, domain: str) -> SenderDomain:
    return SenderDomain.objects.create(organization=organization, domain=domain, verified_at=timezone.now())


def test_saving_without_a_new_password_keeps_the_old_one(client, alice, alice_org):
    row = smtp_settings(alice_org, 2526, password="keep-me")
    verify(alice_org, "alice.example")
    client.force_login(alice)
    data = {
        "transport": "smtp", "smtp_host": "mail.example.com", "smtp_domain": "", "smtp_port": "587",
        "smtp_username": "engage", "password": "", "security": "starttls", "timeout": "30", "esp": "",
        "from_email": "news@alice.example", "from_name": "Alice",
    }  # fmt: skip
    assert client.post(f"/admin/notifications/mailsettings/{row.pk}/change/", data).status_code == 302
    assert mailsettings.effective(alice_org).options == {
        "host": "mail.example.com", "port": 587, "username": "engage", "password": "keep-me",
        "use_tls": True, "use_ssl": False, "timeout": 30,
    }  # fmt: skip
    data["clear_password"] = "on"
    client.post(f"/admin/notifications/mailsettings/{row.pk}/change/", data)
    assert mailsettings.effective(alice_org).options["password"] == ""


def test_an_organization_can_send_through_an_esp(alice_org):
    row = MailSettings(organization=alice_org, transport="esp", esp="postmark", from_email="news@alice.example")
    mailsettings.store_secrets(row, esp_credentials={"server_token": "pm-token"})
    row.save()
    backend = mailsettings.connection_for(alice_org)
    assert type(backend).__module__ == "anymail.backends.postmark"
    assert backend.server_token == "pm-token"


def test_each_organization_sends_through_its_own_server(alice_org, charlie_org, auth_server, smtp_server):
    from django.conf import settings

    smtp_settings(None, settings.EMAIL_PORT, password="")  # host: the plain test server
    smtp_settings(alice_org, auth_server.port)  # Alice: her own server, with login
    mail = RenderedMail(subject="Hi", text="Hello")
    send_mail(organization=alice_org, to="a@example.com", mail=mail)
    send_mail(organization=charlie_org, to="c@example.com", mail=mail)
    assert [m["To"] for m in auth_server.inbox.messages] == ["a@example.com"]
    assert auth_server.inbox.messages[0]["From"] == "Alice Org <news@alice.example>"  # its name, none set
    assert [m["To"] for m in smtp_server.messages] == ["c@example.com"]


def test_test_mail_reports_what_happened(alice_org, auth_server):
    row = smtp_settings(alice_org, auth_server.port)
    ok, text = send_test_mail(organization=alice_org, to="me@example.com")
    assert ok and text.startswith("Accepted by the server (organization settings), Message-ID <")
    mailsettings.store_secrets(row, password="wrong")
    row.save()
    ok, text = send_test_mail(organization=alice_org, to="me@example.com")
    assert not ok and text.startswith("Authentication failed")
    row.smtp_port = free_port()
    row.save()
    ok, text = send_test_mail(organization=alice_org, to="me@example.com")
    assert (ok, text) == (False, "Connection refused: nothing accepts connections at that host and port.")


def test_test_mail_page_in_the_admin(client, alice, alice_org, auth_server):
    row = smtp_settings(alice_org, auth_server.port)
    client.force_login(alice)
    page = client.post(f"/admin/notifications/mailsettings/{row.pk}/test/", {"to": "me@example.com"})
    assert "Accepted by the server" in page.text
    assert len(auth_server.inbox.messages) == 1


def test_an_organization_has_one_row_and_cannot_see_the_hosts(client, alice, bob, alice_org):
    host = smtp_settings(None, 2525)
    smtp_settings(alice_org, 2526)
    client.force_login(alice)
    assert client.get(f"/admin/notifications/mailsettings/{host.pk}/change/").status_code == 404
    assert client.get("/admin/notifications/mailsettings/add/").status_code == 403  # she has hers
    client.force_login(bob)
    assert client.get("/admin/notifications/mailsettings/").status_code == 403  # admins only


def test_keys_rotate_without_losing_secrets(alice_org, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from engage import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENGAGE_ENCRYPTION_KEYS = [old]
    crypto._fernet.cache_clear()
    smtp_settings(alice_org, 2526, password="rotate-me")
    settings.ENGAGE_ENCRYPTION_KEYS = [new, old]
    crypto._fernet.cache_clear()
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.ENGAGE_ENCRYPTION_KEYS = [new]  # the old key is gone
    crypto._fernet.cache_clear()
    try:
        assert mailsettings.effective(alice_org).options["password"] == "rotate-me"
    finally:
        crypto._fernet.cache_clear()


def settings_form(**changes) -> dict:
    return {
        "transport": "smtp", "smtp_host": "mail.example.com", "smtp_domain": "", "smtp_port": "587",
        "smtp_username": "", "password": "", "security": "starttls", "timeout": "30", "esp": "",
        "from_email": "news@alice.example", "from_name": "Alice", **changes,
    }  # fmt: skip


def test_an_organizations_from_address_must_use_its_verified_domain(client, alice, alice_org, charlie_org):
    verify(charlie_org, "alice.example")  # verified by somebody else: no use to Alice
    client.force_login(alice)
    response = client.post("/admin/notifications/mailsettings/add/", settings_form())
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["from_email"] == [
        "alice.example is not a verified sender domain. Add it under Sender domains and verify it first."
    ]
    assert not MailSettings.objects.exists()
    verify(alice_org, "alice.example")
    assert client.post("/admin/notifications/mailsettings/add/", settings_form()).status_code == 302
    assert MailSettings.objects.get().organization == alice_org


def test_the_hosts_from_address_and_inherited_settings_are_not_checked(client, alice, host_admin, alice_org):
    client.force_login(host_admin)
    response = client.post("/admin/notifications/mailsettings/add/", settings_form(from_email="noreply@host.example"))
    assert response.status_code == 302
    client.force_login(alice)
    inherit = settings_form(use_host_settings="on", from_email="news@unverified.example")
    assert client.post("/admin/notifications/mailsettings/add/", inherit).status_code == 302
    assert MailSettings.objects.get(organization=alice_org).use_host_settings


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_a_port_that_cannot_exist_is_a_form_error(client, alice, alice_org, port):
    verify(alice_org, "alice.example")
    client.force_login(alice)
    response = client.post("/admin/notifications/mailsettings/add/", settings_form(smtp_port=port))
    assert response.status_code == 200
    assert "smtp_port" in response.context["adminform"].form.errors
    assert not MailSettings.objects.exists()


def test_a_providers_key_typed_in_the_admin_is_stored_encrypted(client, alice, alice_org):
    verify(alice_org, "alice.example")
    client.force_login(alice)
    data = settings_form(transport="esp", esp="postmark", esp_api_key="pm-Typed-Token")
    assert client.post("/admin/notifications/mailsettings/add/", data).status_code == 302
    row = MailSettings.objects.get(organization=alice_org)
    assert row.esp_credentials and "pm-Typed-Token" not in row.esp_credentials
    assert mailsettings.effective(alice_org).options == {"server_token": "pm-Typed-Token"}
