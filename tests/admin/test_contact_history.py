"""One timeline on the contact's page: what every app recorded about the contact."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automations.models import Run
from contacts import services
from contacts.models import Group
from engage import history
from integrations.common.models import InboundNotification
from notifications.models import OutboundMessage, TrackingEvent
from tests.admin.test_runs_list import make_run
from tests.factories import ContactFactory


@pytest.fixture
def erika(alice_org):
    contact = ContactFactory(organization=alice_org, email="erika@example.com")
    news = Group.objects.create(organization=alice_org, name="News", is_public=True)
    services.subscribe(contact=contact, group=news, source="test")
    run = make_run(alice_org, Run.Status.SKIPPED, "The contact does not match the selection “Customers”.")
    Run.objects.filter(pk=run.pk).update(contact=contact)
    message = OutboundMessage.objects.create(
        organization=alice_org, contact=contact, from_email="a@alice.example", recipient=contact.email,
        subject="Welcome, Erika", status="opened",
    )  # fmt: skip
    TrackingEvent.objects.create(
        organization=alice_org, message=message, esp="engage", event_id="1", event_type="opened",
        occurred_at=timezone.now(),
    )  # fmt: skip
    InboundNotification.objects.create(
        organization=alice_org, contact=contact, source=InboundNotification.Source.choices[0][0],
        status=InboundNotification.Status.choices[0][0],
    )  # fmt: skip
    return contact


def test_every_app_registers_a_source():
    assert {"consent", "transactions", "events", "runs", "mails", "inbound"} <= set(history.sources())


def test_the_history_merges_the_apps_newest_first(erika):
    entries, more = history.history(erika)
    kinds = {entry.kind for entry in entries}
    assert {"consent", "event", "run", "mail", "inbound notification"} <= kinds
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    mail = next(entry for entry in entries if entry.kind == "mail")
    assert mail.title == "Welcome, Erika" and mail.status == "opened" and mail.detail.startswith("opened ")
    run = next(entry for entry in entries if entry.kind == "run")
    assert run.status == "skipped" and "does not match" in run.detail
    assert not more


def test_the_history_is_paginated(alice_org):
    contact = ContactFactory(organization=alice_org)
    now = timezone.now()
    for n in range(30):
        contact.transactions.create(organization=alice_org, type=f"order {n}", occurred_at=now - timedelta(hours=n))
    first, more = history.history(contact, page=1, per_page=25)
    second, more_after = history.history(contact, page=2, per_page=25)
    assert [e.title for e in first + second] == [f"order {n}" for n in range(30)]
    assert more and not more_after


def test_the_contact_page_shows_the_history_with_links(client, bob, erika):
    client.force_login(bob)
    page = client.get(f"/admin/contacts/contact/{erika.pk}/change/").text
    assert 'id="history"' in page
    message = OutboundMessage.objects.get(contact=erika)
    assert f'href="/admin/notifications/outboundmessage/{message.pk}/change/"' in page
    assert "Welcome, Erika" in page


def test_charlie_sees_no_history_of_alices_contact(client, charlie, erika):
    client.force_login(charlie)
    assert client.get(f"/admin/contacts/contact/{erika.pk}/change/").status_code == 404


def test_a_history_holds_only_the_contacts_own_records(client, bob, erika, charlie_org):
    other = ContactFactory(organization=charlie_org, email="erika@example.com")
    OutboundMessage.objects.create(
        organization=charlie_org, contact=other, from_email="c@c.example", recipient=other.email, subject="Charlie's"
    )
    client.force_login(bob)
    page = client.get(f"/admin/contacts/contact/{erika.pk}/change/").text
    assert "Charlie&#x27;s" not in page and "Charlie's" not in page
