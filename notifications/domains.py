"""Sender domains: which from addresses an organization may use, and the DNS records that
prove the organization controls a domain.

An organization adds a domain and publishes four TXT records (`records_to_publish`):
verification, SPF, DKIM and DMARC. `check_sender_domain` looks them up. The domain is
*verified* when its verification record is found, or when both SPF and DKIM are (whoever
can publish those controls the domain's mail anyway). A later check that finds neither
for certain takes the verification back; a look-up that fails (timeout, SERVFAIL) changes
nothing, so a DNS hiccup never stops an organization's mail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from email.utils import parseaddr

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import Organization
from notifications.models import SenderDomain, normalize_domain

VERIFICATION_PREFIX = "_engage"
KINDS = {
    "verification": gettext_lazy("Verification"),
    "spf": gettext_lazy("SPF"),
    "dkim": gettext_lazy("DKIM"),
    "dmarc": gettext_lazy("DMARC"),
}


def domain_of(address: str) -> str:
    """The normalised domain of an address ("Name <a@Example.COM>" → "example.com"), or ""."""
    _name, bare = parseaddr(address or "")
    if "@" not in bare:
        return ""
    return normalize_domain(bare.rsplit("@", 1)[1])


def is_verified_sender(organization: Organization | None, address: str) -> bool:
    """True if the address's domain (exact match, no subdomains) is a verified sender
    domain of the organization."""
    domain = domain_of(address)
    if organization is None or not domain:
        return False
    return SenderDomain.objects.filter(organization=organization, domain=domain, verified_at__isnull=False).exists()


@dataclass(frozen=True)
class DnsRecord:
    kind: str  # a key of KINDS
    name: str
    value: str
    type: str = "TXT"

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])


def records_to_publish(domain: SenderDomain) -> list[DnsRecord]:
    spf = " ".join(["v=spf1", *settings.ENGAGE_SPF_INCLUDE, "~all"])
    return [
        DnsRecord("verification", f"{VERIFICATION_PREFIX}.{domain.domain}", verification_value(domain)),
        DnsRecord("spf", domain.domain, spf),
        DnsRecord("dkim", domain.dkim_record_name, f"v=DKIM1; k=rsa; p={domain.dkim_public_key}"),
        DnsRecord("dmarc", f"_dmarc.{domain.domain}", "v=DMARC1; p=none"),
    ]


def verification_value(domain: SenderDomain) -> str:
    return f"engage-verification={domain.verification_token}"


@dataclass(frozen=True)
class Finding:
    ok: bool
    detail: str
    # False when the look-up itself failed (timeout, SERVFAIL): nothing is known.
    conclusive: bool = True


class LookupFailed(Exception):
    def __init__(self, detail: str, *, conclusive: bool):
        super().__init__(detail)
        self.detail, self.conclusive = detail, conclusive


def lookup_txt(name: str) -> list[str]:
    """The TXT records at a name, each as one string (long records come in pieces)."""
    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=settings.ENGAGE_DNS_TIMEOUT)
    except dns.resolver.NXDOMAIN:
        raise LookupFailed(_("%(name)s does not exist in DNS.") % {"name": name}, conclusive=True) from None
    except dns.resolver.NoAnswer:
        raise LookupFailed(_("%(name)s has no TXT record.") % {"name": name}, conclusive=True) from None
    except dns.exception.Timeout:
        message = _("The DNS look-up of %(name)s timed out; try again later.") % {"name": name}
        raise LookupFailed(message, conclusive=False) from None
    except dns.resolver.NoNameservers:
        message = _("No DNS server could answer for %(name)s (SERVFAIL); try again later.") % {"name": name}
        raise LookupFailed(message, conclusive=False) from None
    except dns.exception.DNSException as exc:
        message = _("The DNS look-up of %(name)s failed: %(error)s") % {"name": name, "error": exc}
        raise LookupFailed(message, conclusive=False) from None
    return [b"".join(rdata.strings).decode("utf-8", errors="replace").strip() for rdata in answer]


def check_verification(domain: SenderDomain, found: list[str]) -> Finding:
    expected = verification_value(domain)
    if expected in found:
        return Finding(True, _("Found."))
    return _wrong(found, expected)


def check_spf(domain: SenderDomain, found: list[str]) -> Finding:
    records = [value for value in found if value.lower().split(" ", 1)[0] == "v=spf1"]
    if not records:
        return Finding(False, _("%(name)s has no SPF record (v=spf1 …).") % {"name": domain.domain})
    if len(records) > 1:
        return Finding(
            False, _("%(name)s has %(count)d SPF records; receivers treat more than one as an error.")
            % {"name": domain.domain, "count": len(records)},
        )  # fmt: skip
    terms = {term.lower() for term in records[0].split()}
    missing = [mechanism for mechanism in settings.ENGAGE_SPF_INCLUDE if mechanism.lower() not in terms]
    if missing:
        return Finding(
            False, _("The SPF record “%(record)s” does not allow Engage's servers: add %(missing)s.")
            % {"record": records[0], "missing": " ".join(missing)},
        )  # fmt: skip
    return Finding(True, _("Found."))


def check_dkim(domain: SenderDomain, found: list[str]) -> Finding:
    for value in found:
        tags = dict(_tag(part) for part in value.split(";") if "=" in part)
        if "p" not in tags:
            continue
        key = "".join(tags["p"].split())
        if key == domain.dkim_public_key:
            return Finding(True, _("Found."))
        if not key:
            return Finding(False, _("The DKIM record has an empty key (p=): the key is revoked."))
        return Finding(False, _("The DKIM record holds a different public key; publish the one shown here."))
    return Finding(False, _("No DKIM record (v=DKIM1; … p=…) at %(name)s.") % {"name": domain.dkim_record_name})


def check_dmarc(domain: SenderDomain, found: list[str]) -> Finding:
    records = [value for value in found if value.replace(" ", "").upper().startswith("V=DMARC1")]
    if len(records) == 1:
        return Finding(True, _("Found."))
    name = f"_dmarc.{domain.domain}"
    if not records:
        return Finding(False, _("No DMARC record (v=DMARC1; …) at %(name)s.") % {"name": name})
    return Finding(False, _("%(name)s has more than one DMARC record; receivers ignore them all.") % {"name": name})


CHECKS = {"verification": check_verification, "spf": check_spf, "dkim": check_dkim, "dmarc": check_dmarc}


def check_sender_domain(domain: SenderDomain) -> dict[str, Finding]:
    """Look up the domain's records now and store what was found. Runs no transaction
    around the look-ups: the row is updated in one statement afterwards."""
    findings = {}
    for record in records_to_publish(domain):
        try:
            found = lookup_txt(record.name)
        except LookupFailed as exc:
            findings[record.kind] = Finding(False, exc.detail, exc.conclusive)
            continue
        findings[record.kind] = CHECKS[record.kind](domain, found)
    _store(domain, findings)
    return findings


def _store(domain: SenderDomain, findings: dict[str, Finding]) -> None:
    now = timezone.now()
    changes = {"last_check": {kind: asdict(finding) for kind, finding in findings.items()}, "last_checked_at": now}
    for kind, finding in findings.items():
        if finding.conclusive:  # a failed look-up keeps what the last one found
            changes[f"{kind}_ok"] = finding.ok
    proven = findings["verification"].ok or (findings["spf"].ok and findings["dkim"].ok)
    disproven = findings["verification"].conclusive and (
        (findings["spf"].conclusive and not findings["spf"].ok)
        or (findings["dkim"].conclusive and not findings["dkim"].ok)
    )
    if proven:
        changes["verified_at"] = domain.verified_at or now
    elif disproven:
        changes["verified_at"] = None
    SenderDomain.objects.filter(pk=domain.pk).update(**changes)
    for name, value in changes.items():
        setattr(domain, name, value)


def _tag(part: str) -> tuple[str, str]:
    name, value = part.split("=", 1)
    return name.strip().lower(), value.strip()


def _wrong(found: list[str], expected: str) -> Finding:
    if not found:
        return Finding(False, _("No TXT record found."))
    return Finding(
        False, _("Found “%(found)s” instead of “%(expected)s”.") % {"found": "”, “".join(found), "expected": expected}
    )


def validate_from_address(organization: Organization | None, address: str) -> None:
    """Refuse a from address whose domain is not a verified sender domain of the
    organization. The host's own addresses (no organization) are not checked."""
    if organization is None or not address or is_verified_sender(organization, address):
        return
    verified = SenderDomain.objects.filter(organization=organization, verified_at__isnull=False)
    names = ", ".join(verified.values_list("domain", flat=True))
    if names:
        message = _("%(domain)s is not a verified sender domain. Use one of: %(domains)s.")
    else:
        message = _("%(domain)s is not a verified sender domain. Add it under Sender domains and verify it first.")
    raise ValidationError(message % {"domain": domain_of(address) or address, "domains": names}, code="unverified")
