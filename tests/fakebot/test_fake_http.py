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
            assert "close" not in headers.get("connection", "")  # HTTP/1.1 keeps it by default
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


async def raw_exchange(port: int, request: bytes) -> tuple[bytes, bytes]:
    """Send bytes, read until the server closes or answers; return (status line, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await reader.readexactly(length)
    finally:
        writer.close()


async def test_malformed_requests_get_a_clear_400_and_the_server_goes_on(
    client: httpx.AsyncClient, fake: FakeTelegram, server: FakeBotApiServer
) -> None:
    status, body = await raw_exchange(server.port, b"NOT HTTP AT ALL\r\n\r\n")
    assert b" 400 Bad Request" in status and b"Invalid method" in body
    status, body = await raw_exchange(
        server.port,
        f"POST /bot{fake.token}/getMe HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n".encode(),
    )
    assert b" 400 Bad Request" in status and b"Content-Length" in body
    url = method_url(server, fake, "sendMessage")
    nameless = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\n1001\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
    )
    refused = [
        (b"{", "application/json", "Bad Request: can't parse JSON body"),
        (b"[1]", "application/json", "Bad Request: JSON body must be an object"),
        (b"chat_id=1", "text/plain", "Bad Request: unsupported Content-Type text/plain"),
        (*nameless, "Bad Request: can't parse the form (Multipart field missing name.)"),
    ]
    for content, kind, description in refused:
        answer = await client.post(url, content=content, headers={"Content-Type": kind})
        assert answer.status_code == 400, description
        assert answer.json() == {"ok": False, "error_code": 400, "description": description}
    assert fake.calls_to("sendMessage") == []  # nothing unreadable reached the core
    assert (await client.get(method_url(server, fake, "getMe"))).json()["ok"] is True


async def test_a_chunked_multipart_upload_is_read_whole(
    client: httpx.AsyncClient, fake: FakeTelegram, server: FakeBotApiServer
) -> None:
    fake.user(1001)
    upload = httpx.Request(
        "POST",
        method_url(server, fake, "sendDocument"),
        data={"chat_id": "1001", "caption": "Referat"},
        files={"document": ("referat.pdf", b"%PDF" + b"x" * 100_000, "application/pdf")},
    )

    async def chunks() -> AsyncIterator[bytes]:
        body = upload.read()
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    headers = {"Content-Type": upload.headers["Content-Type"]}
    answer = await client.post(upload.url, content=chunks(), headers=headers)
    assert answer.status_code == 200, answer.text
    [call] = fake.calls_to("sendDocument")
    document = call.params["document"]
    assert (document.file_name, document.mime_type, document.size) == (
        "referat.pdf",
        "application/pdf",
        100_004,
    )
    assert call.params["caption"] == "Referat"


@pytest.mark.parametrize("client_gone", [False, True])
async def test_stop_ends_an_open_long_poll_at_once(fake: FakeTelegram, client_gone: bool) -> None:
    """Stop returns within a second, whether the poller still waits for its answer or has
    given up (as the bot's poller does when it stops: the server side keeps waiting)."""
    server = FakeBotApiServer(fake)
    await server.start()
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        poll = asyncio.create_task(
            http.post(method_url(server, fake, "getUpdates"), json={"timeout": 60})
        )
        await eventually(lambda: fake.long_polls_waiting() == 1)
        if client_gone:
            poll.cancel()
        loop = asyncio.get_running_loop()
        began = loop.time()
        await server.stop()
        assert loop.time() - began < 1.0
        assert fake.long_polls_waiting() == 0
        with pytest.raises(asyncio.CancelledError if client_gone else httpx.TransportError):
            await poll
