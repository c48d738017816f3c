"""The job "distribute invitation", end to end: a personal link in a prepared message, its signed token."""

from urllib.parse import parse_qs, urlsplit

import pytest

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from engage.events import record_event
from integrations.common.invitations import InvalidToken, read_invitation_token
from notifications.models import OutboundMessage, PreparedMessage, PreparedMessageVariant
from tests.factories import ContactFactory
from tests.integrations.helpers import automation_for, deliver_salesforce


@pytest.fixture
def survey_mail(alice_org):
    message = PreparedMessage.objects.create(
        organization=alice_org, name="Survey", from_email="service@alice.example", is_marketing=False
    )
    PreparedMessageVariant.objects.create(
        message=message,
        language="en",
        subject="How did we do, {{ contact.first_name }}?",
        text_body="Case {{ event.payload.fields.CaseNumber }}: {{ invitation_link }}",
    )
    return message


def test_a_closed_case_sends_a_survey_invitation_with_a_personal_link(client, alice_org, survey_mail, smtp_server):
    link = "https://survey.example.com/jfe/form/SV_1?case={{ event.payload.fields.CaseNumber }}"
    jana = ContactFactory(organization=alice_org, email="jana.mueller@example.de")
    automation = automation_for(alice_org, "distribute_invitation", message=survey_mail.pk, link=link)
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    run = Run.objects.get(automation=automation)
    assert run.status == "succeeded", run.error
    [mail] = smtp_server.messages
    assert mail["To"] == "jana.mueller@example.de"
    body = mail.get_content()
    assert body.startswith("Case 00001042: https://survey.example.com/jfe/form/SV_1?case=00001042&engage_token=")
    sent_link = body.split(": ", 1)[1].strip()
    assert sent_link == run.output["invitation_link"]
    token = parse_qs(urlsplit(sent_link).query)["engage_token"][0]
    invitation = read_invitation_token(token)
    assert (invitation.organization_id, invitation.contact_id, invitation.automation_id) == (
        alice_org.pk, jana.pk, automation.pk
    )  # fmt: skip


def test_each_contact_gets_its_own_link_and_a_changed_token_is_refused(client, alice_org, survey_mail):
    for email in ("jana.mueller@example.de", "peter.keller@example.ch", "lea.frei@example.org"):
        ContactFactory(organization=alice_org, email=email)
    automation = automation_for(alice_org, "distribute_invitation", message=survey_mail.pk, link="https://s.example/x")
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    links = {run.output["invitation_link"] for run in Run.objects.filter(automation=automation)}
    assert len(links) == 3
    assert OutboundMessage.objects.filter(organization=alice_org).count() == 3
    token = parse_qs(urlsplit(links.pop()).query)["engage_token"][0]
    with pytest.raises(InvalidToken):
        read_invitation_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_a_link_that_renders_to_no_address_fails_the_run(alice_org, survey_mail):
    automation = automation_for(
        alice_org, "distribute_invitation", event_type="manual", message=survey_mail.pk,
        link="https://{{ event.payload.host }}",
    )  # fmt: skip
    record_event(organization=alice_org, type="manual", contact=ContactFactory(organization=alice_org), payload={})
    dispatch_due_runs()
    run = Run.objects.get(automation=automation)
    assert run.status == "failed" and "not an http(s) address" in run.error
    assert not OutboundMessage.objects.exists()


def test_invitation_parameters_are_checked(alice_org, charlie_org, survey_mail):
    params = {"message": survey_mail.pk, "link": "ftp://x"}
    automation = Automation(organization=alice_org, name="x", event_type="salesforce_message",
                            job_type="distribute_invitation", job_params=params)  # fmt: skip
    with pytest.raises(Exception, match="http://"):
        automation.full_clean()
    automation.job_params["link"] = "https://survey.example.com"
    survey_mail.variants.update(text_body="No link here")
    with pytest.raises(Exception, match="invitation_link"):
        automation.full_clean()
    automation.organization = charlie_org  # another organization's prepared message is no choice
    with pytest.raises(Exception, match="valid choice"):
        automation.full_clean()
