"""Prepared messages: language variants, dynamic text, safe HTML and headers, the two jobs."""

import re

import pytest
from django.test import Client

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from contacts import services
from contacts.models import Group, Membership
from engage.events import record_event
from notifications.models import PreparedMessage, PreparedMessageVariant
from notifications.prepared import render_prepared
from tests.factories import ContactFactory, UserFactory

HTML = """<html><head><style>p { color: #123456; }</style></head><body>
<p>Hallo {{ contact.first_name }}, Ihr Punktestand: {{ contact.attributes.points }}.</p>
<p>Letzte Bestellung: {{ transactions.0.data.order }}</p></body></html>"""


@pytest.fixture
def newsletter(alice_org):
    message = PreparedMessage.objects.create(organization=alice_org, name="Newsletter", from_email="news@alice.example")
    PreparedMessageVariant.objects.create(
        message=message, language="de", subject="Hallo {{ contact.first_name }}", preheader="Neu im Mai", html_body=HTML
    )
    PreparedMessageVariant.objects.create(
        message=message,
        language="en",
        subject="Hello {{ contact.first_name }}",
        text_body="Hello {{ contact.first_name }}",
    )
    return message


def test_the_contacts_language_variant_with_dynamic_text(alice_org, newsletter):
    contact = ContactFactory(organization=alice_org, language="de", first_name="Erika", attributes={"points": 42})
    services.add_transaction(contact=contact, type="order", data={"order": "A-7"})
    prepared = render_prepared(newsletter, contact=contact)
    assert prepared.mail.subject == "Hallo Erika"
    assert "Ihr Punktestand: 42." in prepared.mail.html and "Letzte Bestellung: A-7" in prepared.mail.html
    assert 'style="color: #123456;"' in prepared.mail.html  # CSS inlined
    assert "Neu im Mai" in prepared.mail.html and "display:none" in prepared.mail.html  # preheader, hidden
    assert "Hallo Erika, Ihr Punktestand: 42." in prepared.mail.text  # text made from the HTML
    assert prepared.from_email == "Alice Org <news@alice.example>"  # the organization's name by default


def test_hostile_data_is_escaped_and_cannot_reach_headers(alice_org, newsletter, smtp_server):
    contact = ContactFactory(
        organization=alice_org, language="de", first_name="<script>x</script>\r\nBcc: victim@example.com"
    )
    prepared = render_prepared(newsletter, contact=contact)
    assert "<script>" not in prepared.mail.html and "&lt;script&gt;" in prepared.mail.html
    assert "\n" not in prepared.mail.subject and "\r" not in prepared.mail.subject
    from notifications.services import send_mail

    send_mail(organization=alice_org, to=contact.email, mail=prepared.mail, headers=prepared.headers)
    [received] = smtp_server.messages
    assert received["Bcc"] is None
    assert received["Subject"].startswith("Hallo <script>x</script> Bcc: victim@example.com")


def test_marketing_mail_has_one_click_unsubscribe_that_works(alice_org, newsletter, smtp_server):
    news = Group.objects.create(organization=alice_org, name="News")
    contact = ContactFactory(organization=alice_org, language="en", first_name="Ann")
    services.subscribe(contact=contact, group=news, source="test")
    automation = Automation(
        organization=alice_org, name="send", event_type="manual", job_type="send_prepared_message_contact",
        job_params={"message": newsletter.pk},
    )  # fmt: skip
    automation.full_clean()
    automation.save()
    record_event(organization=alice_org, type="manual", contact=contact)
    dispatch_due_runs()
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Hello Ann"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip().strip("<>")
    assert "Unsubscribe: " + url in mail.get_body(("plain",)).get_content()
    path = "/" + url.split("/", 3)[3]
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Membership.objects.get(contact=contact).state == "unsubscribed"


def test_transactional_mail_has_no_unsubscribe(alice_org, newsletter):
    newsletter.is_marketing = False
    newsletter.save()
    prepared = render_prepared(newsletter, contact=ContactFactory(organization=alice_org, language="en"))
    assert prepared.headers == {} and "Unsubscribe" not in prepared.mail.text


def test_send_to_an_address_from_the_event_for_a_system_event(alice, newsletter, smtp_server):
    automation = Automation(
        organization=alice.organization,
        name="tell sales",
        event_type="manual",
        job_type="send_prepared_message_address",
        job_params={"message": newsletter.pk, "address": "{{ event.payload.notify }}"},
    )
    automation.full_clean()
    automation.save()
    user = UserFactory(organization=alice.organization)
    record_event(organization=alice.organization, type="manual", user=user, payload={"notify": "sales@alice.example"})
    record_event(organization=alice.organization, type="manual", user=user, payload={"notify": "not an address"})
    dispatch_due_runs()
    assert [m["To"] for m in smtp_server.messages] == ["sales@alice.example"]
    assert "List-Unsubscribe" not in smtp_server.messages[0]
    failed = Run.objects.get(status="failed")
    assert "“not an address” is not an e-mail address." in failed.error


def test_template_errors_are_form_errors_at_save(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/notifications/preparedmessage/add/",
        {
            "name": "Broken", "is_marketing": "on", "from_email": "", "from_name": "",
            "variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "0", "variants-MIN_NUM_FORMS": "1",
            "variants-MAX_NUM_FORMS": "1000", "variants-0-language": "en",
            "variants-0-subject": "Hi {% if %}", "variants-0-html_body": "<p>x</p>",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "Invalid dynamic text" in response.text
    assert not PreparedMessage.objects.exists()


def test_preview_as_a_chosen_contact_and_not_for_other_organizations(client, alice, charlie, alice_org, newsletter):
    erika = ContactFactory(organization=alice_org, language="de", first_name="Erika")
    ContactFactory(organization=alice_org, language="en", first_name="Ann")
    client.force_login(alice)
    page = client.get(f"/admin/notifications/preparedmessage/{newsletter.pk}/preview/", {"contact": erika.pk})
    assert page.status_code == 200
    assert '<td id="preview-subject">Hallo Erika</td>' in page.text
    assert "List-Unsubscribe" in page.text
    client.force_login(charlie)
    assert client.get(f"/admin/notifications/preparedmessage/{newsletter.pk}/preview/").status_code == 404


def post_prepared_message(client, from_email: str):
    return client.post(
        "/admin/notifications/preparedmessage/add/",
        {
            "name": "News", "is_marketing": "on", "from_email": from_email, "from_name": "",
            "variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "0", "variants-MIN_NUM_FORMS": "1",
            "variants-MAX_NUM_FORMS": "1000", "variants-0-language": "en",
            "variants-0-subject": "Hi", "variants-0-html_body": "<p>x</p>",
        },
    )  # fmt: skip


@pytest.mark.parametrize(
    ("from_email", "error"),
    [
        ("news@unknown.example", "unknown.example is not a verified sender domain. Use one of: alice.example."),
        ("news@pending.example", "pending.example is not a verified sender domain. Use one of: alice.example."),
        ("news@charlie.example", "charlie.example is not a verified sender domain. Use one of: alice.example."),
    ],
)
def test_the_from_address_must_use_a_verified_domain(client, alice, alice_org, charlie_org, from_email, error):
    from django.utils import timezone

    from notifications.models import SenderDomain

    SenderDomain.objects.create(organization=alice_org, domain="alice.example", verified_at=timezone.now())
    SenderDomain.objects.create(organization=alice_org, domain="pending.example")
    SenderDomain.objects.create(organization=charlie_org, domain="charlie.example", verified_at=timezone.now())
    client.force_login(alice)
    response = post_prepared_message(client, from_email)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["from_email"] == [error]
    assert not PreparedMessage.objects.exists()
    assert post_prepared_message(client, "news@Alice.example").status_code == 302
    assert PreparedMessage.objects.get().from_email == "news@Alice.example"


def test_without_verified_domains_only_the_default_from_address_can_be_used(client, alice):
    client.force_login(alice)
    response = post_prepared_message(client, "news@alice.example")
    assert response.context["adminform"].form.errors["from_email"] == [
        "alice.example is not a verified sender domain. Add it under Sender domains and verify it first."
    ]
    assert post_prepared_message(client, "").status_code == 302  # the mail settings' default


@pytest.mark.parametrize("chosen", ["abc", "99999999999999999999", "-1"])
def test_preview_with_a_contact_that_is_no_id_shows_the_first_contact(client, alice, alice_org, newsletter, chosen):
    ContactFactory(organization=alice_org, email="a@example.com", first_name="Anna")
    client.force_login(alice)
    page = client.get(f"/admin/notifications/preparedmessage/{newsletter.pk}/preview/", {"contact": chosen})
    assert page.status_code == 200
    assert "Anna" in page.text


def test_marketing_text_made_from_html_has_one_unsubscribe_link_in_the_mails_language(alice_org, newsletter):
    newsletter.is_marketing = True
    newsletter.save()
    contact = ContactFactory(organization=alice_org, language="de", first_name="Erika")
    mail = render_prepared(newsletter, contact=contact).mail
    url = re.search(r'href="([^"]+/unsubscribe/[^"]+)"', mail.html).group(1)
    assert ">Abmelden</a>" in mail.html
    assert mail.text.count(url) == 1 and f"Abmelden: {url}" in mail.text
    assert "Neu im Mai" in mail.html and "Neu im Mai" not in mail.text  # the hidden preheader


def test_a_message_without_any_language_variant_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/notifications/preparedmessage/add/",
        {
            "name": "Empty", "is_marketing": "on", "from_email": "", "from_name": "",
            "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0", "variants-MIN_NUM_FORMS": "1",
            "variants-MAX_NUM_FORMS": "1000",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert not PreparedMessage.objects.exists()
