"""Sender domains: the model, its DKIM key, and which from addresses they allow."""

import base64

import dns.exception
import dns.rdata
import dns.resolver
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from notifications.domains import (
    Finding,
    check_sender_domain,
    domain_of,
    is_verified_sender,
    records_to_publish,
    verification_value,
)
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


# --- DNS checks ----------------------------------------------------------------------------


class FakeDns:
    """Answers TXT look-ups from a dict: name → list of record values, or an exception."""

    def __init__(self, monkeypatch):
        self.zone: dict[str, list[str] | Exception] = {}
        self.asked: list[str] = []
        monkeypatch.setattr(dns.resolver, "resolve", self.resolve)

    def resolve(self, name, rdtype, lifetime=None):
        assert rdtype == "TXT" and lifetime == settings.ENGAGE_DNS_TIMEOUT
        self.asked.append(name)
        answer = self.zone.get(name, dns.resolver.NXDOMAIN())
        if isinstance(answer, Exception):
            raise answer
        # Real TXT records, long values split into 255-byte strings as DNS servers send them.
        return [dns.rdata.from_text("IN", "TXT", " ".join(f'"{v[i : i + 255]}"' for i in range(0, len(v), 255)))
                for v in answer]  # fmt: skip

    def publish(self, domain: SenderDomain, *kinds: str) -> None:
        for record in records_to_publish(domain):
            if record.kind in kinds:
                self.zone.setdefault(record.name, []).append(record.value)


@pytest.fixture
def fake_dns(monkeypatch, settings):
    settings.ENGAGE_SPF_INCLUDE = ["include:_spf.engage.example", "ip4:192.0.2.10"]
    return FakeDns(monkeypatch)


@pytest.fixture
def domain(alice_org):
    return SenderDomain.objects.create(organization=alice_org, domain="alice.example", dkim_selector="s1")


def test_the_records_to_publish(domain, settings):
    settings.ENGAGE_SPF_INCLUDE = ["include:_spf.engage.example"]
    records = {r.kind: (r.type, r.name, r.value) for r in records_to_publish(domain)}
    assert records == {
        "verification": ("TXT", "_engage.alice.example", f"engage-verification={domain.verification_token}"),
        "spf": ("TXT", "alice.example", "v=spf1 include:_spf.engage.example ~all"),
        "dkim": ("TXT", "s1._domainkey.alice.example", f"v=DKIM1; k=rsa; p={domain.dkim_public_key}"),
        "dmarc": ("TXT", "_dmarc.alice.example", "v=DMARC1; p=none"),
    }


def test_all_records_found_verify_the_domain(domain, fake_dns):
    fake_dns.publish(domain, "verification", "spf", "dkim", "dmarc")
    findings = check_sender_domain(domain)
    assert {kind: f.ok for kind, f in findings.items()} == dict.fromkeys(["verification", "spf", "dkim", "dmarc"], True)
    domain.refresh_from_db()
    assert domain.is_verified and domain.verification_ok and domain.spf_ok and domain.dkim_ok and domain.dmarc_ok
    assert domain.last_checked_at is not None
    assert domain.last_check["dkim"] == {"ok": True, "detail": "Found.", "conclusive": True}
    assert is_verified_sender(domain.organization, "news@alice.example")


def test_the_verification_record_alone_verifies(domain, fake_dns):
    fake_dns.publish(domain, "verification")
    findings = check_sender_domain(domain)
    domain.refresh_from_db()
    assert domain.is_verified and not domain.spf_ok
    assert findings["spf"].detail == "alice.example does not exist in DNS."


def test_spf_and_dkim_without_the_verification_record_verify(domain, fake_dns):
    fake_dns.publish(domain, "spf", "dkim")
    check_sender_domain(domain)
    domain.refresh_from_db()
    assert domain.is_verified and not domain.verification_ok


def test_spf_alone_does_not_verify(domain, fake_dns):
    fake_dns.publish(domain, "spf", "dmarc")
    findings = check_sender_domain(domain)
    domain.refresh_from_db()
    assert not domain.is_verified
    assert findings["dkim"].detail == "s1._domainkey.alice.example does not exist in DNS."


def test_wrong_values_are_explained(domain, fake_dns, alice_org):
    other = SenderDomain.objects.create(organization=alice_org, domain="other.example")
    fake_dns.zone = {
        "_engage.alice.example": ["engage-verification=someone-elses-token"],
        "alice.example": ["v=spf1 include:_spf.google.com ~all", "google-site-verification=x"],
        "s1._domainkey.alice.example": [f"v=DKIM1; k=rsa; p={other.dkim_public_key}"],
        "_dmarc.alice.example": dns.resolver.NoAnswer(),
    }
    findings = check_sender_domain(domain)
    assert not any(f.ok for f in findings.values())
    assert findings["verification"].detail == (
        f"Found “engage-verification=someone-elses-token” instead of “{verification_value(domain)}”."
    )
    assert findings["spf"].detail == (
        "The SPF record “v=spf1 include:_spf.google.com ~all” does not allow Engage's servers: "
        "add include:_spf.engage.example ip4:192.0.2.10."
    )
    assert findings["dkim"].detail == "The DKIM record holds a different public key; publish the one shown here."
    assert findings["dmarc"].detail == "_dmarc.alice.example has no TXT record."
    domain.refresh_from_db()
    assert not domain.is_verified


def test_two_spf_records_are_an_error(domain, fake_dns):
    fake_dns.publish(domain, "spf")
    fake_dns.zone["alice.example"].append("v=spf1 mx -all")
    assert check_sender_domain(domain)["spf"].detail == (
        "alice.example has 2 SPF records; receivers treat more than one as an error."
    )


def test_an_spf_record_with_more_mechanisms_passes(domain, fake_dns):
    fake_dns.zone["alice.example"] = [
        "v=spf1 mx include:_spf.google.com IP4:192.0.2.10 include:_spf.engage.example -all"
    ]
    assert check_sender_domain(domain)["spf"].ok


def test_a_revoked_dkim_key_is_explained(domain, fake_dns):
    fake_dns.zone["s1._domainkey.alice.example"] = ["v=DKIM1; k=rsa; p="]
    assert check_sender_domain(domain)["dkim"].detail == "The DKIM record has an empty key (p=): the key is revoked."


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (dns.resolver.LifetimeTimeout(timeout=5.0, errors=[]), "The DNS look-up of {} timed out; try again later."),
        (dns.resolver.NoNameservers(), "No DNS server could answer for {} (SERVFAIL); try again later."),
    ],
)
def test_a_failed_look_up_says_so_and_changes_nothing(domain, fake_dns, error, detail):
    fake_dns.publish(domain, "verification", "spf", "dkim", "dmarc")
    check_sender_domain(domain)
    verified_at = SenderDomain.objects.get().verified_at
    fake_dns.zone = dict.fromkeys(fake_dns.zone, error)
    findings = check_sender_domain(domain)
    assert findings["verification"] == Finding(False, detail.format("_engage.alice.example"), conclusive=False)
    domain.refresh_from_db()
    assert domain.verified_at == verified_at  # a DNS hiccup does not stop the organization's mail
    assert domain.verification_ok and domain.spf_ok and domain.dkim_ok and domain.dmarc_ok


def test_records_taken_down_withdraw_the_verification(domain, fake_dns):
    fake_dns.publish(domain, "verification")
    check_sender_domain(domain)
    assert SenderDomain.objects.get().is_verified
    fake_dns.zone = {}
    check_sender_domain(domain)
    domain.refresh_from_db()
    assert not domain.is_verified and not domain.verification_ok
    assert not is_verified_sender(domain.organization, "news@alice.example")


# --- Admin ---------------------------------------------------------------------------------


def test_alice_adds_a_domain_and_sees_the_records_to_publish(client, alice, alice_org):
    client.force_login(alice)
    response = client.post(
        reverse("admin:notifications_senderdomain_add"), {"domain": "News.Alice.Example", "dkim_selector": "engage"}
    )
    assert response.status_code == 302
    domain = SenderDomain.objects.get()
    assert (domain.organization, domain.domain, domain.dkim_selector) == (alice_org, "news.alice.example", "engage")
    page = client.get(reverse("admin:notifications_senderdomain_change", args=[domain.pk]))
    assert page.status_code == 200
    for record in records_to_publish(domain):
        assert record.name in page.text
        assert f"data-copy='{record.value}'" in page.text
    assert "PRIVATE" not in page.text and domain.dkim_private_key not in page.text
    assert "Check DNS now" in page.text


@pytest.mark.parametrize(
    ("domain", "error"),
    [
        ("not a domain", "Enter a valid domain name."),
        ("alice.example", "This organization has added this domain already."),
        ("ALICE.example.", "This organization has added this domain already."),
    ],
)
def test_bad_domains_are_form_errors(client, alice, alice_org, domain, error):
    SenderDomain.objects.create(organization=alice_org, domain="alice.example")
    client.force_login(alice)
    response = client.post(
        reverse("admin:notifications_senderdomain_add"), {"domain": domain, "dkim_selector": "engage"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["domain"] == [error]
    assert SenderDomain.objects.count() == 1


def test_check_dns_now_shows_what_passed_and_what_did_not(client, alice, domain, fake_dns):
    fake_dns.publish(domain, "verification", "dkim")
    fake_dns.zone["alice.example"] = dns.exception.Timeout()
    client.force_login(alice)
    url = reverse("admin:notifications_senderdomain_check", args=[domain.pk])
    assert client.get(url).status_code == 405  # a check changes the domain: POST only
    response = client.post(url, follow=True)
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("alice.example is verified. Verification: passed; SPF: The DNS look-up of alice.example")
    assert "DKIM: passed; DMARC: _dmarc.alice.example does not exist in DNS." in message
    assert "✘ SPF: The DNS look-up of alice.example timed out" in response.text


def test_check_dns_now_as_an_action(client, alice, domain, fake_dns, alice_org):
    second = SenderDomain.objects.create(organization=alice_org, domain="second.example")
    fake_dns.publish(second, "verification")
    client.force_login(alice)
    response = client.post(
        reverse("admin:notifications_senderdomain_changelist"),
        {"action": "check_dns_now", "_selected_action": [domain.pk, second.pk]},
        follow=True,
    )
    messages = sorted(str(m) for m in response.context["messages"])
    assert messages[0].startswith("alice.example is not verified.")
    assert messages[1].startswith("second.example is verified.")


def test_only_organization_admins_of_the_domain_may_check_it(client, bob, charlie, domain, fake_dns):
    url = reverse("admin:notifications_senderdomain_check", args=[domain.pk])
    client.force_login(charlie)
    assert client.post(url).status_code == 404
    client.force_login(bob)
    assert client.post(url).status_code == 403
    assert fake_dns.asked == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ENGAGE_SPF_INCLUDE", "include:_spf.engage.example all"),
        ("ENGAGE_SPF_INCLUDE", "ip4:not-an-address"),
        ("ENGAGE_DNS_TIMEOUT", "0"),
        ("ENGAGE_SMTP_CA_FILE", "/nonexistent/ca.pem"),
    ],
)
def test_malformed_settings_stop_the_start(variable, value):
    from tests.test_configuration import start_django

    result = start_django(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


def test_good_spf_settings_start():
    from tests.test_configuration import start_django

    mechanisms = "include:_spf.engage.example ip4:192.0.2.0/24 ip6:2001:db8::1 mx a:x.example"
    result = start_django(ENGAGE_SPF_INCLUDE=mechanisms)
    assert result.returncode == 0, result.stderr


def test_dkim_keys_survive_a_key_rotation(alice_org, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from engage import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENGAGE_ENCRYPTION_KEYS = [old]
    crypto._fernet.cache_clear()
    try:
        domain = SenderDomain.objects.create(organization=alice_org, domain="alice.example")
        pem = domain.private_key_pem()
        settings.ENGAGE_ENCRYPTION_KEYS = [new, old]
        crypto._fernet.cache_clear()
        call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
        settings.ENGAGE_ENCRYPTION_KEYS = [new]  # the old key is gone
        crypto._fernet.cache_clear()
        domain.refresh_from_db()
        assert domain.private_key_pem() == pem
    finally:
        crypto._fernet.cache_clear()


def test_the_host_admin_adds_a_domain_for_an_organization(client, host_admin, alice_org):
    SenderDomain.objects.create(organization=alice_org, domain="alice.example")
    client.force_login(host_admin)
    url = reverse("admin:notifications_senderdomain_add")
    duplicate = client.post(url, {"organization": alice_org.pk, "domain": "alice.example", "dkim_selector": "engage"})
    assert duplicate.context["adminform"].form.errors["domain"] == ["This organization has added this domain already."]
    no_organization = client.post(url, {"domain": "news.example", "dkim_selector": "engage"})
    assert "organization" in no_organization.context["adminform"].form.errors
    added = client.post(url, {"organization": alice_org.pk, "domain": "news.example", "dkim_selector": "engage"})
    assert added.status_code == 302
    assert SenderDomain.objects.get(domain="news.example").organization == alice_org


def test_a_deployment_without_spf_include_is_warned(settings):
    from notifications.checks import spf_include_check

    settings.ENGAGE_SPF_INCLUDE = []
    assert [w.id for w in spf_include_check(None)] == ["notifications.W002"]
    settings.ENGAGE_SPF_INCLUDE = ["include:_spf.mail.example.net"]
    assert spf_include_check(None) == []
