"""The admin of the suppression list, conversations and replies, and the tracking events
on a message's page (tenant isolation of every page: test_admin_tenancy.py)."""

import pytest
from django.urls import reverse

from contacts.models import Suppression
from contacts.suppression import suppress
from notifications.conversations import conversation_for
from notifications.models import InboundMessage, OutboundMessage
from notifications.services import RenderedMail, enqueue_mail
from notifications.tracking import record_tracking

ADD = reverse("admin:contacts_suppression_add")


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_members_add_an_address_to_their_suppression_list(client, request, user, alice_org):
    client.force_login(request.getfixturevalue(user))
    response = client.post(ADD, {"address": " Ann@Example.org ", "reason": "manual", "note": "asked by phone"})
    assert response.status_code == 302
    entry = Suppression.objects.get()
    assert (entry.organization, entry.address, entry.note) == (alice_org, "ann@example.org", "asked by phone")


def test_an_address_listed_already_is_a_form_error_not_a_crash(client, alice, alice_org):
    suppress(organization=alice_org, address="ann@example.org", reason="hard_bounce")
    client.force_login(alice)
    response = client.post(ADD, {"address": "ANN@example.org", "reason": "manual"})
    assert response.status_code == 200
    assert "on the suppression list already" in str(response.context["adminform"].form.errors)
    assert Suppression.objects.count() == 1


def test_an_invalid_address_is_a_form_error(client, alice):
    client.force_login(alice)
    response = client.post(ADD, {"address": "not an address", "reason": "manual"})
    assert response.status_code == 200
    assert "address" in response.context["adminform"].form.errors
    assert not Suppression.objects.exists()


def test_the_same_address_may_be_listed_by_another_organization(client, charlie, alice_org):
    suppress(organization=alice_org, address="ann@example.org", reason="manual")
    client.force_login(charlie)
    assert client.post(ADD, {"address": "ann@example.org", "reason": "manual"}).status_code == 302
    assert Suppression.objects.count() == 2


def test_removing_an_entry_lets_mail_go_again(client, alice, alice_org):
    entry = suppress(organization=alice_org, address="ann@example.org", reason="complaint")
    client.force_login(alice)
    url = reverse("admin:contacts_suppression_delete", args=[entry.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Suppression.objects.exists()


def test_message_page_shows_its_tracking_events_and_conversation(client, alice, alice_org):
    conversation = conversation_for(organization=alice_org, conversation_id=None, subject="Order 7")
    message = enqueue_mail(
        organization=alice_org, to="ann@example.org", mail=RenderedMail(subject="Order 7", text="x"),
        conversation=conversation,
    )  # fmt: skip
    record_tracking(
        message=message, esp="mailgun", event_id="tok-1", event_type="clicked", url="https://shop.example.com/7",
        raw={"event-data": {"event": "clicked", "note": "<script>x</script>"}},
    )  # fmt: skip
    client.force_login(alice)
    page = client.get(reverse("admin:notifications_outboundmessage_change", args=[message.pk])).text
    assert "https://shop.example.com/7" in page
    assert "&quot;clicked&quot;" in page  # the raw payload, escaped
    assert "<script>x</script>" not in page
    assert "Order 7" in page
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.QUEUED  # a queued mail is not clicked


def test_conversation_page_shows_its_mails_and_replies(client, alice, alice_org):
    from django.utils import timezone

    conversation = conversation_for(organization=alice_org, conversation_id=None, subject="Order 8")
    enqueue_mail(
        organization=alice_org, to="ann@example.org", mail=RenderedMail(subject="Your order 8", text="x"),
        conversation=conversation,
    )  # fmt: skip
    InboundMessage.objects.create(
        organization=alice_org, conversation=conversation, esp="postmark", message_id="<r@x>",
        from_email="ann@example.org", subject="Re: Your order 8 — when?", received_at=timezone.now(),
    )  # fmt: skip
    client.force_login(alice)
    page = client.get(reverse("admin:notifications_conversation_change", args=[conversation.pk])).text
    assert "Your order 8" in page
    assert "Re: Your order 8 — when?" in page


def test_erasing_a_contact_erases_their_tracking_payloads_and_replies(alice_org):
    from django.utils import timezone

    from contacts import gdpr
    from notifications.models import TrackingEvent
    from tests.factories import ContactFactory

    contact = ContactFactory(organization=alice_org, email="erika@example.com")
    conversation = conversation_for(
        organization=alice_org, conversation_id=None, subject="Erika's order", contact=contact
    )
    message = enqueue_mail(
        organization=alice_org, to=contact.email, mail=RenderedMail(subject="Hi Erika", text="x"), contact=contact,
        conversation=conversation,
    )  # fmt: skip
    record_tracking(message=message, esp="mailgun", event_id="t", event_type="opened", raw={"recipient": contact.email})
    InboundMessage.objects.create(
        organization=alice_org, conversation=conversation, contact=contact, esp="postmark", message_id="<r@x>",
        from_email=contact.email, subject="Re: Hi Erika", text="Erika here", received_at=timezone.now(),
        headers=[["From", "Erika <erika@example.com>"]],
    )  # fmt: skip
    gdpr.erase_contact(contact)
    assert TrackingEvent.objects.get().raw == {}
    reply = InboundMessage.objects.get()
    assert "erika" not in f"{reply.from_email} {reply.subject} {reply.text} {reply.headers}".lower()
    assert conversation.__class__.objects.get().subject == ""


def test_a_contacts_export_holds_their_tracking_replies_and_suppression(alice_org):
    import json

    from django.utils import timezone

    from contacts import gdpr
    from tests.factories import ContactFactory

    contact = ContactFactory(organization=alice_org, email="erika@example.com")
    message = enqueue_mail(
        organization=alice_org, to=contact.email, mail=RenderedMail(subject="Hi", text="x"), contact=contact
    )
    record_tracking(message=message, esp="engage", event_id="c1", event_type="clicked", url="https://example.com/a")
    InboundMessage.objects.create(
        organization=alice_org, contact=contact, esp="postmark", message_id="<r@x>", from_email=contact.email,
        subject="Re: Hi", text="Thanks", received_at=timezone.now(),
    )  # fmt: skip
    suppress(organization=alice_org, address="Erika@example.com", reason="complaint")
    data = gdpr.export_contact(contact)
    assert [(t["type"], t["url"]) for t in data["message_tracking"]] == [("clicked", "https://example.com/a")]
    assert [r["text"] for r in data["replies"]] == ["Thanks"]
    assert data["suppressed"] == ["complaint"]
    json.dumps(data)
