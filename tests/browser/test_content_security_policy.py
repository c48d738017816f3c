"""The Content-Security-Policy blocks nothing the admin, the preference center and the API
docs need: Chromium reports no violation while they are used."""

import pytest

from notifications.models import Sendout
from tests.browser.admin_pages import PASSWORD, log_in_to_admin
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tests.sendouts.conftest import make_group, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def violations(page):
    """Every CSP violation Chromium reports on the page, from the console and the DOM event."""
    found = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return found


def test_the_admin_pages_run_under_the_policy(page, violations):
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="admin", password=PASSWORD)
    contact = ContactFactory(organization=organization, email="erika@example.com")

    response = page.goto("/admin/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    log_in_to_admin(page)

    page.goto(f"/admin/contacts/contact/{contact.pk}/change/")
    page.locator("#contact_form").wait_for()
    page.goto("/admin/contacts/selection/add/")
    page.get_by_role("button", name="+ condition").click()  # the selection builder's script runs
    page.get_by_label("field", exact=True).wait_for()
    page.goto("/admin/notifications/preparedmessage/add/")  # the message editor's script runs
    page.locator(".placeholder-picker").first.wait_for()
    response = page.goto("/admin/automations/automation/add/")  # its inline script carries the nonce
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    sendout = make_sendout(organization, [make_group(organization, 2)])
    Sendout.objects.filter(pk=sendout.pk).update(status=Sendout.Status.SENDING)
    page.goto(f"/admin/notifications/sendout/{sendout.pk}/report/")  # its script polls and redraws the chart
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    assert violations == []


def test_the_preference_center_login_runs_under_the_policy(page, violations):
    OrganizationFactory(slug="alice", name="Alice Org")
    response = page.goto("/portal/alice/login/")
    assert "content-security-policy" in response.headers
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_the_api_docs_run_under_the_policy(page, violations):
    page.goto("/api/docs/")
    page.get_by_text("Engage integration API").first.wait_for()
    assert violations == []
