"""What the tests of the integrations share: an automation with a job, a Salesforce message
delivered to the inbound endpoint (whose runs are then dispatched). ActiveCampaign on
loopback is in tests/integrations/activecampaign/loopback.py."""

from automations.models import Automation
from automations.services import dispatch_due_runs
from integrations.salesforce.models import SalesforceConnection
from tests.payloads import SALESFORCE_ORG_ID, fixture


def automation_for(org, job_type, event_type="salesforce_message", **params) -> Automation:
    automation = Automation(
        organization=org, name=job_type, event_type=event_type, job_type=job_type, job_params=params
    )
    automation.full_clean()
    automation.save()
    return automation


def deliver_salesforce(client, org, name: str) -> None:
    connection, _ = SalesforceConnection.objects.get_or_create(
        organization=org, name="CRM", defaults={"salesforce_organization_id": SALESFORCE_ORG_ID}
    )
    url = f"/inbound/salesforce/{connection.token}/"
    assert client.post(url, fixture(name), content_type="text/xml").status_code == 200
    dispatch_due_runs()
