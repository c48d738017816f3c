"""Mails to contacts come from the organization, by name, in well-formed headers."""

import pytest

from notifications.services import RenderedMail, render_mail, send_mail
from tests.factories import ContactFactory, OrganizationFactory


@pytest.fixture
def mueller(db):
    return OrganizationFactory(name="Müller & Töchter Gartenbedarf AG Zürich", slug="mueller")


def test_without_settings_of_its_own_an_organization_sends_under_its_name(alice_org, smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "Engage <noreply@engage.example>"
    send_mail(organization=alice_org, to="a@example.com", mail=RenderedMail(subject="Hi", text="Hello"))
    assert smtp_server.messages[0]["From"] == "Alice Org <noreply@engage.example>"


def test_a_long_german_subject_has_no_leading_space_and_no_html_entities(mueller, smtp_server):
    contact = ContactFactory(organization=mueller, email="k@example.com", language="de")
    mail = render_mail(
        "new_password_contact",
        {"contact": contact, "organization": mueller, "password": "x", "portal_url": "https://p.example/"},
        language="de",
    )
    send_mail(organization=mueller, to=contact.email, mail=mail)
    subject = smtp_server.messages[0]["Subject"]
    assert subject == f"Ihr neues Passwort für das Präferenzcenter von {mueller.name}"
    assert smtp_server.messages[0]["From"].startswith("Müller & Töchter")


def test_the_english_password_mail_starts_its_sentence_with_a_capital(alice_org):
    contact = ContactFactory(organization=alice_org, first_name="Erika", language="en")
    mail = render_mail(
        "new_password_contact",
        {"contact": contact, "organization": alice_org, "password": "x", "portal_url": "https://p.example/"},
        language="en",
    )
    assert "Hello Erika,\n\nHere is your new password for the Alice Org preference center:" in mail.text
