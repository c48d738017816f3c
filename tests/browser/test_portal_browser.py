"""A contact uses the preference center in a real browser, from the password mail on."""

import re

import pytest

from automations.models import Run
from contacts import logins, services
from contacts.models import Group, Membership
from contacts.tokens import make_unsubscribe_token

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD_LINE = re.compile(r"^ {4}(\S{14})\s*$", re.MULTILINE)


@pytest.fixture
def erika():
    organization = services.create_organization(name="Alice Org", slug="alice")  # comes with the password automation
    news = Group.objects.create(organization=organization, name="News", is_public=True)
    Group.objects.create(organization=organization, name="Events", is_public=True)
    contact = services.create_contact(organization=organization, email="erika@example.com", first_name="Erika")
    services.subscribe(contact=contact, group=news, source="test")
    return contact


def mailed_password(smtp_server) -> str:
    mail = smtp_server.messages[-1]
    return PASSWORD_LINE.search(mail.get_body(("plain",)).get_content()).group(1)


def log_in(page, email: str, password: str) -> None:
    page.goto("/portal/alice/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_contact_gets_a_password_logs_in_unsubscribes_changes_password_and_logs_out(page, erika, smtp_server):
    page.goto("/portal/alice/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill("erika@example.com")
    page.get_by_role("button", name="Send me a new password").click()
    page.get_by_text("a new password is on its way").wait_for()
    assert Run.objects.get(automation__job_type="send_password_to_contact").status == Run.Status.SUCCEEDED
    password = mailed_password(smtp_server)

    log_in(page, "erika@example.com", password)
    page.get_by_role("heading", name="Your subscriptions").wait_for()
    news = page.get_by_label("News")
    assert news.is_checked()
    news.uncheck()
    page.get_by_label("Why are you unsubscribing? (optional)").fill("Too many mails")
    page.get_by_role("button", name="Save subscriptions").click()
    page.get_by_text("Your subscriptions have been saved.").wait_for()
    membership = Membership.objects.get(contact=erika, group__name="News")
    assert (membership.state, membership.reason) == ("unsubscribed", "Too many mails")
    assert not page.get_by_label("News").is_checked()

    page.get_by_role("link", name="Password").click()
    page.get_by_label("Current password").fill(password)
    page.get_by_label(re.compile(r"^New password\W*$")).fill("Purple-Rain-1984")
    page.get_by_label("New password again").fill("Purple-Rain-1984")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password has been changed.").wait_for()

    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You have been logged out.").wait_for()
    page.goto("/portal/alice/subscriptions/")
    assert page.url.endswith("/portal/alice/login/")

    log_in(page, "erika@example.com", password)  # the old one no longer works
    page.get_by_text("The e-mail address or the password is wrong.").wait_for()
    log_in(page, "erika@example.com", "Purple-Rain-1984")
    page.get_by_role("heading", name="Your subscriptions").wait_for()


def test_errors_are_shown_next_to_the_field(page, erika):
    services.set_contact_password(contact=erika, password="Old-Pass-Word-1")
    log_in(page, "erika@example.com", "Old-Pass-Word-1")
    page.get_by_role("link", name="Password").click()
    page.get_by_label("Current password").fill("Old-Pass-Word-1")
    page.get_by_label(re.compile(r"^New password\W*$")).fill("123")
    page.get_by_label("New password again").fill("123")
    page.get_by_role("button", name="Change password").click()
    error = page.locator("#id_new_password1_error")
    error.wait_for()
    assert "too short" in error.inner_text()


def test_lockout_after_five_failures(page, erika):
    services.set_contact_password(contact=erika, password="Right-Pass-Word-1")
    for _ in range(logins.MAX_FAILURES):
        log_in(page, "erika@example.com", "wrong")
        page.get_by_text("The e-mail address or the password is wrong.").wait_for()
    log_in(page, "erika@example.com", "Right-Pass-Word-1")
    page.get_by_text("Too many failed attempts. Please wait 20 minutes and try again.").wait_for()
    assert page.url.endswith("/portal/alice/login/")


def test_one_click_unsubscribe_is_a_bare_post(page, erika):
    group = Group.objects.get(name="News")
    token = make_unsubscribe_token(erika.pk, group.pk)
    response = page.request.post(
        f"/portal/alice/unsubscribe/{token}/",
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert Membership.objects.get(contact=erika, group=group).state == "unsubscribed"


def test_unsubscribe_link_page_in_the_browser(page, erika):
    group = Group.objects.get(name="News")
    page.goto(f"/portal/alice/unsubscribe/{make_unsubscribe_token(erika.pk, group.pk)}/")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert page.get_by_role("button", name="Log out").count() == 0  # a link is not a login
    assert Membership.objects.get(contact=erika, group=group).state == "unsubscribed"


def test_a_new_password_by_mail_ends_a_lockout(page, erika, smtp_server):
    for _ in range(logins.MAX_FAILURES):
        log_in(page, "erika@example.com", "wrong-password")
    log_in(page, "erika@example.com", "still-wrong")
    page.get_by_text("Too many failed attempts").wait_for()

    page.goto("/portal/alice/forgot-password/")
    page.get_by_label("E-mail address").fill("erika@example.com")
    page.get_by_role("button", name="Send me a new password").click()
    page.get_by_text("a new password is on its way").wait_for()

    log_in(page, "erika@example.com", mailed_password(smtp_server))
    page.get_by_role("heading", name="Your subscriptions").wait_for()
