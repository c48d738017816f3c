"""Mails to contacts come from the organization, by name, in well-formed headers."""

import email.header
import email.utils

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


def test_marketing_mail_from_its_own_address_carries_the_organizations_name(alice_org, smtp_server):
    from notifications.models import PreparedMessage, PreparedMessageVariant
    from notifications.prepared import render_prepared

    message = PreparedMessage.objects.create(organization=alice_org, name="News", from_email="news@alice.example")
    PreparedMessageVariant.objects.create(message=message, language="en", subject="Hi", text_body="Hello")
    contact = ContactFactory(organization=alice_org, language="en")
    prepared = render_prepared(message, contact=contact)
    send_mail(organization=alice_org, to=contact.email, mail=prepared.mail, from_email=prepared.from_email)
    assert smtp_server.messages[0]["From"] == "Alice Org <news@alice.example>"
    message.from_name = "Alice's News"
    assert render_prepared(message, contact=contact).from_email == "Alice's News <news@alice.example>"


def test_a_name_in_the_organizations_own_mail_settings_is_its_display_name(alice_org):
    from notifications.mailsettings import sender
    from notifications.models import MailSettings

    MailSettings.objects.create(organization=alice_org, smtp_host="smtp.alice.example", from_name="Alice Team")
    assert sender(alice_org, "news@alice.example") == "Alice Team <news@alice.example>"
    MailSettings.objects.filter(organization=alice_org).update(use_host_settings=True)
    assert sender(alice_org, "news@alice.example") == "Alice Org <news@alice.example>"


def test_a_sendout_from_its_own_address_carries_the_organizations_name(mueller):
    from notifications.models import PreparedMessage, PreparedMessageVariant, Sendout
    from notifications.sendouts import render_for

    message = PreparedMessage.objects.create(organization=mueller, name="News")
    PreparedMessageVariant.objects.create(message=message, language="en", subject="Hi", text_body="Hello")
    sendout = Sendout.objects.create(organization=mueller, name="May", message=message, from_email="news@m.example")
    from_email = render_for(sendout, ContactFactory(organization=mueller, language="en")).from_email
    name, address = email.utils.parseaddr(from_email)
    assert (str(email.header.make_header(email.header.decode_header(name))), address) == (
        "Müller & Töchter Gartenbedarf AG Zürich",
        "news@m.example",
    )
