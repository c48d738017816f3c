"""The suppression list: addresses an organization no longer sends to."""

import pytest

from notifications.models import Suppression
from notifications.suppression import is_suppressed, suppress, unsuppress


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
