"""The prepared-message editor: its field picker's placeholders and the live preview of
an unsaved language variant, rendered as a contact of the message's organization."""

import json

import pytest

from contacts.models import AttributeDefinition
from notifications.models import PreparedMessage, PreparedMessageVariant
from tests.factories import ContactFactory

DRAFT = "/admin/notifications/preparedmessage/draft-preview/"


@pytest.fixture
def newsletter(alice_org):
    message = PreparedMessage.objects.create(organization=alice_org, name="Newsletter")
    PreparedMessageVariant.objects.create(message=message, language="en", subject="Saved", text_body="Saved")
    return message


@pytest.fixture
def erika(alice_org):
    return ContactFactory(
        organization=alice_org,
        email="erika@example.com",
        first_name="Erika",
        language="de",
        attributes={"tier": "gold"},
    )


def preview(client, url: str, **draft) -> tuple[int, dict]:
    body = {"language": "en", "subject": "", "html_body": "", "text_body": "x", "is_marketing": False, **draft}
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def draft_of(message) -> str:
    return f"/admin/notifications/preparedmessage/{message.pk}/draft-preview/"


def test_it_renders_the_unsaved_text_as_the_chosen_contact(client, bob, newsletter, erika):
    client.force_login(bob)
    status, body = preview(
        client,
        draft_of(newsletter),
        contact=erika.pk,
        language="de",
        subject="Hallo {{ contact.first_name }}",
        html_body="<p>Stufe: {{ contact.attributes.tier }}</p>",
        text_body="",
    )
    assert status == 200
    assert body["subject"] == "Hallo Erika"
    assert "<p>Stufe: gold</p>" in body["html"] and "Stufe: gold" in body["text"]
    assert body["headers"] == {}  # transactional: no unsubscribe
    newsletter.refresh_from_db()
    assert newsletter.variants.get().subject == "Saved"  # nothing is saved


def test_marketing_mail_previews_with_its_unsubscribe_link(client, bob, newsletter, erika):
    client.force_login(bob)
    status, body = preview(client, draft_of(newsletter), contact=erika.pk, is_marketing=True, text_body="Hi")
    assert status == 200 and "List-Unsubscribe" in body["headers"]
    assert "/unsubscribe/" in body["text"]


def test_a_new_message_previews_in_the_members_organization(client, bob, erika):
    client.force_login(bob)
    status, body = preview(client, DRAFT, contact=erika.pk, subject="{{ organization.name }}")
    assert (status, body["subject"]) == (200, "Alice Org")


def test_without_a_contact_the_placeholders_are_empty(client, bob, newsletter):
    client.force_login(bob)
    status, body = preview(client, draft_of(newsletter), contact="", subject="Hi {{ contact.first_name }}!")
    assert (status, body["subject"]) == (200, "Hi !")


def test_another_organizations_message_is_a_404(client, charlie, newsletter):
    client.force_login(charlie)
    response = client.post(draft_of(newsletter), "{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.parametrize("url", [DRAFT, "message"])
def test_another_organizations_contact_is_a_404(client, charlie, newsletter, erika, charlie_org, url):
    theirs = PreparedMessage.objects.create(organization=charlie_org, name="Theirs")
    client.force_login(charlie)
    response = client.post(
        DRAFT if url == DRAFT else draft_of(theirs),
        json.dumps({"contact": erika.pk, "language": "en", "text_body": "{{ contact.first_name }}"}),
        content_type="application/json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize("contact", ["abc", "-1", "99999999999999999999"])
def test_a_contact_that_is_no_id_is_a_404(client, bob, newsletter, contact):
    client.force_login(bob)
    response = client.post(
        draft_of(newsletter), json.dumps({"contact": contact, "language": "en"}), content_type="application/json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("draft", "field", "message"),
    [
        ({"subject": "Hi {% if %}"}, "subject", "Invalid dynamic text"),
        ({"html_body": "{{ contact.first_name|nosuchfilter }}"}, "html_body", "Invalid filter: 'nosuchfilter'"),
        ({"text_body": "{% include 'secret.html' %}"}, "html_body", "Invalid dynamic text: secret.html"),
        ({"text_body": "", "html_body": ""}, "html_body", "Write an HTML body, a text body, or both."),
        ({"language": "fr"}, "language", "Choose one of the message's languages."),
    ],
)
def test_broken_input_is_a_400_with_the_message_on_its_field(client, bob, newsletter, draft, field, message):
    client.force_login(bob)
    status, body = preview(client, draft_of(newsletter), **draft)
    assert status == 400
    assert message in " ".join(body["errors"][field])


def test_a_body_that_is_no_json_object_is_a_400(client, bob, newsletter):
    client.force_login(bob)
    response = client.post(draft_of(newsletter), "[1]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"] == ["Send the draft as a JSON object."]


def test_a_host_administrator_adding_a_message_names_the_organization(client, host_admin, alice_org):
    client.force_login(host_admin)
    assert preview(client, DRAFT)[0] == 400
    status, body = preview(client, DRAFT, organization=alice_org.pk, subject="{{ organization.name }}")
    assert (status, body["subject"]) == (200, "Alice Org")


def test_the_editor_offers_the_organizations_fields_and_contacts(client, bob, newsletter, erika, charlie_org):
    AttributeDefinition.objects.create(organization=newsletter.organization, key="tier", label="Tier", type="text")
    AttributeDefinition.objects.create(organization=charlie_org, key="theirs", label="Theirs", type="text")
    ContactFactory(organization=charlie_org, email="charlie-contact@example.com")
    client.force_login(bob)
    response = client.get(f"/admin/notifications/preparedmessage/{newsletter.pk}/change/")
    options = response.context["editor_options"]
    inserted = [text for group in options["placeholders"] for _label, text in group["options"]]
    assert "{{ contact.first_name }}" in inserted and "{{ contact.attributes.tier }}" in inserted
    assert "{{ event.payload }}" in inserted and "{{ contact.attributes.theirs }}" not in inserted
    assert [c.email for c in response.context["preview_contacts"]] == ["erika@example.com"]
    assert f'data-url="{draft_of(newsletter)}"' in response.text
    assert 'data-url="' + DRAFT + '"' in client.get("/admin/notifications/preparedmessage/add/").text
