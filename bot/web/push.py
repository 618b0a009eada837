"""Web Push: tell a web-chat citizen who closed the page that something is waiting for them.

Standard Web Push (RFC 8030) with VAPID (RFC 8292) and the aes128gcm content encoding
(RFC 8188, RFC 8291), sent by pywebpush on one aiohttp session. The browser's push service
(Google, Mozilla, Apple, Microsoft) carries the message; it can read neither the text nor who it
is for, only the encrypted payload and the endpoint.

Use::

    sender = PushSender(Path("/etc/peerbot/vapid_private.pem"), "mailto:it@example.org")
    page_needs = sender.public_key  # pushManager.subscribe({applicationServerKey: ...})
    subscription = PushSubscription.from_json(request_json["subscription"])  # BadSubscription
    outcome = await sender.send(subscription, title, first_line(text), f"{base}/")
    if outcome is PushOutcome.GONE:
        ...  # delete the subscription: the browser threw it away
    await sender.close()

The payload is exactly ``{"title", "body", "url"}`` (see WEBCHAT_CONTRACT.md, "Push payload").

Privacy: an endpoint URL identifies one person's browser, and the notification text is theirs;
neither ever reaches a log, an exception message or a ``repr``. Logs carry the outcome and the
push service's status code only.

Security: a subscription comes from a browser, that is from anyone, and the server then makes an
HTTPS request to the URL in it. So an endpoint must be a plain ``https://name/...`` URL on the
default port (no address literal, no user name, no local names); the sender's resolver drops
every address that is not public, so no name can point it at the organisation's own network;
no redirect is followed; and no large answer is read.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import enum
import ipaddress
import json
import logging
import re
import socket
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02, VapidException
from pywebpush import WebPusher

from bot.errors import ConfigError, PeerbotError

log = logging.getLogger(__name__)

MAX_ENDPOINT_LENGTH = 2000
# How long the push service keeps a message for a browser that is offline: a check-in or a
# reply a day late is still worth showing; one older than half a day is seen on the next visit.
TTL_SECONDS = 12 * 60 * 60
# RFC 8292 allows at most 24 hours; pywebpush uses 12 as well.
JWT_LIFETIME_SECONDS = 12 * 60 * 60
TIMEOUT_SECONDS = 10.0
# RFC 8291 section 4: 4096 octets of encrypted body minus the aes128gcm header (86), the
# authentication tag (16) and the padding delimiter (1).
MAX_PAYLOAD_BYTES = 3993
# A push service answers 201 with an empty body; more than this is not read.
MAX_ANSWER_BYTES = 64 * 1024
ELLIPSIS = "…"

_P256_POINT_BYTES = 65
_AUTH_SECRET_BYTES = 16
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


class BadSubscription(PeerbotError):
    """A push subscription sent by a browser cannot be used; says what is wrong, never the URL."""


class PushOutcome(enum.Enum):
    """What became of one push message."""

    SENT = "sent"  # the push service accepted it (2xx)
    GONE = "gone"  # 404/410: the subscription is dead and must be deleted
    FAILED = "failed"  # anything else (network, time-out, 429, 5xx): keep it, try next time


@dataclass(frozen=True)
class PushSubscription:
    """Where and how to push to one browser (what ``PushSubscription.toJSON()`` gives).

    The fields stay out of ``repr`` so that an accidental log line cannot name a browser.
    """

    endpoint: str = field(repr=False)
    p256dh: str = field(repr=False)  # the browser's ECDH public key, base64url without padding
    auth: str = field(repr=False)  # the browser's 16-byte auth secret, base64url without padding

    @classmethod
    def from_json(cls, data: Any, *, allow_http: bool = False) -> PushSubscription:
        """Validate a browser's subscription strictly; raise BadSubscription otherwise.

        ``allow_http`` is for tests against a local push service only: it also admits
        ``http://`` and local hosts (loopback addresses, ``localhost``, any port).
        """
        if not isinstance(data, dict):
            raise BadSubscription("a subscription is a JSON object")
        endpoint = data.get("endpoint")
        keys = data.get("keys")
        if not isinstance(endpoint, str):
            raise BadSubscription("endpoint: missing or not a string")
        _check_endpoint(endpoint, allow_http=allow_http)
        if not isinstance(keys, dict):
            raise BadSubscription("keys: missing or not an object")
        p256dh = _base64url_bytes(keys.get("p256dh"), "keys.p256dh", _P256_POINT_BYTES)
        auth = _base64url_bytes(keys.get("auth"), "keys.auth", _AUTH_SECRET_BYTES)
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
        except ValueError:
            raise BadSubscription("keys.p256dh: not a point on the P-256 curve") from None
        return cls(endpoint=endpoint, p256dh=_b64url(p256dh), auth=_b64url(auth))

    def to_json(self) -> dict[str, Any]:
        """The form ``from_json`` reads and pywebpush takes."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    @property
    def origin(self) -> str:
        """Scheme, host and port of the endpoint: the VAPID token's audience (a default port
        left out, as push services compare it with their own origin)."""
        parts = urlsplit(self.endpoint)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        default = {"https": 443, "http": 80}.get(scheme)
        port = "" if parts.port in (None, default) else f":{parts.port}"
        return f"{scheme}://{host}{port}"


def _check_endpoint(endpoint: str, *, allow_http: bool) -> None:
    if not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise BadSubscription(f"endpoint: empty or longer than {MAX_ENDPOINT_LENGTH} characters")
    if any(not 0x21 <= ord(char) <= 0x7E for char in endpoint):
        raise BadSubscription("endpoint: only printable ASCII without spaces is allowed")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise BadSubscription("endpoint: not a URL") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        raise BadSubscription("endpoint: must be an https:// URL")
    host = parts.hostname or ""
    if not host:
        raise BadSubscription("endpoint: has no host")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise BadSubscription("endpoint: must not carry a user name, password or fragment")
    if allow_http:
        return
    if port not in (None, 443):
        raise BadSubscription("endpoint: must use the default https port")
    if _is_address(host):
        raise BadSubscription("endpoint: must name a host, not an address")
    if "." not in host.strip(".") or host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        raise BadSubscription("endpoint: must name a public host")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _base64url_bytes(value: Any, name: str, size: int) -> bytes:
    """Decode a base64url string that must hold exactly ``size`` bytes."""
    unpadded = (size * 4 + 2) // 3
    if not isinstance(value, str):
        raise BadSubscription(f"{name}: missing or not a string")
    if not _BASE64URL.fullmatch(value) or len(value.rstrip("=")) != unpadded:
        raise BadSubscription(f"{name}: must be base64url of {size} bytes")
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-unpadded % 4))
    except (binascii.Error, ValueError):
        raise BadSubscription(f"{name}: must be base64url of {size} bytes") from None
    if len(raw) != size:
        raise BadSubscription(f"{name}: must be base64url of {size} bytes")
    return raw


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _public_b64(key: ec.EllipticCurvePrivateKey) -> str:
    return _b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def generate_keys() -> tuple[str, str]:
    """A new VAPID key pair: (private key as PEM, public key as base64url for the page)."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return pem, _public_b64(key)


def _load_private_key(private_key: str | Path) -> ec.EllipticCurvePrivateKey:
    """Read a VAPID key from a PEM file, PEM text, or a base64url raw/DER string (py_vapid's
    forms). A path that does not exist is an error: py_vapid would silently make a new key,
    and every browser's subscription would stop working."""
    is_path = isinstance(private_key, Path) or (
        "-----BEGIN" not in private_key
        and (
            Path(private_key).is_file()
            or private_key.startswith(("/", "./", "../", "~"))
            or private_key.endswith(".pem")
        )
    )
    where = "web_chat.vapid_private_key_file" if is_path else "web_chat.vapid_private_key"
    try:
        if is_path:
            path = Path(private_key).expanduser()
            if not path.is_file():
                raise ConfigError(
                    [f"{where}: no key file at {path} (make one: peerbot web-push-keys --out DIR)"]
                )
            text = path.read_text(encoding="ascii")
        else:
            text = str(private_key)
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            key = Vapid02.from_string(text.strip()).private_key
    except ConfigError:
        raise
    except (OSError, UnicodeError, ValueError, TypeError, binascii.Error) as exc:
        raise ConfigError([f"{where}: not a readable VAPID private key"]) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ConfigError([f"{where}: a VAPID key must be an EC key on the P-256 curve"])
    return key


def check_subject(subject: str) -> None:
    """Raise ConfigError unless ``subject`` is a ``mailto:`` address or an ``https://`` URL."""
    if any(char.isspace() or char in "\"'\\<>" for char in subject):
        raise ConfigError(["web_chat.vapid_subject: no spaces, quotes or angle brackets"])
    mailto = subject.startswith("mailto:") and "@" in subject
    https = subject.startswith("https://") and len(subject) > len("https://")
    if not (mailto or https):
        raise ConfigError(
            [
                "web_chat.vapid_subject: a mailto: address or an https:// URL, "
                "e.g. mailto:it@example.org"
            ]
        )


class NotPublicAddress(OSError):
    """A push service's name resolved only to addresses that are not on the public internet."""


class PublicOnlyResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then keeps only public addresses, so that a
    subscription naming a host inside the organisation's network reaches nothing."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        public = [result for result in found if is_public_address(result["host"])]
        if not public:
            raise NotPublicAddress("the push service's name has no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (an IPv4-mapped one counts as its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _payload(title: str, body: str, url: str) -> bytes | None:
    """The JSON the service worker reads, with the body cut to fit one push message; None when
    even an empty body does not fit."""

    def encode(text: str) -> bytes:
        data = {"title": title, "body": text, "url": url}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    payload = encode(body)
    if len(payload) <= MAX_PAYLOAD_BYTES:
        return payload
    if len(encode(ELLIPSIS)) > MAX_PAYLOAD_BYTES:
        return None
    # The longest prefix that fits with the ellipsis: found by halving, each try one encode.
    fits, too_long = 0, len(body)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if len(encode(body[:middle] + ELLIPSIS)) <= MAX_PAYLOAD_BYTES:
            fits = middle
        else:
            too_long = middle
    return encode(_cut_safely(body, fits).rstrip() + ELLIPSIS)


def _failure_reason(exc: BaseException) -> str:
    """A log-safe name for why a send failed: exception class names only, never their text
    (aiohttp's messages name the host)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NotPublicAddress) or isinstance(
            getattr(seen, "os_error", None), NotPublicAddress
        ):
            return "the endpoint's host has no public address"
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


class _Answer:
    """What pywebpush reads of a push service's answer: its status (and a text it logs only
    when verbose, which it never is here)."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = ""

    async def text(self) -> str:
        return ""


class _GuardedSession:
    """The one thing pywebpush's ``send_async`` needs of an aiohttp session (``post``), with
    what a request to a URL given by anyone needs: no redirect is followed (a 3xx is a
    failure, so no answer can send the request on to an address inside the network), and no
    answer body larger than MAX_ANSWER_BYTES is read (a connection with more is closed)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def post(self, url: str, **kwargs: Any) -> _Answer:
        async with self._session.post(url, allow_redirects=False, **kwargs) as response:
            length = response.content_length
            if length is not None and length <= MAX_ANSWER_BYTES:
                await response.read()  # read to the end, so the connection can be used again
            return _Answer(response.status)


class PushSender:
    """Sends Web Push messages signed with the organisation's VAPID key.

    One aiohttp session, opened at the first send and closed by ``close()``. ``send`` never
    raises: it answers SENT, GONE or FAILED, and logs only that and the status code.
    """

    def __init__(
        self,
        private_key: str | Path,
        subject: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
        ttl: int = TTL_SECONDS,
        allow_private_addresses: bool = False,
    ) -> None:
        """``private_key``: a PEM file (a ``Path``, or a string that looks like a path), PEM
        text, or py_vapid's base64url raw/DER string. ``subject``: ``mailto:`` or ``https://``,
        how a push service reaches the organisation. ``allow_private_addresses`` is for tests
        against a push service on loopback. Raises ConfigError when either cannot be used."""
        key = _load_private_key(private_key)
        check_subject(subject)
        self._vapid = Vapid02(private_key=key)
        try:  # py_vapid has its own rule for the subject: learn it now, not at the first send
            self._vapid.sign({"sub": subject, "aud": "https://push.example.com"})
        except VapidException:
            raise ConfigError(
                ["web_chat.vapid_subject: py_vapid does not accept it; use mailto:name@domain.tld"]
            ) from None
        self._public_key = _public_b64(key)
        self._subject = subject
        self._timeout = timeout
        self._ttl = ttl
        self._allow_private = allow_private_addresses
        self._session: aiohttp.ClientSession | None = None

    @property
    def public_key(self) -> str:
        """The VAPID public key, base64url of the uncompressed point: the page's
        ``applicationServerKey``."""
        return self._public_key

    async def send(
        self, subscription: PushSubscription, title: str, body: str, url: str
    ) -> PushOutcome:
        """Push ``{"title", "body", "url"}`` to one browser; never raises."""
        payload = _payload(title, body, url)
        if payload is None:
            log.warning("web push failed: the notification does not fit in a push message")
            return PushOutcome.FAILED
        try:
            async with asyncio.timeout(self._timeout):
                status = await self._post(subscription, payload)
        except TimeoutError:
            log.warning("web push failed: no answer within %.1f s", self._timeout)
            return PushOutcome.FAILED
        except Exception as exc:  # the caller keeps the subscription and goes on
            log.warning("web push failed: %s", _failure_reason(exc))
            return PushOutcome.FAILED
        if 200 <= status < 300:
            log.debug("web push sent (status %d)", status)
            return PushOutcome.SENT
        if status in (404, 410):
            log.info("web push gone (status %d): the subscription ended", status)
            return PushOutcome.GONE
        log.warning("web push failed (status %d)", status)
        return PushOutcome.FAILED

    async def _post(self, subscription: PushSubscription, payload: bytes) -> int:
        host = urlsplit(subscription.endpoint).hostname or ""
        if not self._allow_private and _is_address(host) and not is_public_address(host):
            raise NotPublicAddress("the endpoint is not a public address")
        # The push service checks `exp` against real time, so this is the wall clock, not the
        # bot's clock (which the sandbox moves).
        claims: dict[str, str | int] = {
            "sub": self._subject,
            "aud": subscription.origin,
            "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
        }
        headers = {**self._vapid.sign(claims), "Urgency": "normal"}
        session = _GuardedSession(self._session_now())
        pusher = WebPusher(subscription.to_json(), aiohttp_session=session)  # type: ignore[arg-type]
        answer = await pusher.send_async(
            payload,
            headers,
            ttl=self._ttl,
            content_encoding="aes128gcm",
            timeout=aiohttp.ClientTimeout(total=self._timeout),
        )
        if not isinstance(answer, _Answer):  # only with curl=True, which is never passed
            raise TypeError("pywebpush did not send")
        return answer.status

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            resolver = None if self._allow_private else PublicOnlyResolver()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=resolver, limit=20),
                cookie_jar=aiohttp.DummyCookieJar(),  # no push service can tie two sends
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (if one was opened); a later send opens a new one."""
        if self._session is not None:
            await self._session.close()
            self._session = None


# -- What a phone shows --------------------------------------------------------------------

_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_TAGS = range(0xE0020, 0xE0080)
_ZWJ = "\u200d"


def _continues_cluster(char: str) -> bool:
    """Whether this character belongs to the one before it on screen (so no cut before it)."""
    code = ord(char)
    return (
        char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (emoji or text style)
        or code in _SKIN_TONES
        or code in _TAGS
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
    )


def _cut_safely(text: str, end: int) -> str:
    """``text[:end]``, moved left so that no emoji or accented letter is split."""
    end = max(0, min(end, len(text)))
    while 0 < end < len(text) and (_continues_cluster(text[end]) or text[end - 1] == _ZWJ):
        end -= 1
    if 0 < end < len(text) and ord(text[end]) in _REGIONAL_INDICATORS:
        # Flags are pairs of regional indicators: an odd count before the cut splits one.
        run = 0
        while run < end and ord(text[end - 1 - run]) in _REGIONAL_INDICATORS:
            run += 1
        end -= run % 2
    return text[:end]


def first_line(text: str, limit: int = 120) -> str:
    """The first non-empty line, cut at a word boundary with "…" when longer than ``limit``
    characters: what a phone's notification shows, as on Telegram."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    room = max(0, limit - len(ELLIPSIS))
    head = _cut_safely(line, room)
    if not line[len(head)].isspace():
        space = next((i for i in range(len(head) - 1, -1, -1) if head[i].isspace()), -1)
        if space >= room // 2:
            # Cut at the last word boundary, unless that throws away more than half the room
            # (a line of one long word, or a short word before a long link): then cut the word.
            head = head[:space]
    head = head.rstrip().rstrip(",;:-–—").rstrip()
    return head + ELLIPSIS
