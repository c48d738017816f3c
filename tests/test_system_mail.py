"""System notifications: password resets, failed-run alerts and test mails to system users
leave through their organization's own mail settings, or the host's."""

import re

import pytest
from django.conf import settings as django_settings

from automations import maintenance
from automations.services import dispatch_due_runs
from contacts.models import Group
from engage.events import record_event
from notifications import mailsettings
from notifications.models import MailSettings, OutboundMessage
from notifications.services import send_test_mail
from tests.factories import AutomationFactory, ContactFactory, UserFactory
from tests.smtp_servers import SmtpServer

RESET = "/admin/password_reset/"


@pytest.fixture
def org_server():
    server = SmtpServer("none", auth=False).start()
    yield server
    server.stop()


@pytest.fixture
def host_settings(db, smtp_server):
    """Host-level settings pointing at the conftest server (which the environment uses too)."""
    MailSettings.objects.create(
        smtp_host="127.0.0.1", smtp_port=django_settings.EMAIL_PORT, security="none", timeout=5,
        from_email="noreply@host.example",
    )  # fmt: skip
    return smtp_server


def own_settings(organization, server: SmtpServer) -> MailSettings:
    return MailSettings.objects.create(
        organization=organization, smtp_host="127.0.0.1", smtp_port=server.port, security="none", timeout=5,
        from_email="news@alice.example",
    )  # fmt: skip


def reset_link(text: str) -> str:
    [link] = re.findall(r"http://127\.0\.0\.1:8000(/reset/[^/\s]+/[^/\s]+/)", text)
    return link


def test_the_login_page_links_to_the_password_reset(client, db):
    page = client.get("/admin/login/")
    assert f'href="{RESET}"' in page.text


def test_a_reset_for_an_organization_user_goes_through_its_own_settings(
    client, alice, alice_org, org_server, host_settings
):
    own_settings(alice_org, org_server)
    response = client.post(RESET, {"email": alice.email.upper()})
    assert response.status_code == 302 and response["Location"] == "/admin/password_reset/done/"
    assert host_settings.messages == []
    [raw] = org_server.inbox.raw
    assert b"From: Alice Org <news@alice.example>" in raw and f"To: {alice.email}".encode() in raw
    link = reset_link(raw.decode())
    message = OutboundMessage.objects.get(organization=alice_org)
    assert message.status == OutboundMessage.Status.SENT
    assert link.split("/")[3] not in message.text_body  # the token is not kept readable
    # The link works: it leads to a form that sets a new password.
    form = client.get(link, follow=True)
    assert form.status_code == 200
    new_password = {"new_password1": "N3w-Passw0rd!x", "new_password2": "N3w-Passw0rd!x"}
    done = client.post(form.redirect_chain[-1][0], new_password)
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("N3w-Passw0rd!x")


def test_an_organization_without_own_settings_uses_the_hosts(client, alice, host_settings):
    client.post(RESET, {"email": alice.email})
    [mail] = host_settings.messages
    assert mail["To"] == alice.email and mail["From"] == "Alice Org <noreply@host.example>"
    assert "/reset/" in mail.get_content()


def test_a_reset_for_a_host_user_goes_through_the_host_settings(
    client, host_admin, alice_org, org_server, host_settings
):
    own_settings(alice_org, org_server)
    response = client.post(RESET, {"email": host_admin.email})
    assert response.status_code == 302
    assert org_server.inbox.raw == []
    [mail] = host_settings.messages
    assert mail["To"] == host_admin.email and mail["From"] == "noreply@host.example"
    assert reset_link(mail.get_content())
    assert not OutboundMessage.objects.exists()  # no organization to record it under


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, alice, alice_org, org_server, host_settings):
    own_settings(alice_org, org_server)
    UserFactory(organization=alice_org, username="gone", email="gone@example.com", is_active=False)
    UserFactory(organization=alice_org, username="not-staff", email="plain@example.com", is_staff=False)
    known = client.post(RESET, {"email": alice.email})
    org_server.inbox.raw.clear()
    for address in ["nobody@example.com", "gone@example.com", "plain@example.com"]:
        unknown = client.post(RESET, {"email": address})
        assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert org_server.inbox.raw == [] and host_settings.messages == []
    assert OutboundMessage.objects.count() == 1  # alice's


def test_the_link_points_at_base_url_whatever_the_host_header(client, alice, host_settings, settings):
    settings.ALLOWED_HOSTS = ["*"]
    client.post(RESET, {"email": alice.email}, HTTP_HOST="evil.example")
    [mail] = host_settings.messages
    assert "evil.example" not in mail.get_content()
    assert reset_link(mail.get_content())


def test_an_unreachable_server_is_no_error_page_and_the_mail_is_retried(client, alice, alice_org):
    own_settings(alice_org, SmtpServer("none", auth=False))  # never started: nothing listens
    response = client.post(RESET, {"email": alice.email})
    assert response.status_code == 302 and response["Location"] == "/admin/password_reset/done/"
    message = OutboundMessage.objects.get()
    assert message.status == OutboundMessage.Status.QUEUED and message.secret_values  # waits for a retry


def test_failed_run_alerts_go_through_the_organizations_own_settings(alice, alice_org, org_server, host_settings):
    own_settings(alice_org, org_server)
    group = Group.objects.create(organization=alice_org, name="Gone")
    AutomationFactory(organization=alice_org, job_type="add_to_group", job_params={"group": group.pk})
    group.delete()  # its runs fail
    record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
    dispatch_due_runs()
    assert maintenance.send_failure_digests() == 1
    [raw] = org_server.inbox.raw
    assert f"To: {alice.email}".encode() in raw
    assert host_settings.messages == []


def test_test_mails_use_the_organizations_settings_or_the_hosts(alice_org, charlie_org, org_server, host_settings):
    own_settings(alice_org, org_server)
    assert send_test_mail(organization=alice_org, to="a@example.com")[0]
    assert send_test_mail(organization=charlie_org, to="c@example.com")[0]
    assert send_test_mail(organization=None, to="h@example.com")[0]
    assert len(org_server.inbox.raw) == 1
    assert [m["To"] for m in host_settings.messages] == ["c@example.com", "h@example.com"]
    assert mailsettings.effective(charlie_org).source == "host"
