"""A web citizen who closed the page gets a notification for a peer's reply and a check-in,
sent through a local push service that verifies and decrypts it as a real one would; without
notifications they read later, and the peer is told so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.web.push import PushSender, generate_keys
from tests.helpers.flows import press
from tests.helpers.harness import Harness
from tests.helpers.push_service import SUBJECT, LocalPushService
from tests.helpers.web import WebCitizen
from tests.web.test_web_journey import in_web_contact


@pytest.fixture
async def push(harness: Harness, tmp_path: Path) -> AsyncIterator[LocalPushService]:
    """The organisation's VAPID key, a push service on loopback, and the bot sending to it."""
    private, public = generate_keys()
    service = LocalPushService(public)
    await service.start()
    web_chats = harness.rt.web
    assert web_chats is not None
    web_chats.push = PushSender(private, SUBJECT, allow_private_addresses=True)
    web_chats.push_allow_http = True
    try:
        yield service
    finally:
        await service.stop()


async def subscribe(web: WebCitizen, service: LocalPushService) -> None:
    subscription, _ = service.subscribe()
    answer = await web.call("POST", "/api/push", {"subscription": subscription.to_json()})
    assert answer.status == 204, answer
    assert (await web.read()).body["push"]["subscribed"] is True


async def notified(h: Harness) -> None:
    assert h.rt.web is not None
    await h.rt.web.notified()


async def test_a_reply_and_a_check_in_reach_a_closed_page_as_notifications(
    harness: Harness, web: WebCitizen, push: LocalPushService
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    await subscribe(web, push)
    assert (await web.read()).body["push"]["key"] == h.rt.web.push.public_key  # type: ignore[union-attr]
    peer.send_text("Hi! I am here whenever you want to talk.")
    await h.settle()
    await notified(h)
    assert push.received == []  # the page is open: no notification
    await h.tick(timedelta(minutes=5))  # the page was closed
    peer.send_text("Thinking of you today.\nNo need to answer.")
    await h.settle()
    await notified(h)
    # What a phone shows for a Telegram message: its first line, here the peer's name.
    assert [r.problem for r in push.received] == [None]
    assert push.received[0].payload == {"title": "New message", "body": "Maja", "url": "/chat/"}
    assert "may not see this right away" not in peer.texts[-1]  # notifications reach them

    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    await h.tick(timedelta(days=1))
    await notified(h)
    await web.read()
    checkin = web.texts[-1]
    assert "How are you doing today?" in checkin
    assert push.received[-1].payload == {
        "title": "New message",
        "body": checkin.split("\n")[0],
        "url": "/chat/",
    }
    body = push.received[-1].payload["body"].lower()  # type: ignore[index]
    assert "peer" not in body and "how are you" not in body  # nothing about the service


async def test_a_subscription_the_push_service_forgot_is_removed(
    harness: Harness, web: WebCitizen, push: LocalPushService
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    await subscribe(web, push)
    push.status = 410  # the person turned notifications off in the browser's settings
    await h.tick(timedelta(minutes=5))
    peer.send_text("Are you there?")
    await h.settle()
    await notified(h)
    assert (await web.read()).body["push"]["subscribed"] is False
    await h.tick(timedelta(minutes=5))
    peer.send_text("No hurry.")
    await h.settle()
    assert "may not see this right away" in peer.texts[-1]  # now they read later


async def test_a_subscription_that_is_not_one_is_refused(
    harness: Harness, web: WebCitizen, push: LocalPushService
) -> None:
    await web.start("en")
    for subscription in (
        None,
        {"endpoint": "https://push.example.com/x"},
        {"endpoint": "ftp://x", "keys": {"p256dh": "a", "auth": "b"}},
        "text",
    ):
        answer = await web.call("POST", "/api/push", {"subscription": subscription})
        assert answer.status == 400
        assert answer.body["error"] == "This browser's notifications could not be set up."
    assert (await web.call("DELETE", "/api/push")).status == 204


async def test_without_a_key_notifications_are_not_offered(web: WebCitizen) -> None:
    await web.start("en")
    assert (await web.read()).body["push"] == {"key": None, "subscribed": False}
    answer = await web.call("POST", "/api/push", {"subscription": {}})
    assert answer.status == 404
    assert answer.body["error"] == "Notifications are not available here."
