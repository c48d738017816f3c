"""Sender domains: the model, its DKIM key, and which from addresses they allow."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from notifications.domains import domain_of, is_verified_sender
from notifications.models import SenderDomain


def verified(organization, domain: str) -> SenderDomain:
    return SenderDomain.objects.create(organization=organization, domain=domain, verified_at=timezone.now())


def test_a_new_domain_gets_an_rsa_2048_key_encrypted_at_rest(alice_org):
    row = SenderDomain.objects.create(organization=alice_org, domain="Mail.Alice.Example")
    row.refresh_from_db()
    assert row.domain == "mail.alice.example"
    assert "PRIVATE KEY" not in row.dkim_private_key
    private = serialization.load_pem_private_key(row.private_key_pem(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    public = serialization.load_der_public_key(base64.b64decode(row.dkim_public_key))
    assert public.public_numbers() == private.public_key().public_numbers()
    assert len(row.verification_token) >= 24
    assert row.verified_at is None


def test_each_domain_has_its_own_key_and_token(alice_org):
    one = SenderDomain.objects.create(organization=alice_org, domain="one.example")
    two = SenderDomain.objects.create(organization=alice_org, domain="two.example")
    assert one.dkim_public_key != two.dkim_public_key
    assert one.verification_token != two.verification_token


def test_a_domain_is_unique_per_organization_whatever_its_case(alice_org, charlie_org):
    SenderDomain.objects.create(organization=alice_org, domain="alice.example")
    SenderDomain.objects.create(organization=charlie_org, domain="alice.example")  # its own proof needed
    with pytest.raises(IntegrityError):
        SenderDomain.objects.create(organization=alice_org, domain="ALICE.example")


@pytest.mark.parametrize("bad", ["not a domain", "localhost", "-x.example", "a..example", "x" * 64 + ".example"])
def test_invalid_domains_are_refused(alice_org, bad):
    with pytest.raises(ValidationError) as info:
        SenderDomain(organization=alice_org, domain=bad).full_clean()
    assert "domain" in info.value.message_dict


def test_invalid_selectors_are_refused(alice_org):
    with pytest.raises(ValidationError) as info:
        SenderDomain(organization=alice_org, domain="alice.example", dkim_selector="bad_selector").full_clean()
    assert "dkim_selector" in info.value.message_dict


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("news@Alice.Example", "alice.example"),
        ("Alice News <news@alice.example>", "alice.example"),
        ("no-at-sign", ""),
        ("", ""),
    ],
)
def test_domain_of(address, domain):
    assert domain_of(address) == domain


def test_only_verified_domains_of_the_organization_allow_a_from_address(alice_org, charlie_org):
    verified(alice_org, "alice.example")
    SenderDomain.objects.create(organization=alice_org, domain="pending.example")
    assert is_verified_sender(alice_org, "News <news@ALICE.example>")
    assert not is_verified_sender(alice_org, "news@pending.example")
    assert not is_verified_sender(alice_org, "news@mail.alice.example")  # exact match, no subdomains
    assert not is_verified_sender(alice_org, "news@example")
    assert not is_verified_sender(charlie_org, "news@alice.example")
    assert not is_verified_sender(None, "news@alice.example")
