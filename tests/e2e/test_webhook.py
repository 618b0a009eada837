"""Webhook mode: the secret token is checked and updates are stored before the 200."""

import asyncio
import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from bot.fakebot import FakeBotApiServer, FakeTelegram, Fault
from bot.runner import CannotStart, InstanceLock, serve
from tests.helpers.harness import make_config
from tests.helpers.process import eventually

SECRET = "s3cret-token_value"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def post(port: int, body: dict, secret: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps(body).encode()
    writer.write(
        b"POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n".encode()
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def test_webhook_checks_secret_and_handles_updates(tmp_path: Path) -> None:
    fake = FakeTelegram()
    server = FakeBotApiServer(fake)
    await server.start()
    config = replace(make_config(tmp_path), api_base_url=server.base_url, webhook_secret=SECRET)
    port, stop = free_port(), asyncio.Event()
    task = asyncio.create_task(
        serve(config, webhook_url="https://bot.example.org/telegram", port=port, stop=stop)
    )
    try:
        await eventually(lambda: fake.webhook is not None)
        assert fake.webhook["secret_token"] == SECRET
        citizen = fake.user(1001, "Ada", language_code="en")
        update = citizen.send_text("/start")
        raw = {"update_id": 5001, "message": update}
        assert await post(port, raw, "wrong") == 403
        assert await post(port, raw, SECRET) == 200
        await eventually(lambda: any("Hi, and welcome" in t for t in citizen.texts))
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
        await server.stop()


async def test_a_refused_token_stops_start_up_with_one_clear_error(tmp_path: Path) -> None:
    fake = FakeTelegram()
    server = FakeBotApiServer(fake)
    await server.start()
    config = replace(make_config(tmp_path), api_base_url=server.base_url, token="1:wrong")
    try:
        with pytest.raises(CannotStart, match=r"^Telegram refused the token"):
            await serve(config, stop=asyncio.Event())
        assert fake.calls_to("sendMessage") == []
    finally:
        await server.stop()
    # The lock is free again: a corrected start is not told another bot is running.
    InstanceLock(config.database).acquire()


async def test_telegram_failing_at_start_up_is_one_clear_error(tmp_path: Path) -> None:
    fake = FakeTelegram()
    fake.inject(Fault.timeout(delay=0.2), method="getMe")  # hangs up unanswered
    server = FakeBotApiServer(fake)
    await server.start()
    config = replace(make_config(tmp_path), api_base_url=server.base_url)
    try:
        with pytest.raises(CannotStart, match=r"^cannot reach Telegram: "):
            await serve(config, stop=asyncio.Event())
    finally:
        await server.stop()
