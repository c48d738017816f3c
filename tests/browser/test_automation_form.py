"""The automation form offers only the jobs that fit the chosen event, in a real browser."""

import pytest

from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_jobs_that_do_not_fit_the_event_cannot_be_chosen(page, live_server):
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="marketer", password="correct horse battery staple")
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
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
