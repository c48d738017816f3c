"""The automation form offers only the jobs that fit the chosen event, says why the others
are greyed out, and clears a chosen job that no longer fits, in a real browser."""

import pytest

from contacts.models import Organization
from integrations.salesforce import soap
from integrations.salesforce.models import SalesforceConnection
from integrations.salesforce.services import receive_salesforce_message
from tests.browser.admin_pages import log_in_to_admin
from tests.factories import OrganizationFactory, UserFactory
from tests.payloads import SALESFORCE_ORG_ID, fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_jobs_that_do_not_fit_the_event_cannot_be_chosen(page, live_server):
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="marketer", password="correct horse battery staple")
    log_in_to_admin(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/admin/automations/automation/add/")

    def disabled(job: str) -> bool:
        return page.locator(f"#id_job_type option[value='{job}']").is_disabled()

    page.locator("#id_event_type").select_option("contact_created")  # K
    assert not disabled("send_password_to_contact")
    assert disabled("send_password_to_system_user")
    assert not disabled("send_prepared_message_address")  # S/K fits both

    page.locator("#id_event_type").select_option("system_user_created")  # S
    assert disabled("send_password_to_contact")
    assert not disabled("send_password_to_system_user")
    assert not disabled("send_prepared_message_address")
    assert errors == []


@pytest.fixture
def automation_form(page, live_server):
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="marketer", password="correct horse battery staple")
    log_in_to_admin(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/admin/automations/automation/add/")
    yield page
    assert errors == []


def test_each_event_shows_its_scope(automation_form):
    page = automation_form
    assert page.locator("#id_event_type option[value='contact_created']").inner_text() == "Contact created (K)"
    assert page.locator("#id_event_type option[value='group_created']").inner_text() == "Group created (S)"
    assert page.locator("#id_event_type option[value='manual']").inner_text() == "Manual (K/S)"
    assert page.locator("#id_event_type optgroup[label='System (S)'] option[value='group_created']").count() == 1


def test_a_disabled_job_says_why(automation_form):
    page = automation_form
    page.locator("#id_event_type").select_option("contact_created")
    option = page.locator("#id_job_type option[value='send_password_to_system_user']")
    assert option.is_disabled()
    assert option.get_attribute("title") == (
        "Does not fit “Contact created”: this job acts on a system user (S), the event happens to a contact (K)."
    )
    assert page.locator("#id_job_type option[value='send_password_to_contact']").get_attribute("title") == ""
    assert "Greyed-out jobs do not fit “Contact created”" in page.locator(".job-fit-hint").inner_text()


def test_switching_the_event_clears_a_job_that_no_longer_fits(automation_form):
    page = automation_form
    page.locator("#id_event_type").select_option("contact_created")
    page.locator("#id_job_type").select_option("send_password_to_contact")
    page.locator("#id_event_type").select_option("manual")  # S/K: the job still fits
    assert page.locator("#id_job_type").input_value() == "send_password_to_contact"
    assert page.locator(".job-fit-warning").is_hidden()

    page.locator("#id_event_type").select_option("group_created")  # S
    assert page.locator("#id_job_type").input_value() == ""
    warning = page.locator(".job-fit-warning")
    assert warning.is_visible()
    assert "“Send new password to contact” was cleared" in warning.inner_text()
    assert "“Group created” happens to a system user (S)" in warning.inner_text()
    assert page.locator(".job-parameters[data-job='send_password_to_contact']").is_hidden()

    page.locator("#id_job_type").select_option("send_password_to_system_user")
    assert page.locator(".job-fit-warning").is_hidden()


def test_the_condition_fields_offered_are_those_of_the_chosen_object(automation_form):
    page = automation_form
    organization = Organization.objects.get(slug="alice")
    connection = SalesforceConnection.objects.create(
        organization=organization, name="CRM", salesforce_organization_id=SALESFORCE_ORG_ID
    )
    for name in ("salesforce_outbound_case.xml", "salesforce_outbound_contacts.xml"):
        receive_salesforce_message(connection=connection, message=soap.parse(fixture(name)))
    page.reload()
    page.locator("#id_event_type").select_option("salesforce_message")

    def offered() -> set[str]:
        return set(page.locator("#salesforce-fields option").evaluate_all("options => options.map(o => o.value)"))

    assert {"Status", "FirstName"} <= offered()  # no object chosen: the fields of every object
    page.locator("#id_salesforce_object").fill("case")
    assert "Status" in offered() and "FirstName" not in offered()
    objects = page.locator("#salesforce-objects option").evaluate_all("options => options.map(o => o.value)")
    assert objects == ["Case", "Contact", "Lead"]
