"""A newsletter of Alice's organization: a prepared message, a group of contacts."""

from __future__ import annotations

import pytest

from contacts.models import Contact, Group, Membership
from notifications.models import PreparedMessage, PreparedMessageVariant
from notifications.sendouts import create_sendout
from tests.api.conftest import alice_api, alice_key, bob_api, charlie_api  # noqa: F401  (the API's keys)


def make_message(organization, *, subject: str = "News for {{ contact.first_name }}") -> PreparedMessage:
    message = PreparedMessage.objects.create(organization=organization, name="Newsletter", is_marketing=False)
    PreparedMessageVariant.objects.create(
        message=message, language="en", subject=subject,
        html_body="<p>Hello {{ contact.first_name }}, <a href='https://example.com/a'>read</a></p>",
    )  # fmt: skip
    return message


def make_group(organization, count: int, *, name: str = "Readers", start: int = 0) -> Group:
    """A group of `count` members, created with a few queries whatever the count."""
    group = Group.objects.create(organization=organization, name=name)
    contacts = Contact.objects.bulk_create(
        Contact(organization=organization, email=f"reader{n}@example.com", first_name=f"R{n}")
        for n in range(start, start + count)
    )
    Membership.objects.bulk_create(Membership(group=group, contact=contact) for contact in contacts)
    return group


def make_sendout(organization, groups, **kwargs):
    return create_sendout(
        organization=organization, name="November news", message=make_message(organization), groups=groups, **kwargs
    )


@pytest.fixture
def newsletter(alice_org, alice):
    group = make_group(alice_org, 20)
    return make_sendout(alice_org, [group], created_by=alice)
