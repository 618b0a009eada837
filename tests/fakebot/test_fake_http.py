"""The HTTP face: a real ``telegram.Bot`` with ``base_url`` and raw HTTP clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from telegram.error import BadRequest, Forbidden, InvalidToken, TimedOut
from telegram.request import HTTPXRequest

from bot.fakebot import FakeBotApiServer, FakeTelegram, Fault
from tests.helpers.process import eventually


@pytest.fixture
async def server(fake: FakeTelegram) -> AsyncIterator[FakeBotApiServer]:
    async with FakeBotApiServer(fake) as running:
        yield running


@pytest.fixture
async def http_bot(fake: FakeTelegram, server: FakeBotApiServer) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake.token, base_url=server.base_url) as real_bot:
        yield real_bot


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


def method_url(server: FakeBotApiServer, fake: FakeTelegram, method: str) -> str:
    return f"{server.base_url}{fake.token}/{method}"


async def test_bot_sends_and_receives_over_http(
    http_bot: telegram.Bot, fake: FakeTelegram, server: FakeBotApiServer
) -> None:
    assert server.port > 0
    assert server.base_url == f"http://127.0.0.1:{server.port}/bot"
    assert http_bot.username == "peerbot_test_bot"
    ada = fake.user(1001, "Ada")
    ada.send_text("/start")
    [update] = await http_bot.get_updates()
    assert update.message is not None and update.message.text == "/start"
    buttons = telegram.InlineKeyboardMarkup.from_button(
        telegram.InlineKeyboardButton("Ja", callback_data="yes")
    )
    await http_bot.send_message(1001, "Velkommen", reply_markup=buttons)
    assert ada.texts == ["Velkommen"]
    document = await http_bot.send_document(1001, b"%PDF", filename="info.pdf")
    assert document.document is not None and document.document.file_name == "info.pdf"
    assert fake.calls_to("sendDocument")[0].params["document"].size == 4


async def test_long_poll_does_not_block_other_requests(
    http_bot: telegram.Bot, fake: FakeTelegram
) -> None:
    ada = fake.user(1001)
    # Had the send waited for the poll, the poll would be done (empty, at its timeout).
    poll = asyncio.create_task(http_bot.get_updates(timeout=60))
    await eventually(lambda: fake.long_polls_waiting() > 0)  # the poll holds its connection open
    await http_bot.send_message(1001, "while polling")
    assert not poll.done()
    ada.send_text("svar")
    [update] = await poll
    assert update.message is not None and update.message.text == "svar"


async def test_errors_reach_ptb_as_its_own_exceptions(
    http_bot: telegram.Bot, fake: FakeTelegram
) -> None:
    fake.user(1001).block()
    with pytest.raises(Forbidden, match="blocked"):
        await http_bot.send_message(1001, "x")
    with pytest.raises(BadRequest, match="Chat not found"):
        await http_bot.send_message(42, "x")


async def test_json_and_form_bodies(
    client: httpx.AsyncClient, fake: FakeTelegram, server: FakeBotApiServer
) -> None:
    fake.user(1001)
    markup = {"inline_keyboard": [[{"text": "Ja", "callback_data": "yes"}]]}
    as_json = await client.post(
        method_url(server, fake, "sendMessage"),
        json={"chat_id": 1001, "text": "json", "reply_markup": markup},
    )
    assert as_json.status_code == 200
    assert as_json.json()["result"]["reply_markup"] == markup
    as_form = await client.post(
        method_url(server, fake, "SENDMESSAGE"),
        data={"chat_id": "1001", "text": "form", "reply_markup": json.dumps(markup)},
    )
    assert as_form.json()["result"]["text"] == "form"
    as_query = await client.get(method_url(server, fake, "getChat"), params={"chat_id": "1001"})
    assert as_query.json()["result"]["id"] == 1001
    too_long = await client.post(
        method_url(server, fake, "sendMessage"),
        json={"chat_id": 1001, "text": "x" * 4097},
    )
    assert too_long.status_code == 400
    assert too_long.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is too long",
    }


async def test_wrong_token_and_unknown_method(
    client: httpx.AsyncClient, fake: FakeTelegram, server: FakeBotApiServer
) -> None:
    wrong = await client.post(f"{server.base_url}999:WRONG/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = await client.post(method_url(server, fake, "teleport"))
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")
    with pytest.raises(InvalidToken):
        async with telegram.Bot("999:WRONG", base_url=server.base_url):
            pass


async def test_keep_alive_serves_several_requests_on_one_connection(
    fake: FakeTelegram, server: FakeBotApiServer
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    request = f"GET /bot{fake.token}/getMe HTTP/1.1\r\nHost: fake\r\n\r\n".encode()
    try:
        for _ in range(2):
            writer.write(request)
            await writer.drain()
            status = await reader.readline()
            headers = {}
            while (line := await reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = json.loads(await reader.readexactly(int(headers["content-length"])))
            assert status.startswith(b"HTTP/1.1 200")
            assert headers["connection"] == "keep-alive"
            assert body["result"]["username"] == "peerbot_test_bot"
    finally:
        writer.close()


async def test_injected_timeout_outlasts_the_read_timeout(
    fake: FakeTelegram, server: FakeBotApiServer
) -> None:
    fake.user(1001)
    request = HTTPXRequest(read_timeout=0.2)
    async with telegram.Bot(fake.token, base_url=server.base_url, request=request) as bot:
        fake.inject(Fault.timeout(delay=2), method="sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(1001, "x")
        await bot.send_message(1001, "works again")
    assert fake.user(1001).texts == ["works again"]
