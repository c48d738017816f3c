"""The suppression list: addresses an organization no longer sends to."""

import pytest

from contacts import services
from contacts.models import Group, Membership, Suppression
from contacts.suppression import is_suppressed, normalize, suppress, unsuppress
from contacts.tokens import make_unsubscribe_token
from notifications.models import OutboundMessage
from notifications.services import RenderedMail, deliver, enqueue_mail, send_mail
from tests.factories import ContactFactory


def test_suppressed_address_is_found_whatever_its_case(alice_org):
    suppress(organization=alice_org, address="Ann@Example.ORG", reason=Suppression.Reason.HARD_BOUNCE)
    assert Suppression.objects.get().address == "ann@example.org"
    assert is_suppressed(alice_org, "ann@example.org")
    assert is_suppressed(alice_org, "Ann <ANN@example.org>")
    assert not is_suppressed(alice_org, "bob@example.org")


def test_suppress_is_idempotent_and_keeps_the_first_reason(alice_org):
    first = suppress(organization=alice_org, address="ann@example.org", reason=Suppression.Reason.COMPLAINT, note="x")
    again = suppress(organization=alice_org, address="ANN@example.org", reason=Suppression.Reason.MANUAL)
    assert again.pk == first.pk
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


def test_suppression_belongs_to_one_organization(alice_org, charlie_org):
    suppress(organization=alice_org, address="ann@example.org", reason=Suppression.Reason.UNSUBSCRIBE)
    assert not is_suppressed(charlie_org, "ann@example.org")


def test_unsuppress_removes_only_that_organizations_entry(alice_org, charlie_org):
    for organization in (alice_org, charlie_org):
        suppress(organization=organization, address="ann@example.org", reason=Suppression.Reason.MANUAL)
    assert unsuppress(organization=alice_org, address="ann@example.org")
    assert not is_suppressed(alice_org, "ann@example.org")
    assert is_suppressed(charlie_org, "ann@example.org")


@pytest.mark.django_db
def test_one_row_per_address_and_organization(alice_org):
    from django.db import IntegrityError

    Suppression.objects.create(organization=alice_org, address="ann@example.org")
    with pytest.raises(IntegrityError):
        Suppression.objects.create(organization=alice_org, address="ANN@example.org")


# --- Before every send -----------------------------------------------------------------
MAIL = RenderedMail(subject="Hello", text="Hi")


def test_mail_to_a_suppressed_address_is_not_sent_and_says_why(alice_org, smtp_server):
    suppress(organization=alice_org, address="ann@example.org", reason=Suppression.Reason.COMPLAINT)
    message = send_mail(organization=alice_org, to="Ann <ANN@example.org>", mail=MAIL)  # no error raised
    assert smtp_server.messages == []
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SUPPRESSED
    assert "suppression list (spam complaint)" in message.error
    assert message.sent_at is None


def test_only_the_suppressed_mails_of_a_batch_are_held(alice_org, smtp_server):
    suppress(organization=alice_org, address="ann@example.org", reason=Suppression.Reason.HARD_BOUNCE)
    held = enqueue_mail(organization=alice_org, to="ann@example.org", mail=MAIL)
    sent = enqueue_mail(organization=alice_org, to="ben@example.org", mail=MAIL)
    assert deliver([held.pk, sent.pk]) == 1
    assert [m["To"] for m in smtp_server.messages] == ["ben@example.org"]
    assert OutboundMessage.objects.get(pk=held.pk).status == OutboundMessage.Status.SUPPRESSED
    assert OutboundMessage.objects.get(pk=sent.pk).status == OutboundMessage.Status.SENT


def test_an_unsubscribe_holds_marketing_mail_but_not_the_password_the_contact_asks_for(alice_org, smtp_server):
    suppress(organization=alice_org, address="ann@example.org", reason=Suppression.Reason.UNSUBSCRIBE)
    marketing = enqueue_mail(
        organization=alice_org, to="ann@example.org", mail=MAIL, headers={"List-Unsubscribe": "<https://u.example>"}
    )
    password = enqueue_mail(organization=alice_org, to="ann@example.org", mail=MAIL)
    assert deliver([marketing.pk, password.pk]) == 1
    assert OutboundMessage.objects.get(pk=marketing.pk).status == OutboundMessage.Status.SUPPRESSED
    assert OutboundMessage.objects.get(pk=password.pk).status == OutboundMessage.Status.SENT


@pytest.mark.parametrize("reason", [Suppression.Reason.HARD_BOUNCE, Suppression.Reason.COMPLAINT])
def test_bounces_and_complaints_hold_every_mail(alice_org, smtp_server, reason):
    suppress(organization=alice_org, address="ann@example.org", reason=reason)
    assert (
        send_mail(organization=alice_org, to="ann@example.org", mail=MAIL).status == OutboundMessage.Status.SUPPRESSED
    )


def test_another_organizations_suppression_does_not_hold_our_mail(alice_org, charlie_org, smtp_server):
    suppress(organization=charlie_org, address="ann@example.org", reason=Suppression.Reason.MANUAL)
    message = send_mail(organization=alice_org, to="ann@example.org", mail=MAIL)
    assert message.status == OutboundMessage.Status.SENT
    assert len(smtp_server.messages) == 1


# --- Unsubscribe flows -------------------------------------------------------------------
@pytest.fixture
def erika(alice_org):
    return ContactFactory(organization=alice_org, email="Erika@Example.com")


@pytest.fixture
def news(alice_org):
    return Group.objects.create(organization=alice_org, name="News", is_public=True)


def test_unsubscribe_from_everything_suppresses_the_address(client, erika, news, alice_org, charlie_org):
    services.subscribe(contact=erika, group=news, source="test")
    client.post(f"/portal/alice/unsubscribe/{make_unsubscribe_token(erika.pk)}/", {"reason": ""})
    entry = Suppression.objects.get()
    assert (entry.organization, entry.address, entry.reason) == (alice_org, "erika@example.com", "unsubscribe")
    assert not is_suppressed(charlie_org, "erika@example.com")


def test_one_click_list_unsubscribe_suppresses_the_address(client, erika, news, alice_org):
    services.subscribe(contact=erika, group=news, source="test")
    url = f"/portal/alice/unsubscribe/{make_unsubscribe_token(erika.pk)}/"
    client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert is_suppressed(alice_org, "erika@example.com")


def test_unsubscribing_from_one_group_does_not_suppress_the_address(client, erika, news, alice_org):
    services.subscribe(contact=erika, group=news, source="test")
    client.post(f"/portal/alice/unsubscribe/{make_unsubscribe_token(erika.pk, news.pk)}/", {"reason": ""})
    assert Membership.objects.get(contact=erika).state == "unsubscribed"
    assert not is_suppressed(alice_org, "erika@example.com")


def test_subscribing_again_lifts_an_unsubscribe_but_not_a_bounce(erika, news, alice_org):
    suppress(organization=alice_org, address=erika.email, reason=Suppression.Reason.UNSUBSCRIBE)
    services.subscribe(contact=erika, group=news, source="portal")
    assert not is_suppressed(alice_org, erika.email)
    other = ContactFactory(organization=alice_org, email="bounced@example.com")
    suppress(organization=alice_org, address=other.email, reason=Suppression.Reason.HARD_BOUNCE)
    services.subscribe(contact=other, group=news, source="portal")
    assert is_suppressed(alice_org, other.email)


@pytest.mark.parametrize(
    ("address", "bare"),
    [
        ("Ann.Lee+news@Example.ORG", "ann.lee+news@example.org"),
        ("Ann <Ann@Example.org>", "ann@example.org"),
        ('"Lee, Ann" <ann@example.org>', "ann@example.org"),
        (" ann@example.org ", "ann@example.org"),
    ],
)
def test_an_address_is_compared_bare_and_in_lower_case(address, bare):
    assert normalize(address) == bare
