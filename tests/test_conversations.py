"""Conversations: mails continue one within 30 days after its original mail, however busy."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.conversations import ConversationClosed, conversation_for
from notifications.models import Conversation, OutboundMessage
from notifications.services import RenderedMail, enqueue_mail
from tests.factories import ContactFactory

MAIL = RenderedMail(subject="Your order", text="Thanks")


def test_without_an_id_a_conversation_starts(alice_org):
    contact = ContactFactory(organization=alice_org)
    conversation = conversation_for(organization=alice_org, conversation_id=None, subject="Order 1", contact=contact)
    assert (conversation.subject, conversation.contact, conversation.organization) == ("Order 1", contact, alice_org)


def test_a_recent_conversation_is_joined(alice_org):
    first = conversation_for(organization=alice_org, conversation_id=None, subject="Order 1")
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        again = conversation_for(organization=alice_org, conversation_id=first.uuid, subject="Re: Order 1")
    assert again.pk == first.pk


def test_a_conversation_older_than_30_days_is_not_joined(alice_org):
    first = conversation_for(organization=alice_org, conversation_id=None, subject="Order 1")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        again = conversation_for(organization=alice_org, conversation_id=first.uuid, subject="Order 1")
    assert again.pk != first.pk
    assert Conversation.objects.count() == 2


def test_another_organizations_conversation_is_never_joined(alice_org, charlie_org):
    theirs = conversation_for(organization=charlie_org, conversation_id=None, subject="Secret")
    ours = conversation_for(organization=alice_org, conversation_id=theirs.uuid, subject="Hello")
    assert ours.pk != theirs.pk
    assert ours.organization == alice_org


def test_an_unknown_id_starts_a_conversation(alice_org):
    conversation = conversation_for(organization=alice_org, conversation_id=uuid.uuid4(), subject="Hello")
    assert conversation.pk is not None


def test_enqueued_mail_joins_the_conversation_but_does_not_extend_it(alice_org):
    start = timezone.now()
    conversation = conversation_for(organization=alice_org, conversation_id=None, subject="Order 1")
    later = start + timedelta(days=20)
    with time_machine.travel(later):
        message = enqueue_mail(organization=alice_org, to="ann@example.org", mail=MAIL, conversation=conversation)
    assert message.conversation == conversation
    conversation.refresh_from_db()
    assert conversation.last_message_at >= later - timedelta(seconds=1)
    with time_machine.travel(start + timedelta(days=30) - timedelta(minutes=1)):
        assert conversation_for(organization=alice_org, conversation_id=conversation.uuid, subject="x") == conversation
    with time_machine.travel(start + timedelta(days=30, minutes=1)):
        assert conversation_for(organization=alice_org, conversation_id=conversation.uuid, subject="x") != conversation


def test_a_closed_conversation_can_be_refused_instead_of_replaced(alice_org):
    first = conversation_for(organization=alice_org, conversation_id=None, subject="Order 1")
    with time_machine.travel(timezone.now() + timedelta(days=31)), pytest.raises(ConversationClosed):
        conversation_for(organization=alice_org, conversation_id=first.uuid, subject="x", refuse_closed=True)
    assert Conversation.objects.count() == 1


def test_enqueue_refuses_another_organizations_conversation(alice_org, charlie_org):
    theirs = conversation_for(organization=charlie_org, conversation_id=None, subject="Secret")
    with pytest.raises(ValueError, match="another organization"):
        enqueue_mail(organization=alice_org, to="ann@example.org", mail=MAIL, conversation=theirs)


def test_the_upgrade_dates_conversations_from_their_first_mail(alice_org):
    import importlib

    from django.apps import apps

    conversation = conversation_for(organization=alice_org, conversation_id=None, subject="Order 1")
    message = enqueue_mail(organization=alice_org, to="ann@example.org", mail=MAIL, conversation=conversation)
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=conversation.created_at - timedelta(days=3))
    migration = importlib.import_module("notifications.migrations.0010_conversations_date_from_their_original_mail")

    migration.date_from_the_first_mail(apps, None)

    conversation.refresh_from_db()
    assert conversation.created_at == OutboundMessage.objects.get(pk=message.pk).created_at
