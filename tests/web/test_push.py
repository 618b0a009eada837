"""Web Push against a local push service that checks what a real one checks.

The service is an aiohttp server on 127.0.0.1: it verifies the VAPID token (ES256 signature
with the organisation's public key, ``aud`` = the endpoint's origin, ``exp`` in the future) and
decrypts the aes128gcm body with http_ece's own ``decrypt``, using the browser's private ECDH
key and auth secret that the test made, as a browser would. It answers 201 only when all of
that holds, like a push service (401/403 for a bad token, 400 for a body it cannot decrypt).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from bot.errors import ConfigError, PeerbotError
from bot.web.push import (
    MAX_ANSWER_BYTES,
    MAX_ENDPOINT_LENGTH,
    MAX_PAYLOAD_BYTES,
    TTL_SECONDS,
    BadSubscription,
    NotPublicAddress,
    PublicOnlyResolver,
    PushOutcome,
    PushSender,
    PushSubscription,
    first_line,
    generate_keys,
    is_public_address,
)
from tests.helpers.push_service import (
    SUBJECT,
    Browser,
    LocalPushService,
    b64url,
    unb64url,
)

TITLE = "Peerbot"
BODY = "Din peer har svaret dig"
URL = "/chat/"


@pytest.fixture
def keys() -> tuple[str, str]:
    return generate_keys()


@pytest.fixture
async def service(keys: tuple[str, str]) -> AsyncIterator[LocalPushService]:
    push_service = LocalPushService(keys[1])
    await push_service.start()
    try:
        yield push_service
    finally:
        await push_service.stop()


@pytest.fixture
async def sender(keys: tuple[str, str]) -> AsyncIterator[PushSender]:
    push_sender = PushSender(keys[0], SUBJECT, timeout=0.5, allow_private_addresses=True)
    try:
        yield push_sender
    finally:
        await push_sender.close()


# -- Sending ---------------------------------------------------------------------------------


async def test_a_push_arrives_signed_encrypted_and_readable(
    service: LocalPushService, sender: PushSender
) -> None:
    subscription, _ = service.subscribe()

    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.SENT

    (got,) = service.received
    assert got.problem is None
    assert got.payload == {"title": TITLE, "body": BODY, "url": URL}
    assert got.headers["Content-Encoding"] == "aes128gcm"
    assert got.headers["TTL"] == str(TTL_SECONDS) == "43200"
    assert got.headers["Urgency"] == "normal"
    assert BODY.encode() not in got.body  # encrypted on the way


async def test_the_token_is_checked_so_a_wrong_key_is_refused(
    service: LocalPushService, keys: tuple[str, str]
) -> None:
    """The service's check can fail: a sender with another key gets 403, so FAILED."""
    subscription, _ = service.subscribe()
    stranger = PushSender(generate_keys()[0], SUBJECT, allow_private_addresses=True)
    try:
        assert await stranger.send(subscription, TITLE, BODY, URL) is PushOutcome.FAILED
    finally:
        await stranger.close()
    assert service.received[0].problem == "k is not the organisation's key"


async def test_a_message_for_another_browser_cannot_be_read(
    service: LocalPushService, sender: PushSender
) -> None:
    """The decryption check can fail too: encrypted for browser A, posted to B's endpoint."""
    subscription_a, _ = service.subscribe()
    subscription_b, _ = service.subscribe()
    crossed = PushSubscription(subscription_b.endpoint, subscription_a.p256dh, subscription_a.auth)

    assert await sender.send(crossed, TITLE, BODY, URL) is PushOutcome.FAILED
    assert service.received[0].problem is not None
    assert service.received[0].problem.startswith("decrypt")


async def test_a_long_body_is_cut_to_fit_one_push_message(
    service: LocalPushService, sender: PushSender
) -> None:
    subscription, _ = service.subscribe()
    body = "ø" * 5000  # two bytes each in UTF-8

    assert await sender.send(subscription, TITLE, body, URL) is PushOutcome.SENT

    (got,) = service.received
    assert got.payload is not None
    assert got.payload["body"].endswith("…") and set(got.payload["body"][:-1]) == {"ø"}
    plain = json.dumps(got.payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert MAX_PAYLOAD_BYTES - 3 <= len(plain) <= MAX_PAYLOAD_BYTES
    assert len(got.body) <= 4096


async def test_a_notification_that_cannot_fit_is_not_sent(
    service: LocalPushService, sender: PushSender
) -> None:
    subscription, _ = service.subscribe()
    assert await sender.send(subscription, "x" * 5000, BODY, URL) is PushOutcome.FAILED
    assert service.received == []


async def test_one_session_serves_many_sends_and_reopens_after_close(
    service: LocalPushService, sender: PushSender
) -> None:
    subscription, _ = service.subscribe()
    for _ in range(2):
        assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.SENT
    first, second = service.received
    assert first.peer_port == second.peer_port  # the same kept-alive connection

    await sender.close()
    await sender.close()  # twice is harmless
    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.SENT
    assert service.received[2].payload == {"title": TITLE, "body": BODY, "url": URL}


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, PushOutcome.SENT),
        (202, PushOutcome.SENT),
        (410, PushOutcome.GONE),
        (404, PushOutcome.GONE),
        (500, PushOutcome.FAILED),
        (503, PushOutcome.FAILED),
        (429, PushOutcome.FAILED),
        (413, PushOutcome.FAILED),
        (400, PushOutcome.FAILED),
    ],
)
async def test_the_push_services_answer_decides_the_outcome(
    service: LocalPushService, sender: PushSender, status: int, outcome: PushOutcome
) -> None:
    subscription, _ = service.subscribe()
    service.status = status
    assert await sender.send(subscription, TITLE, BODY, URL) is outcome


async def test_an_unknown_subscription_is_gone(
    service: LocalPushService, sender: PushSender
) -> None:
    subscription, _ = service.subscribe()
    service.browsers.clear()  # the push service forgot it (the browser unsubscribed)
    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.GONE


async def test_a_redirect_is_not_followed(service: LocalPushService, sender: PushSender) -> None:
    """An endpoint's host could send the request on to an address inside the network."""
    subscription, _ = service.subscribe()
    elsewhere, _ = service.subscribe()
    service.status = 307
    service.answer_headers = {"Location": elsewhere.endpoint}

    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.FAILED
    assert [got.path for got in service.received] == [urlsplit(subscription.endpoint).path]


async def test_a_huge_answer_is_not_read(service: LocalPushService, sender: PushSender) -> None:
    subscription, _ = service.subscribe()
    service.status = 201
    service.answer_body = b"x" * (64 * MAX_ANSWER_BYTES)  # 4 MiB: more than aiohttp buffers
    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.SENT
    service.answer_body = b"{}"
    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.SENT
    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.SENT
    first, second, third = service.received
    # The unread answer cost its connection; a small one is read and its connection kept.
    assert first.peer_port != second.peer_port == third.peer_port


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_closed_port_fails_without_raising(
    service: LocalPushService, sender: PushSender
) -> None:
    subscription, _ = service.subscribe(origin=f"http://127.0.0.1:{closed_port()}")
    assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.FAILED


async def test_a_hanging_push_service_fails_after_the_timeout(
    service: LocalPushService, keys: tuple[str, str]
) -> None:
    subscription, _ = service.subscribe()
    service.hang = True
    quick = PushSender(keys[0], SUBJECT, timeout=0.2, allow_private_addresses=True)
    started = time.monotonic()
    try:
        assert await quick.send(subscription, TITLE, BODY, URL) is PushOutcome.FAILED
    finally:
        await quick.close()
    assert 0.15 < time.monotonic() - started < 2
    assert len(service.received) == 1  # it did reach the service, which never answered


# -- Private addresses: a subscription comes from anyone ----------------------------------


async def test_by_default_no_push_goes_to_a_loopback_address(
    service: LocalPushService,
    keys: tuple[str, str],
    sender: PushSender,
    caplog: pytest.LogCaptureFixture,
) -> None:
    by_address, _ = service.subscribe()
    by_name, _ = service.subscribe(origin=service.origin.replace("127.0.0.1", "localhost"))
    guarded = PushSender(keys[0], SUBJECT, timeout=2)
    try:
        for subscription in (by_address, by_name):
            assert await guarded.send(subscription, TITLE, BODY, URL) is PushOutcome.FAILED
    finally:
        await guarded.close()
    assert service.received == []
    reasons = [r.getMessage() for r in caplog.records if r.name == "bot.web.push"]
    assert reasons == ["web push failed: the endpoint's host has no public address"] * 2

    # The same subscriptions work for a sender allowed to reach loopback (the tests' own).
    for subscription in (by_address, by_name):
        assert await sender.send(subscription, TITLE, BODY, URL) is PushOutcome.SENT


class StubResolver(AbstractResolver):
    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0)
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


async def test_the_resolver_keeps_only_public_addresses() -> None:
    mixed = PublicOnlyResolver(StubResolver(["10.0.0.7", "142.250.74.106", "::1"]))
    assert [r["host"] for r in await mixed.resolve("push.example.com", 443)] == ["142.250.74.106"]

    inside = PublicOnlyResolver(StubResolver(["169.254.169.254", "192.168.1.2", "fd00::1"]))
    with pytest.raises(NotPublicAddress):
        await inside.resolve("push.example.com", 443)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("142.250.74.106", True),
        ("2a00:1450:400f:80d::200a", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd12:3456::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("not an address", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# -- Logs ------------------------------------------------------------------------------------


async def test_no_log_record_names_the_endpoint_or_the_text(
    service: LocalPushService, keys: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = "Hemmelig besked til Kirsten om hendes aftale"
    title = "Titel-Hemmelig"
    sender = PushSender(keys[0], SUBJECT, timeout=0.2, allow_private_addresses=True)
    subscriptions = []
    try:
        for status in (None, 410, 500):
            subscription, _ = service.subscribe()
            subscriptions.append(subscription)
            service.status = status
            await sender.send(subscription, title, body, URL)
        dead, _ = service.subscribe(origin=f"http://127.0.0.1:{closed_port()}")
        subscriptions.append(dead)
        await sender.send(dead, title, body, URL)
        service.status, service.hang = None, True
        slow, _ = service.subscribe()
        subscriptions.append(slow)
        await sender.send(slow, title, body, URL)
    finally:
        await sender.close()

    ours = [r.getMessage() for r in caplog.records if r.name == "bot.web.push"]
    assert any("status 410" in m for m in ours) and any("status 500" in m for m in ours)
    assert len(ours) == 5
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + str(record.exc_info)
        for subscription in subscriptions:
            path = subscription.endpoint.split("/push/", 1)[1]
            assert path not in text and subscription.endpoint not in text
        assert body not in text and title not in text


def test_a_subscription_does_not_show_itself_in_repr(service: LocalPushService) -> None:
    subscription, browser = service.subscribe()
    shown = repr(subscription)
    assert subscription.endpoint not in shown and browser.p256dh not in shown


# -- Subscriptions ---------------------------------------------------------------------------

P256DH = Browser().p256dh
AUTH = b64url(bytes(range(16)))
GOOD = "https://fcm.googleapis.com/fcm/send/abc:APA91b-xyz"


def subscription_data(endpoint: str = GOOD, p256dh: Any = P256DH, auth: Any = AUTH) -> Any:
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def test_a_browsers_subscription_is_accepted_and_kept_in_canonical_form() -> None:
    padded = subscription_data(p256dh=P256DH + "=", auth=AUTH + "==")
    padded["expirationTime"] = None
    subscription = PushSubscription.from_json(padded)
    assert subscription == PushSubscription(GOOD, P256DH, AUTH)
    assert subscription.to_json() == subscription_data()
    assert PushSubscription.from_json(subscription.to_json()) == subscription
    assert subscription.origin == "https://fcm.googleapis.com"
    for endpoint in (
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
        "https://push.example.com:443/x",
    ):
        assert PushSubscription.from_json(subscription_data(endpoint)).endpoint == endpoint
    explicit_port = PushSubscription.from_json(subscription_data("HTTPS://Push.Example.com:443/x"))
    assert explicit_port.origin == "https://push.example.com"


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "https://fcm.googleapis.com/x",
        {},
        {"endpoint": GOOD},
        {"keys": {"p256dh": P256DH, "auth": AUTH}},
        {"endpoint": 5, "keys": {"p256dh": P256DH, "auth": AUTH}},
        {"endpoint": GOOD, "keys": [P256DH, AUTH]},
        {"endpoint": GOOD, "keys": {"p256dh": P256DH}},
        {"endpoint": GOOD, "keys": {"auth": AUTH}},
    ],
    ids=[
        "none",
        "list",
        "string",
        "empty",
        "no-keys",
        "no-endpoint",
        "endpoint-not-string",
        "keys-not-object",
        "no-auth",
        "no-p256dh",
    ],
)
def test_a_malformed_subscription_is_refused(data: Any) -> None:
    with pytest.raises(BadSubscription):
        PushSubscription.from_json(data)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",
        "ftp://fcm.googleapis.com/x",
        "javascript:alert(1)",
        "fcm.googleapis.com/fcm/send/x",
        "https://",
        "https:///path",
        "",
        "https://fcm.googleapis.com/" + "x" * MAX_ENDPOINT_LENGTH,
        "https://fcm.googleapis.com/a b",
        "https://fcm.googleapis.com/a\nb",
        "https://fcm.googleapis.com/ø",
        "https://user:pass@fcm.googleapis.com/x",
        "https://user@fcm.googleapis.com/x",
        "https://fcm.googleapis.com/x#frag",
        "https://fcm.googleapis.com:8443/x",
        "https://fcm.googleapis.com:99999/x",
        "https://10.0.0.1/x",
        "https://142.250.74.106/x",
        "https://[::1]/x",
        "https://localhost/x",
        "https://push.localhost/x",
        "https://printer.local/x",
        "https://intranet/x",
        "https://metadata.google.internal/x",
    ],
)
def test_an_endpoint_that_is_not_a_public_https_url_is_refused(endpoint: str) -> None:
    with pytest.raises(BadSubscription) as refused:
        PushSubscription.from_json(subscription_data(endpoint))
    assert isinstance(refused.value, PeerbotError)
    if endpoint:
        assert endpoint not in str(refused.value)  # the reason, never the URL


def test_the_longest_endpoint_allowed_is_2000_characters() -> None:
    base = "https://fcm.googleapis.com/"
    endpoint = base + "x" * (MAX_ENDPOINT_LENGTH - len(base))
    assert PushSubscription.from_json(subscription_data(endpoint)).endpoint == endpoint


def test_http_and_loopback_are_allowed_only_when_asked() -> None:
    data = subscription_data("http://127.0.0.1:8123/push/abc")
    with pytest.raises(BadSubscription):
        PushSubscription.from_json(data)
    assert PushSubscription.from_json(data, allow_http=True).origin == "http://127.0.0.1:8123"
    with pytest.raises(BadSubscription):
        PushSubscription.from_json(subscription_data("ftp://127.0.0.1/x"), allow_http=True)


def point(raw: bytes) -> str:
    return b64url(raw)


@pytest.mark.parametrize(
    ("p256dh", "auth"),
    [
        (b64url(b"\x04" + bytes(63)), AUTH),  # 64 bytes
        (b64url(b"\x04" + bytes(65)), AUTH),  # 66 bytes
        (b64url(unb64url(P256DH)[:33]), AUTH),  # compressed-point length
        (b64url(b"\x04" + bytes(64)), AUTH),  # 65 bytes, not on the curve
        (b64url(b"\x05" + unb64url(P256DH)[1:]), AUTH),  # not an uncompressed point
        (P256DH.replace("-", "+").replace("_", "/")[:86] + "+", AUTH),  # base64, not base64url
        (P256DH[:-1] + "!", AUTH),
        (P256DH + "===", AUTH),
        (P256DH * 30, AUTH),
        ("", AUTH),
        (5, AUTH),
        (P256DH, b64url(bytes(15))),
        (P256DH, b64url(bytes(17))),
        (P256DH, b64url(bytes(32))),
        (P256DH, "A" * 21 + "."),
        (P256DH, ""),
        (P256DH, None),
    ],
)
def test_keys_of_the_wrong_size_or_alphabet_are_refused(p256dh: Any, auth: Any) -> None:
    with pytest.raises(BadSubscription):
        PushSubscription.from_json(subscription_data(p256dh=p256dh, auth=auth))


# -- The sender's key and subject --------------------------------------------------------------


def test_the_key_is_read_in_every_form_py_vapid_knows(tmp_path: Path) -> None:
    pem, public = generate_keys()
    path = tmp_path / "vapid_private.pem"
    path.write_text(pem, encoding="ascii")
    assert PushSender(path, SUBJECT).public_key == public
    assert PushSender(str(path), SUBJECT).public_key == public
    assert PushSender(pem, SUBJECT).public_key == public

    vapid = Vapid02()
    vapid.generate_keys()
    raw = b64url(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))
    der = b64url(
        vapid.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    expected = b64url(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    assert PushSender(raw, SUBJECT).public_key == expected
    assert PushSender(der, SUBJECT).public_key == expected


def test_the_public_key_is_what_subscribe_needs() -> None:
    raw = unb64url(PushSender(generate_keys()[0], SUBJECT).public_key)
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def test_a_missing_key_file_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "vapid_private.pem"
    for given in (missing, str(missing)):
        with pytest.raises(ConfigError) as refused:
            PushSender(given, SUBJECT)
        assert "peerbot web-push-keys" in str(refused.value)
    assert not missing.exists()


def test_a_key_that_is_not_a_p256_key_is_refused(tmp_path: Path) -> None:
    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n")
    for given in (other.decode(), garbage, "bm9wZQ"):
        with pytest.raises(ConfigError):
            PushSender(given, SUBJECT)


@pytest.mark.parametrize(
    "subject",
    ["it@example.org", "mailto:nobody", "http://example.org", "https://", "", "mailto:a b@c.dk"],
)
def test_a_subject_push_services_cannot_use_is_refused(subject: str) -> None:
    with pytest.raises(ConfigError):
        PushSender(generate_keys()[0], subject)


def test_a_url_subject_is_accepted() -> None:
    PushSender(generate_keys()[0], "https://peerbot.example.org")


# -- What a phone shows ----------------------------------------------------------------------


def test_first_line_skips_blank_lines_and_trims() -> None:
    assert first_line("\n   \n\t  Din peer har svaret  \nAnden linje") == "Din peer har svaret"
    assert first_line("Kort") == "Kort"
    assert first_line("") == ""
    assert first_line(" \n \t\n") == ""
    assert first_line("x" * 120) == "x" * 120


def test_a_long_line_is_cut_at_a_word_with_an_ellipsis() -> None:
    line = "Hej, det er tid til jeres aftalte tjek-ind: hvordan har du det i dag, og har du lyst"
    cut = first_line(line, 40)
    assert cut == "Hej, det er tid til jeres aftalte…"
    assert len(cut) <= 40
    assert line[len(cut) - 1] == " "  # it ended where a word ended

    # A cut that falls exactly after a word keeps that word.
    assert first_line("aaaa bbbb cccc dddd", 10) == "aaaa bbbb…"
    # Punctuation before the cut does not hang on the ellipsis.
    assert first_line("aaaa bbbb, cccc dddd", 12) == "aaaa bbbb…"


def test_a_single_long_word_is_cut_inside_it() -> None:
    assert first_line("x" * 300) == "x" * 119 + "…"
    url = "Se https://example.org/" + "a" * 200
    cut = first_line(url, 50)
    assert len(cut) == 50 and cut.startswith("Se https://") and cut.endswith("a…")


def test_emoji_are_never_split() -> None:
    family = "👨‍👩‍👧‍👦"  # seven code points, one picture
    assert first_line("ab " + family * 5, 12) == "ab " + family + "…"
    wave = "👋🏽"  # hand and skin tone
    assert first_line(wave * 10, 4) == wave + "…"
    assert first_line("Hej " + wave * 10, 8) == "Hej…"  # the word boundary comes first
    flags = "🇩🇰" * 10  # pairs of regional indicators
    assert first_line(flags, 6) == "🇩🇰" * 2 + "…"
    assert first_line("e\u0301" * 20, 4) == "e\u0301" + "…"  # e and a combining accent
    heart = "❤️"  # heart and variation selector
    assert first_line(heart * 10, 4) == heart + "…"
