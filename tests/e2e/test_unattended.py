"""Runs unattended: no bad update, repeat, wrong request or connection flood stops the bot.

Real `peerbot run` processes against the HTTP fake Bot API, on loopback only.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.fakebot import FakeTelegram
from bot.storage import Database, inbox
from tests.e2e.test_webhook import free_port
from tests.helpers.process import COORDINATOR, BotProcess, eventually

SECRET = "s3cret-token_value"
HELP_SENT = "You are not alone"

# Every kind of malformed update the old webhook accepted; each has an update_id.
MALFORMED: dict[str, object] = {
    "no date": {"message_id": 1, "chat": {"id": 1001, "type": "private"}, "text": "Ada here"},
    "only chat.id": {"chat": {"id": 1001}},
    "a list": [],
    "null": None,
    "deep nesting": {"chat": {"id": 1001}, "x": json.loads("[" * 200 + "]" * 200)},
}


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(FakeTelegram(), tmp_path)
    await process.serve()
    try:
        yield process
    finally:
        await process.close()


def set_aside(bot: BotProcess) -> list[sqlite3.Row]:
    with sqlite3.connect(bot.database) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM inbox_set_aside ORDER BY update_id").fetchall()


def alerts(fake: FakeTelegram) -> list[str]:
    return [t for t in fake.user(COORDINATOR).texts if "#1" in t]


def assert_quiet_log(bot: BotProcess) -> None:
    log = bot.log_text
    assert "Traceback" not in log
    for personal in ("Ada", "1001", bot.fake.token, "Bo Jensen"):
        assert personal not in log


async def test_bad_updates_by_polling_are_set_aside_and_help_still_works(bot: BotProcess) -> None:
    fake = bot.fake
    fake.user(COORDINATOR, "Coco", language_code="en")
    citizen = fake.user(1001, "Ada", language_code="en")
    # What an earlier version stored and then could never start past.
    db = await Database.open(bot.database)
    old = {"update_id": 0, "message": MALFORMED["no date"]}
    await inbox.add_updates(db, [old], datetime.now(UTC))
    await db.close()

    await bot.start()
    for body in MALFORMED.values():
        fake.push_raw_update("message", body)
    fake.push_raw_update("message_reaction_count_v9", {"chat": {"id": 1001}, "what": "Bo Jensen"})
    fake.push_raw_update("callback_query", "Bo Jensen")
    citizen.send_text("/start")
    await eventually(lambda: any("Hi, and welcome" in t for t in citizen.texts))
    assert await bot.kill(signal.SIGTERM) == 0

    kept = set_aside(bot)
    # The stored one, four malformed messages and the callback query that is a string; a null
    # message is an update with nothing in it, and an unknown kind is handled (ignored).
    assert len(kept) == 6
    assert kept[0]["update_id"] == 0 and kept[0]["error"] == "KeyError: date"
    assert "Ada" not in json.dumps([dict(row) for row in kept])
    assert "Bo Jensen" not in json.dumps([dict(row) for row in kept])

    await bot.start()  # a clean restart, then the one thing that must always work
    citizen.send_text("/help_now")
    await eventually(lambda: any(HELP_SENT in t for t in citizen.texts))
    await eventually(lambda: len(alerts(fake)) == 1)
    assert await bot.kill(signal.SIGTERM) == 0
    assert "set aside" in bot.log_text
    assert_quiet_log(bot)


async def raw_request(port: int, data: bytes, *, read_all: bool = False, answers: int = 1) -> bytes:
    """Send raw bytes; read `answers` response heads (or everything until the server closes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = b""
    try:
        async with asyncio.timeout(10):
            if read_all:
                return await reader.read()
            while len(statuses(answer)) < answers:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                answer += chunk
    finally:
        writer.close()
    return answer


def post_bytes(
    body: bytes, secret: bytes = SECRET.encode(), path: str = "/telegram", extra: bytes = b""
) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode()
        + b"X-Telegram-Bot-Api-Secret-Token: "
        + secret
        + b"\r\n"
        + extra
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def statuses(answer: bytes) -> list[int]:
    return [
        int(line.split()[1])
        for line in answer.split(b"\r\n")
        if line.startswith((b"HTTP/1.1 ", b"HTTP/1.0 "))
    ]


async def status_of(port: int, data: bytes) -> int:
    answer = await raw_request(port, data)
    assert statuses(answer), answer[:200]
    return statuses(answer)[0]


def webhook_bot(bot: BotProcess, port: int, extra: str = "") -> None:
    bot.run_args = ("--webhook", f"http://127.0.0.1:{port}/telegram", "--port", str(port))
    bot.env = {"PEERBOT_WEBHOOK_SECRET": SECRET}
    bot.config_extra = extra


async def start_webhook(bot: BotProcess, port: int) -> None:
    runs = bot.log_text.count("webhook listening")
    await bot.start()
    await eventually(lambda: bot.log_text.count("webhook listening") > runs)


async def test_bad_webhook_requests_get_a_4xx_and_help_still_works(bot: BotProcess) -> None:
    fake = bot.fake
    fake.user(COORDINATOR, "Coco", language_code="en")
    citizen = fake.user(1001, "Ada", language_code="en")
    port, health_port = free_port(), free_port()
    webhook_bot(bot, port, f'[health]\nlisten = "127.0.0.1:{health_port}"\n')
    await start_webhook(bot, port)

    def update(update_id: int, kind: str, body: object) -> bytes:
        return json.dumps({"update_id": update_id, kind: body}).encode()

    # Malformed updates with an id are taken (200) and set aside: Telegram would resend a 4xx.
    for n, body in enumerate(MALFORMED.values()):
        assert await status_of(port, post_bytes(update(100 + n, "message", body))) == 200
    assert await status_of(port, post_bytes(update(120, "brand_new_kind", {"a": 1}))) == 200
    # What is not an update at all: 400, and nothing stored.
    refused = {
        b"[]": 400,
        b"null": 400,
        b'"Bo Jensen"': 400,
        b"{not json": 400,
        b"[" * 100_000 + b"]" * 100_000: 400,
        b'{"message": {}}': 400,
        b'{"update_id": "7"}': 400,
    }
    for body, expected in refused.items():
        assert await status_of(port, post_bytes(body)) == expected, body[:20]
    start = update(130, "message", citizen.send_text("/start"))
    assert await status_of(port, post_bytes(start, secret="sécret".encode())) == 403
    assert await status_of(port, post_bytes(start, secret=b"\xff\xfe")) == 403
    assert await status_of(port, post_bytes(start, path="/other")) == 404
    assert await status_of(port, b"GET /telegram HTTP/1.1\r\nHost: x\r\n\r\n") == 405
    long_header = b"X-Long: " + b"a" * 100_000 + b"\r\n"
    assert 400 <= await status_of(port, post_bytes(start, extra=long_header)) < 500
    too_big = b'{"update_id": 1, "x": "' + b"a" * 1_100_000 + b'"}'
    assert await status_of(port, post_bytes(too_big)) == 413
    assert await status_of(port, b"\x16\x03\x01 not http at all\r\n\r\n") == 400

    # Two pipelined updates on one connection: both answered, both handled.
    language = update(131, "message", citizen.send_text("/language"))
    answer = await raw_request(port, post_bytes(start) + post_bytes(language), answers=2)
    assert statuses(answer) == [200, 200]
    await eventually(lambda: any("Hi, and welcome" in t for t in citizen.texts))
    await eventually(lambda: any("Which language" in t for t in citizen.texts))
    # The same update again (Telegram resends when it missed our answer): handled once.
    assert await status_of(port, post_bytes(start)) == 200
    # One chat's updates are handled in order: once a later one is answered, a second welcome
    # would have been sent.
    again = update(133, "message", citizen.send_text("/language"))
    assert await status_of(port, post_bytes(again)) == 200
    await eventually(lambda: sum("Which language" in t for t in citizen.texts) == 2)
    assert sum("Hi, and welcome" in t for t in citizen.texts) == 1
    counted = (await get_metrics(health_port)).decode()
    for reason, times in {
        "not_json": 2,
        "not_object": 3,
        "no_update_id": 2,
        "secret": 2,
        "path": 1,
        "method": 1,
        "too_large": 1,
        "malformed": 2,
    }.items():
        assert f'peerbot_webhook_rejected_total{{reason="{reason}"}} {times}.0' in counted, reason
    assert "peerbot_updates_repeated_total 1.0" in counted
    assert 'peerbot_updates_set_aside_total{reason="unparseable"} 4.0' in counted
    assert await bot.kill(signal.SIGTERM) == 0
    kept = set_aside(bot)
    assert [row["update_id"] for row in kept] == [100, 101, 102, 104]  # null: empty, handled
    assert "Ada" not in json.dumps([dict(row) for row in kept])

    await start_webhook(bot, port)  # a clean restart
    help_now = update(140, "message", citizen.send_text("/help_now"))
    assert await status_of(port, post_bytes(help_now)) == 200
    await eventually(lambda: any(HELP_SENT in t for t in citizen.texts))
    await eventually(lambda: len(alerts(fake)) == 1)
    assert await bot.kill(signal.SIGTERM) == 0
    assert_quiet_log(bot)


async def get_metrics(port: int) -> bytes:
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    return await raw_request(port, request, read_all=True)


async def test_a_webhook_bot_is_healthy(bot: BotProcess) -> None:
    port, health_port = free_port(), free_port()
    webhook_bot(bot, port, f'[health]\nlisten = "127.0.0.1:{health_port}"\n')
    await start_webhook(bot, port)
    code, out, err = await bot.command("health", "--json")
    assert (code, err) == (0, ""), out
    assert json.loads(out)["healthy"] is True
    answer = await raw_request(
        health_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", read_all=True
    )
    assert statuses(answer) == [200]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["healthy"] is True
    assert await bot.kill(signal.SIGTERM) == 0


async def test_a_just_started_polling_bot_is_healthy(bot: BotProcess) -> None:
    await bot.start()
    await eventually(lambda: bot.fake.long_polls_waiting() > 0)
    code, out, _ = await bot.command("health", "--json")
    assert code == 0, out
    assert await bot.kill(signal.SIGTERM) == 0


async def test_urgent_help_gets_through_a_flood_of_idle_connections(bot: BotProcess) -> None:
    fake = bot.fake
    fake.user(COORDINATOR, "Coco", language_code="en")
    citizen = fake.user(1001, "Ada", language_code="en")
    port, health_port = free_port(), free_port()
    webhook_bot(bot, port, f'[health]\nlisten = "127.0.0.1:{health_port}"\n')
    bot.open_files = 1024  # the usual default: the flood alone would exhaust it without a cap
    await start_webhook(bot, port)
    flood: list[asyncio.StreamWriter] = []
    try:
        for _ in range(1_500):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            flood.append(writer)
        help_now = json.dumps({"update_id": 1, "message": citizen.send_text("/help_now")})
        started = time.monotonic()
        assert await status_of(port, post_bytes(help_now.encode())) == 200
        await eventually(lambda: any(HELP_SENT in t for t in citizen.texts), within=5)
        took = time.monotonic() - started
        assert took < 1.0, f"urgent help took {took:.2f} s during the flood"
    finally:
        for writer in flood:
            writer.close()
    await eventually(lambda: len(alerts(fake)) == 1)
    metrics = await get_metrics(health_port)
    assert b'peerbot_webhook_rejected_total{reason="connection_cap"}' in metrics
    assert await bot.kill(signal.SIGTERM) == 0
    assert "Traceback" not in bot.log_text
