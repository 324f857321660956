"""A loopback SMTP server speaking TLS (aiosmtpd), with a certificate made for the test run."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Certificate:
    cert_file: Path  # also the CA file a client trusts: the certificate signs itself
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def self_signed_certificate(directory: Path, host: str = LOOPBACK) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    certificate = Certificate(directory / "smtp-cert.pem", directory / "smtp-key.pem")
    certificate.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certificate.key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return certificate


@dataclass
class Received:
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, str, bool]] = field(default_factory=list)  # user, password, over TLS

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.logins.append((auth_data.login.decode(), auth_data.password.decode(), encrypted))
        return AuthResult(success=True)


def _free_port() -> int:
    # aiosmtpd checks its own server by connecting to the port it was given, so it needs one.
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


class TlsSmtpServer:
    """``implicit``: TLS from the first byte (smtps). Otherwise STARTTLS, which it requires."""

    def __init__(self, certificate: Certificate, *, implicit: bool) -> None:
        self.received = Received()
        self.port = _free_port()
        context = certificate.server_context()
        tls = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
        self._controller = Controller(self.received, hostname=LOOPBACK, port=self.port,
                                      authenticator=self.received.authenticate,
                                      # Over smtps the whole session is TLS, which aiosmtpd does not count.
                                      auth_require_tls=not implicit,
                                      **tls)

    def __enter__(self) -> TlsSmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
