"""A push service on loopback that checks what a real one checks, for the web chat's tests.

It verifies the VAPID token (ES256 signature with the organisation's public key, ``aud`` = the
endpoint's origin, ``exp`` in the future) and decrypts the aes128gcm body with http_ece's own
``decrypt``, using the browser's private ECDH key and auth secret that the test made, as a
browser would. It answers 201 only when all of that holds, like a push service.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from multidict import CIMultiDict

from bot.web.push import PushSubscription

SUBJECT = "mailto:it@example.org"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """What a browser keeps for one subscription: its ECDH key pair and auth secret."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


@dataclass
class Received:
    path: str
    headers: CIMultiDict[str]
    body: bytes
    peer_port: int
    payload: dict[str, Any] | None = None
    problem: str | None = None


def verify_vapid(authorization: str, public_key: str, origin: str) -> str | None:
    """What is wrong with a VAPID Authorization header, or None."""
    scheme, _, params = authorization.partition(" ")
    if scheme != "vapid":
        return "scheme"
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    if parts.get("k") != public_key:
        return "k is not the organisation's key"
    header, claims, signature = parts["t"].split(".")
    if json.loads(unb64url(header)) != {"typ": "JWT", "alg": "ES256"}:
        return "jwt header"
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    try:
        key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "signature"
    decoded = json.loads(unb64url(claims))
    if decoded.get("aud") != origin:
        return "aud"
    if not time.time() < decoded["exp"] <= time.time() + 24 * 3600:
        return "exp"
    if decoded.get("sub") != SUBJECT:
        return "sub"
    return None


class LocalPushService:
    """A push service on loopback that accepts a message only when a real one would."""

    def __init__(self, organisation_key: str) -> None:
        self.organisation_key = organisation_key
        self.browsers: dict[str, Browser] = {}
        self.received: list[Received] = []
        self.status: int | None = None  # answer this instead of checking
        self.answer_headers: dict[str, str] = {}
        self.answer_body = b""
        self.hang = False
        self.released = asyncio.Event()
        self.origin = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/push/{token}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)  # it stands for Google's servers
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.origin = f"http://{host}:{port}"

    async def stop(self) -> None:
        self.released.set()
        assert self._runner is not None
        await self._runner.cleanup()

    def subscribe(self, origin: str | None = None) -> tuple[PushSubscription, Browser]:
        token = secrets.token_urlsafe(16)
        browser = Browser()
        self.browsers[token] = browser
        data = {
            "endpoint": f"{origin or self.origin}/push/{token}",
            "expirationTime": None,
            "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth)},
        }
        return PushSubscription.from_json(data, allow_http=True), browser

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        got = Received(request.path, CIMultiDict(request.headers), body, peer[1] if peer else 0)
        self.received.append(got)
        if self.hang:
            await self.released.wait()
        if self.status is not None:
            return web.Response(
                status=self.status, headers=self.answer_headers, body=self.answer_body
            )
        if len(body) > 4096:
            return web.Response(status=413)
        browser = self.browsers.get(request.match_info["token"])
        if browser is None:
            return web.Response(status=404)
        problem = verify_vapid(
            request.headers.get("Authorization", ""),
            self.organisation_key,
            f"{request.scheme}://{request.host}",
        )
        if problem:
            got.problem = problem
            return web.Response(status=403)
        try:
            plain = http_ece.decrypt(
                body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
            )
        except Exception as exc:
            got.problem = f"decrypt: {type(exc).__name__}"
            return web.Response(status=400)
        got.payload = json.loads(plain)
        return web.Response(status=201)
