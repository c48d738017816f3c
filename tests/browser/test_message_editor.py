"""A marketer writes a prepared message with the field picker and watches the live preview,
as a chosen contact and in each language, in a real browser."""

import pytest
from playwright.sync_api import expect

from contacts.models import AttributeDefinition
from notifications.models import PreparedMessage, PreparedMessageVariant
from tests.browser.admin_pages import PASSWORD, log_in_to_admin
from tests.factories import ContactFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_placeholder_from_the_picker_shows_in_the_preview_as_the_chosen_contact(page, live_server):
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="marketer", password=PASSWORD)
    AttributeDefinition.objects.create(organization=organization, key="tier", label="Tier", type="text")
    ContactFactory(organization=organization, email="ann@example.com", first_name="Ann", language="en")
    erika = ContactFactory(
        organization=organization, email="erika@example.com", first_name="Erika", language="de",
        attributes={"tier": "Gold"},
    )  # fmt: skip
    message = PreparedMessage.objects.create(organization=organization, name="News", is_marketing=False)
    PreparedMessageVariant.objects.create(message=message, language="de", subject="Hallo ", text_body="Text")
    PreparedMessageVariant.objects.create(message=message, language="en", subject="Hello ", text_body="Text")

    log_in_to_admin(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The broken text below is answered with a 400, which Chromium reports: no script error.
    expected = "the server responded with a status of 400"
    page.on(
        "console", lambda msg: errors.append(msg.text) if msg.type == "error" and expected not in msg.text else None
    )
    page.goto(f"/admin/notifications/preparedmessage/{message.pk}/change/")

    subject = expect(page.locator("#message-preview-subject"))
    subject.to_have_text("Hello")  # the first contact, Ann, reads English
    page.locator("#message-preview-contact").select_option(str(erika.pk))
    subject.to_have_text("Hallo")  # Erika reads German
    assert page.locator("#message-preview-language").input_value() == "de"

    german = page.locator("#id_variants-0-subject")  # variants in language order: de first
    german.click()
    german.press("End")
    page.locator('.placeholder-picker[data-for="id_variants-0-subject"]').select_option("{{ contact.first_name }}")
    assert german.input_value() == "Hallo {{ contact.first_name }}"
    subject.to_have_text("Hallo Erika")

    body = page.locator("#id_variants-0-text_body")
    body.fill("Ihre Stufe: ")
    page.locator('.placeholder-picker[data-for="id_variants-0-text_body"]').select_option(
        "{{ contact.attributes.tier }}"
    )
    expect(page.locator("#message-preview-text")).to_have_text("Ihre Stufe: Gold")

    page.locator("#message-preview-language").select_option("en")
    subject.to_have_text("Hello")  # the English variant has no placeholder yet
    page.locator("#id_variants-1-subject").fill("Hello {{ contact.first_name }} {% if %}")
    expect(page.locator("#message-preview-error")).to_contain_text("Invalid dynamic text")
    page.locator("#id_variants-1-subject").fill("Hello {{ contact.first_name }}")
    subject.to_have_text("Hello Erika")
    expect(page.locator("#message-preview-error")).to_be_hidden()
    assert errors == []


def test_a_new_message_previews_as_it_is_written_and_each_added_language_gets_a_picker(page, live_server):
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="marketer", password=PASSWORD)
    ContactFactory(organization=organization, email="ann@example.com", first_name="Ann", language="en")

    log_in_to_admin(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/admin/notifications/preparedmessage/add/")

    page.locator("#id_variants-0-language").select_option("en")
    page.locator("#id_variants-0-text_body").fill("Body")
    page.locator('.placeholder-picker[data-for="id_variants-0-subject"]').select_option("{{ organization.name }}")
    expect(page.locator("#message-preview-subject")).to_have_text("Alice Org")

    page.get_by_text("Add another Language variant").click()
    page.locator("#id_variants-1-language").select_option("de")
    expect(page.locator('.placeholder-picker[data-for="id_variants-1-subject"]')).to_have_count(1)
    expect(page.locator("#message-preview-language option")).to_have_count(2)
    page.locator("#id_variants-1-subject").fill("Hallo {{ contact.first_name }}")
    page.locator("#id_variants-1-text_body").fill("Text")
    page.locator("#message-preview-language").select_option("de")
    expect(page.locator("#message-preview-subject")).to_have_text("Hallo Ann")
    assert errors == []
