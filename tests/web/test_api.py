"""The web chat's HTTP side from outside: bad input, forged and stale presses, limits,
secrets that do not open anything, and the headers that keep the page to itself."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram.error import BadRequest

from bot.web import api
from tests.helpers.harness import Harness
from tests.helpers.web import WebCitizen


async def test_empty_long_and_non_text_messages_get_a_clear_answer(web: WebCitizen) -> None:
    await web.start("en")
    empty = await web.call("POST", "/api/send", {"text": "  \n "})
    assert empty.status == 400 and empty.body["error"] == "Please write a message first."
    long = await web.call("POST", "/api/send", {"text": "x" * 4097})
    assert long.status == 413
    assert long.body["error"] == (
        "That message is too long: at most 4,096 characters fit in one message."
    )
    assert (await web.call("POST", "/api/send", {"text": "x" * 4096})).status == 202
    for body in ({"text": 5}, {"text": ["a"]}, {"photo": "x"}, [1, 2], "text"):
        answer = await web.call("POST", "/api/send", body)
        assert answer.status == 400, body
        assert answer.body["error"] == "Only text can be sent here."


async def test_answers_are_in_the_conversations_language(web: WebCitizen) -> None:
    await web.start("da")
    empty = await web.call("POST", "/api/send", {"text": ""})
    assert empty.body["error"] == "Skriv gerne en besked først."


async def test_a_body_larger_than_a_message_is_refused_unread(web: WebCitizen) -> None:
    await web.start("en")
    answer = await web.call("POST", "/api/send", {"text": "x" * 70_000})
    assert answer.status == 413


async def test_control_characters_are_dropped_and_markup_stays_text(
    harness: Harness, web: WebCitizen
) -> None:
    await web.start("en")
    await web.write("<b>hi</b>\x00\x07 & <script>alert(1)</script>")
    mine = [m for m in web.messages if m["from"] == "me"]
    assert mine[-1]["text"] == "<b>hi</b> & <script>alert(1)</script>"
    assert mine[-1]["entities"] == []


async def test_a_forged_stale_or_foreign_press_reaches_no_handler(
    harness: Harness, web: WebCitizen, http: aiohttp.ClientSession
) -> None:
    h = harness
    await web.start("en")
    welcome = next(m for m in web.messages if m["from"] == "bot" and m["buttons"])
    before = await h.rt.storage.fetchone("SELECT COUNT(*) FROM inbox_seen")
    refused = "That button is no longer valid."
    for body in (
        {"message_id": welcome["id"], "data": "del:yes"},  # not on that message
        {"message_id": welcome["id"], "data": "x" * 65},
        {"message_id": 1, "data": "citizen:ask"},  # the person's own /start
        {"message_id": 999, "data": "citizen:ask"},
        {"message_id": "2", "data": "citizen:ask"},
        {"data": "citizen:ask"},
    ):
        answer = await web.call("POST", "/api/press", body)
        assert answer.status == 400, body
        assert answer.body["error"] == refused
    await h.settle()
    after = await h.rt.storage.fetchone("SELECT COUNT(*) FROM inbox_seen")
    assert before is not None and after is not None and after[0] == before[0]

    await web.press("Talk to a peer")
    age = next(
        m for m in web.messages if any("18 or over" in b["text"] for r in m["buttons"] for b in r)
    )
    data = next(b["data"] for r in age["buttons"] for b in r if "18 or over" in b["text"])
    other = WebCitizen(h, http)
    await other.start("en")
    stolen = await other.call("POST", "/api/press", {"message_id": age["id"], "data": data})
    assert stolen.status == 400  # that message is not in their conversation


async def test_unknown_missing_and_malformed_secrets_open_nothing(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    stranger = WebCitizen(harness, http)
    for secret in (None, "", "x" * 43, "y" * 5000, "Bearer"):
        stranger.secret = secret
        for method, path, body in (
            ("GET", "/api/messages", None),
            ("POST", "/api/send", {"text": "hi"}),
            ("POST", "/api/press", {"message_id": 2, "data": "citizen:ask"}),
            ("POST", "/api/forget", None),
            ("GET", "/api/file/2", None),
        ):
            answer = await stranger.call(method, path, body)
            assert answer.status == 401, (secret, path)


async def test_writing_too_fast_is_limited_with_a_kind_answer(
    harness: Harness, web: WebCitizen
) -> None:
    await web.start("en", first=None)
    limit = harness.config.web_chat.messages_per_minute
    statuses = [
        (await web.call("POST", "/api/send", {"text": f"message {n}"})).status
        for n in range(limit + 1)
    ]
    assert statuses == [202] * limit + [429]
    answer = await web.call("POST", "/api/send", {"text": "one more"})
    assert answer.status == 429
    assert "Please wait" in answer.body["error"]
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    harness.clock.advance(timedelta(seconds=61))
    assert (await web.call("POST", "/api/send", {"text": "after a minute"})).status == 202


async def test_one_address_cannot_open_endless_conversations(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    limit = harness.config.web_chat.new_conversations_per_hour
    statuses = []
    for _ in range(limit + 1):
        person = WebCitizen(harness, http)
        answer = await person.call("POST", "/api/session", {"language": "en"})
        statuses.append(answer.status)
    assert statuses == [201] * limit + [429]
    assert "Too many new conversations" in answer.body["error"]


async def test_every_answer_keeps_the_page_to_itself(web: WebCitizen) -> None:
    await web.start("en")
    for method, path in (("GET", ""), ("GET", "/static/chat.js"), ("GET", "/api/messages")):
        answer = await web.call(method, path)
        assert answer.status == 200, path
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "frame-ancestors https://www.example.dk" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    messages = await web.call("GET", "/api/messages")
    assert messages.headers["Cache-Control"] == "no-store"
    for path in ("/static/../api.py", "/static/page.py", "/../app.py", "/api/nothing"):
        assert (await web.call("GET", path)).status == 404, path


async def test_odd_json_gets_a_clear_answer_not_an_error(web: WebCitizen) -> None:
    await web.start("en")
    nested = "[" * 30_000 + "]" * 30_000
    async with web.session.post(
        web.base + "/api/send",
        data=nested,
        headers={"Authorization": f"Bearer {web.secret}", "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "Only text can be sent here."
    async with web.session.post(
        web.base + "/api/send",
        data=b'{"text": "half \\ud800 a pair"}',
        headers={"Authorization": f"Bearer {web.secret}", "Content-Type": "application/json"},
    ) as response:
        assert response.status == 202
    await web.read()
    assert [m["text"] for m in web.messages if m["from"] == "me"][-1] == "half ? a pair"


async def test_one_address_is_limited_in_all_it_asks_and_told_when_to_come_back(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    visitor = WebCitizen(harness, http)
    limit = harness.config.web_chat.requests_per_minute
    statuses = [(await visitor.call("GET", "/static/chat.css")).status for _ in range(limit + 1)]
    assert statuses == [200] * limit + [429]
    refused = await visitor.call("GET", "/api/messages")
    assert refused.status == 429
    assert refused.body["error"] == (
        "Der kommer for mange forespørgsler fra dit netværk. Vent lidt, og prøv så igen."
    )
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    harness.clock.advance(timedelta(minutes=1))
    assert (await visitor.call("GET", "/static/chat.css")).status == 200


async def test_numbers_too_large_for_the_database_get_an_answer_not_an_error(
    web: WebCitizen,
) -> None:
    await web.start("en")
    huge = "9" * 30
    everything = await web.call("GET", "/api/messages", after=huge)
    assert everything.status == 200 and everything.body["messages"], everything.body
    for path in (f"/api/file/{huge}", "/api/file/²", "/api/file/-1"):
        assert (await web.call("GET", path)).status == 404, path
    for message_id in (10**30, True, -1, 2**63):
        press = await web.call("POST", "/api/press", {"message_id": message_id, "data": "x"})
        assert press.status == 400, message_id
        assert press.body["error"] == "That button is no longer valid."


async def test_answers_to_presses_a_page_never_reads_do_not_pile_up(
    harness: Harness, web: WebCitizen
) -> None:
    """A script that presses and never reads: the short answers (toasts) kept in memory for
    the page stay a few, the newest, as Telegram shows only the latest."""
    await web.start("en")
    await web.read()
    assert harness.app is not None
    chat = await web.chat_id()
    for n in range(50):
        await harness.app.bot.answer_callback_query(f"web-{chat}-{n}", text=f"answer {n}")
    answer = await web.read()
    assert answer.body["toasts"] == ["answer 47", "answer 48", "answer 49"]


async def test_the_bot_can_read_a_web_chat_as_telegram_describes_a_chat(
    harness: Harness, web: WebCitizen
) -> None:
    """getChat answers what PTB can read (a full chat info), and a forgotten chat is not found."""
    await web.start("en")
    assert harness.app is not None
    chat = await web.chat_id()
    info = await harness.app.bot.get_chat(chat)
    assert info.id == chat and info.type == "private"
    await web.call("POST", "/api/forget")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await harness.app.bot.get_chat(chat)


async def test_a_message_that_arrives_in_pieces_is_read_whole(web: WebCitizen) -> None:
    """A body the network delivers in several pieces (as a proxy or a slow phone may) is
    read to its end, not judged by its first piece."""
    await web.start("en")
    text = "Hej " * 1000
    body = json.dumps({"text": text}).encode()

    async def pieces() -> AsyncIterator[bytes]:
        yield body[:100]
        for _ in range(50):  # let the server take the first piece on its own
            await asyncio.sleep(0)
        yield body[100:]

    async with web.session.post(
        web.base + "/api/send",
        data=pieces(),
        headers={"Authorization": f"Bearer {web.secret}", "Content-Type": "application/json"},
    ) as response:
        assert response.status == 202, await response.text()
    await web.read()
    assert [m["text"] for m in web.messages if m["from"] == "me"][-1] == text


async def test_a_body_that_drips_in_is_not_waited_for_forever(
    web: WebCitizen, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sender who starts a message and never finishes it does not hold a connection (one of
    the server's few) for as long as they like."""
    monkeypatch.setattr(api, "BODY_WITHIN", 0.2)
    await web.start("en")
    assert web.h.web is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", web.h.web.port)
    path = web.h.config.web_chat.path + "/api/send"
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {web.secret}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            '{"text": "hel'
        ).encode()
    )
    await writer.drain()
    try:
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"Content-Length: (\d+)", head, re.IGNORECASE)
            assert length is not None, head
            answer = await reader.readexactly(int(length.group(1)))
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 408"), head
    assert b"Your message took too long to arrive. Please try again." in answer
