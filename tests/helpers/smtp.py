"""A real SMTP server on loopback for the alarm tests: STARTTLS with a certificate made here,
AUTH PLAIN/LOGIN, and switches to refuse logins or recipients; plus a server that is down and
one that accepts connections but never answers.

aiosmtpd runs in its own thread with its own event loop, so the bot's loop stays the one under
test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.config import AlarmSettings

USERNAME = "alarm@example.dk"
PASSWORD = "s3cret-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message
    authenticated_as: str | None
    mechanism: str | None

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode("utf-8")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


@dataclass
class MailServer:
    """aiosmtpd with STARTTLS required and AUTH required; flip the switches to refuse."""

    folder: Path
    port: int = field(default_factory=free_port)
    mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN")
    refuse_login: bool = False
    refuse_recipients: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    # When set, DATA waits for `release` after setting `holding` (a slow server, on its thread).
    hold: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    starttls: bool = True  # False: a server that offers no STARTTLS at all
    _controller: Controller | None = None

    def __post_init__(self) -> None:
        self.cert, self.key = make_certificate(self.folder)

    def settings(self, *to: str, **overrides: Any) -> AlarmSettings:
        values: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "security": "starttls",
            "username": USERNAME,
            "password": PASSWORD,
            "ca_file": self.cert,
            "from_address": "peerbot@example.dk",
            "to": to or ("vagt@example.dk", "4512345678@sms.example.dk"),
            "timeout_seconds": 10,
        }
        values.update(overrides)
        return AlarmSettings(**values)

    def start(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        excluded = [m for m in ("PLAIN", "LOGIN") if m not in self.mechanisms]
        self._controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context if self.starttls else None,
            require_starttls=self.starttls,
            auth_require_tls=self.starttls,
            auth_required=True,
            auth_exclude_mechanism=excluded,
            authenticator=self._authenticate,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == USERNAME
            and data.password.decode() == PASSWORD
            and not self.refuse_login
        )
        self.logins.append((mechanism, ok))
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.server.refuse_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.hold:
            self.server.hold = False
            self.server.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.server.release.wait, 10)
        mechanism = self.server.logins[-1][0] if self.server.logins else None
        self.server.received.append(
            Received(
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                message=message_from_bytes(envelope.original_content or envelope.content),
                authenticated_as=session.auth_data.login.decode() if session.auth_data else None,
                mechanism=mechanism,
            )
        )
        return "250 Message accepted for delivery"


class BlackHole:
    """Accepts connections and never says a word, like a mail server that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.connected = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)
            self.connected.set()

    def close(self) -> None:
        for conn in self._held:
            conn.close()
        self.sock.close()
