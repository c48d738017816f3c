"""Real SMTP servers on loopback for TLS and DKIM tests: a test CA and server certificate
made with `cryptography`, and aiosmtpd servers speaking STARTTLS or implicit TLS, wanting
AUTH, and answering DATA as told (250 by default, or 421/451/550 on demand)."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import free_port

USER, PASSWORD = b"engage", b"pw-123"


@dataclass(frozen=True)
class Pki:
    ca_file: str
    cert_file: str
    key_file: str


def make_pki(directory: Path) -> Pki:
    """A self-signed CA and a server certificate it issued for 127.0.0.1 and localhost."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Engage Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = {
        "ca.pem": ca.public_bytes(pem),
        "server.pem": server.public_bytes(pem),
        "server.key": server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    }
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return Pki(str(directory / "ca.pem"), str(directory / "server.pem"), str(directory / "server.key"))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip


@dataclass
class RawInbox:
    """What the server received, byte for byte (DKIM is verified over the exact bytes)."""

    raw: list[bytes] = field(default_factory=list)
    # Replies for the next DATA commands, e.g. ["421 4.7.0 Try again later"]; then 250.
    replies: list[str] = field(default_factory=list)
    logins: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            return self.replies.pop(0)
        self.raw.append(envelope.original_content)
        return "250 2.0.0 Accepted"


class SmtpServer:
    """An aiosmtpd server on a free loopback port. `security` is "starttls" (required
    before AUTH and MAIL), "tls" (implicit TLS) or "none"; AUTH is required unless `auth` is False."""

    def __init__(self, security: str, pki: Pki | None = None, hostname: str = "127.0.0.1", auth: bool = True):
        self.inbox = RawInbox()
        self.port = free_port()
        self.security = security
        options = {}
        if security != "none":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(pki.cert_file, pki.key_file)
            if security == "starttls":
                options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
            else:
                options = {"ssl_context": context, "auth_require_tls": False}
        else:
            options = {"auth_require_tls": False}
        self.controller = Controller(
            self.inbox,
            hostname=hostname,
            port=self.port,
            authenticator=self.authenticate,
            auth_required=auth,
            auth_exclude_mechanism=["LOGIN"],
            **options,
        )

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER, PASSWORD)
        if ok:
            self.inbox.logins.append(auth_data.login)
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
