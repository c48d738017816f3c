"""A marketer answers "what happened today", "what happened to this contact" and "which
automation fails" in the admin, in a real browser."""

import pytest
from django.utils import timezone

from automations.models import Automation, Event, Run
from contacts import services
from contacts.models import Group
from notifications.models import OutboundMessage
from tests.browser.admin_pages import PASSWORD, log_in_to_admin
from tests.factories import AutomationFactory, ContactFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bob():
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    return UserFactory(username="bob", organization=organization, role="marketer", password=PASSWORD)


def mail(organization, status: str, contact=None, subject: str = "Hello") -> OutboundMessage:
    return OutboundMessage.objects.create(
        organization=organization, contact=contact, from_email="news@alice.example",
        recipient=contact.email if contact else "x@example.com", subject=subject, status=status,
    )  # fmt: skip


def run(automation: Automation, status: str, contact=None, key: str = "x") -> Run:
    event = Event.objects.create(
        organization=automation.organization, type="contact_created", contact=contact, occurred_at=timezone.now()
    )
    return Run.objects.create(
        organization=automation.organization, automation=automation, event=event, contact=contact,
        target_key=key, status=status, due_at=timezone.now(), error="boom" if status == "failed" else "",
    )  # fmt: skip


def test_the_dashboard_shows_a_chart_and_the_databases_figures(page, bob):
    organization = bob.organization
    charlie = OrganizationFactory(slug="charlie", name="Charlie Org")
    for status in ("sent", "sent", "opened", "failed", "bounced", "suppressed"):
        mail(organization, status)
    mail(charlie, "failed")
    failing = AutomationFactory(organization=organization, name="Birthday mail")
    run(failing, "failed", key="a")
    run(failing, "failed", key="b")
    log_in_to_admin(page)

    chart = page.locator("svg.mail-chart")
    chart.wait_for()
    assert chart.locator("a.chart-day").count() == 30
    assert chart.locator("a.chart-day").last.get_attribute("data-total") == "6"
    figures = {
        key: int(page.locator(f'[data-figure="mails-{key}"] .count').inner_text())
        for key in ("sent", "failed", "suppressed")
    }
    assert figures == {
        "sent": OutboundMessage.objects.filter(organization=organization, status__in=["sent", "opened"]).count(),
        "failed": OutboundMessage.objects.filter(organization=organization, status__in=["failed", "bounced"]).count(),
        "suppressed": 1,
    }
    assert "Charlie" not in page.content()

    page.locator(f'[data-figure="failing-{failing.pk}"]').click()
    page.wait_for_url("**/admin/automations/run/**")
    assert page.locator("#result_list tbody tr").count() == 2


def test_a_contacts_history_from_three_apps_links_to_its_records(page, bob):
    organization = bob.organization
    erika = ContactFactory(organization=organization, email="erika@example.com")
    news = Group.objects.create(organization=organization, name="News", is_public=True)
    services.subscribe(contact=erika, group=news, source="test")  # contacts: consent
    run(AutomationFactory(organization=organization, name="Welcome"), "succeeded", contact=erika)  # automations
    message = mail(organization, "opened", contact=erika, subject="Welcome, Erika")  # notifications
    log_in_to_admin(page)

    page.goto(f"/admin/contacts/contact/{erika.pk}/change/")
    history = page.locator("#history")
    history.wait_for()
    kinds = set(history.locator("tr.history-entry td:nth-child(2)").all_inner_texts())
    assert {"consent", "run", "mail"} <= kinds
    history.get_by_role("link", name="Welcome, Erika").click()
    page.wait_for_url(f"**/admin/notifications/outboundmessage/{message.pk}/change/")


def test_switching_on_a_second_password_automation_warns(page, bob):
    organization = bob.organization
    AutomationFactory(organization=organization, name="Welcome", job_type="send_password_to_contact")
    second = AutomationFactory(
        organization=organization, name="New welcome", job_type="send_password_to_contact", is_active=False
    )
    log_in_to_admin(page)
    page.goto("/admin/automations/automation/")
    page.locator(f'input[name="_selected_action"][value="{second.pk}"]').check()
    page.locator('select[name="action"]').select_option("activate_selected")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("“New welcome” sends a new password on the same event as “Welcome”").wait_for()
    assert page.locator(".password-conflict").count() == 2
