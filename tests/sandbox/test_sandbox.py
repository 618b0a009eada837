"""The sandbox without a browser: its HTTP face, its checks, fast-forward, reset and seeding."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.i18n import Translator
from bot.runner import AlreadyRunning
from bot.sandbox import Sandbox
from bot.sandbox.config import COORDINATOR_ID
from bot.services.matching import is_free
from bot.storage import peers as peer_store
from bot.storage import users as user_store
from tests.sandbox.conftest import (
    START,
    Running,
    eventually,
    newest_button,
    phone_state,
    press,
    texts,
)

DA = Translator("da", ZoneInfo("Europe/Copenhagen"))
EN = Translator("en", ZoneInfo("Europe/Copenhagen"))
JSON = {"Content-Type": "application/json"}


def client(running: Running) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=running.url.rstrip("/"), timeout=10)


async def ask_for_peer(running: Running) -> None:
    """The citizen (switched to English) goes through intake with the buttons."""
    sandbox = running.sandbox
    citizen = phone_state(sandbox, "citizen")["id"]
    await sandbox.set_language(citizen, "en")
    await sandbox.send_text(citizen, "/start")
    await press(sandbox, "citizen", "Talk to a peer", "18 or over", "I agree")
    await press(sandbox, "citizen", "Anxiety", "Dansk", "Evenings", "Skip")
    await press(sandbox, "citizen", "Send request")
    await eventually(sandbox, lambda: newest_button(sandbox, "peer", DA._("Accept")) is not None)


async def test_the_page_is_one_file_that_reaches_nothing_outside(running: Running) -> None:
    async with client(running) as http:
        answer = await http.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert "connect-src 'self'" in answer.headers["content-security-policy"]
    assert "SANDBOX" in answer.text
    assert "://" not in answer.text  # no CDN, no outside link of any kind


async def test_seeded_citizen_approved_peer_and_configured_coordinator(running: Running) -> None:
    sandbox = running.sandbox
    state = sandbox.state()
    assert [p["role"] for p in state["phones"]] == ["citizen", "peer", "coordinator"]
    assert state["sandbox"] is True
    assert Path(state["database"]).name == "sandbox.db"
    assert Path(state["database"]).parent == Path(state["data_dir"])
    rt = sandbox.world.rt
    assert rt.config.coordinator_ids == (COORDINATOR_ID,)
    assert rt.config.api_base_url.startswith("http://127.0.0.1:")
    approved = await peer_store.approved(rt.storage)
    assert [p.telegram_id for p in approved] == [phone_state(sandbox, "peer")["id"]]
    assert is_free(rt, approved[0], 0)  # offers reach them: nothing of onboarding is missing
    assert phone_state(sandbox, "citizen")["messages"] == []
    assert (
        await user_store.by_telegram_id(rt.storage, phone_state(sandbox, "citizen")["id"]) is None
    )
    assert "start" in phone_state(sandbox, "citizen")["commands"]
    assert sandbox.world.clock.now() >= START


async def test_actions_over_http_and_live_events(running: Running) -> None:
    citizen = phone_state(running.sandbox, "citizen")["id"]
    async with client(running) as http, http.stream("GET", "/api/events") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = events.aiter_lines()
        answer = await http.post(f"/api/phones/{citizen}/send", json={"text": "/start"})
        assert answer.status_code == 200, answer.text
        async for line in lines:
            if not line.startswith("data: "):
                continue
            state = json.loads(line.removeprefix("data: "))
            phone = next(p for p in state["phones"] if p["id"] == citizen)
            bot_texts = [m["text"] for m in phone["messages"] if not m["mine"]]
            if bot_texts:
                break
        assert phone["messages"][0] == {**phone["messages"][0], "mine": True, "text": "/start"}
        assert any(
            b["data"] == "citizen:ask" for m in phone["messages"] for r in m["buttons"] for b in r
        )


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/phones/1001/send", {"text": "   "}, 400),
        ("/api/phones/1001/send", {"text": "x" * 4097}, 400),
        ("/api/phones/1001/send", {"text": 5}, 400),
        ("/api/phones/4242/send", {"text": "hi"}, 404),
        ("/api/phones/1001/press", {"message_id": 1, "data": "urgent:now"}, 409),
        ("/api/phones/1001/press", {"message_id": "1", "data": "x"}, 400),
        ("/api/phones/1001/language", {"language": "fr"}, 400),
        ("/api/phones/1001/block", {"blocked": "yes"}, 400),
        ("/api/phones", {"role": "coordinator"}, 400),
        ("/api/clock/forward", {"minutes": 0}, 400),
        ("/api/clock/forward", {"minutes": "60"}, 400),
        ("/api/clock/forward", {"minutes": True}, 400),
        ("/api/clock/forward", {"minutes": 15 * 24 * 60}, 400),
        ("/api/nothing", {}, 404),
    ],
)
async def test_bad_actions_are_refused(
    running: Running, path: str, body: dict[str, object], status: int
) -> None:
    async with client(running) as http:
        answer = await http.post(path, json=body)
    assert answer.status_code == status
    assert answer.json()["error"]


async def test_requests_a_foreign_page_could_make_are_refused(running: Running) -> None:
    generation = running.sandbox.state()["generation"]
    async with client(running) as http:
        form = await http.post("/api/reset", content=b"a=1", headers={"Content-Type": "text/plain"})
        assert form.status_code == 415
        rebinding = await http.get("/api/state", headers={"Host": "attacker.example:8080"})
        assert rebinding.status_code == 421
        broken = await http.post("/api/reset", content=b"{", headers=JSON)
        assert broken.status_code == 400
        listed = await http.post("/api/reset", content=b"[]", headers=JSON)
        assert listed.status_code == 400
        huge = await http.post("/api/reset", content=b" " * 70_000, headers=JSON)
        assert huge.status_code == 413
        put = await http.put("/api/reset", json={})
        assert put.status_code == 405
        assert (await http.get("/nothing")).status_code == 404
    assert running.sandbox.state()["generation"] == generation  # nothing was reset


async def test_a_malformed_request_gets_a_clear_400_and_the_server_goes_on(
    running: Running,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", running.server.port)
    try:
        writer.write(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nBroken header\r\n\r\n")
        await writer.drain()
        answer = await reader.read()  # the server answers, then closes this connection
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 400 Bad Request"), answer
    assert b"Broken header" in body  # says what was wrong
    async with client(running) as http:
        state = await http.get("/api/state")
        favicon = await http.get("/favicon.ico")
    assert state.status_code == 200 and state.json()["phones"]
    assert state.headers["x-content-type-options"] == "nosniff"
    assert state.headers["cache-control"] == "no-store"
    assert favicon.status_code == 204


async def test_stop_ends_an_open_event_stream_and_long_poll_at_once(running: Running) -> None:
    """Stopping as `peerbot sandbox` does on Ctrl-C (the page's server, then the bot and the
    fake Telegram) returns within a second while the page's event stream and the bot's long
    poll at the fake are open."""
    sandbox = running.sandbox
    fake = sandbox.world.fake
    async with client(running) as http, http.stream("GET", "/api/events") as events:
        lines = events.aiter_lines()
        async for line in lines:
            if line.startswith("data: "):
                break
        await eventually(sandbox, lambda: fake.long_polls_waiting() > 0)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await running.server.stop()
        await sandbox.close()
        assert loop.time() - began < 1.0
        with pytest.raises(httpx.TransportError):
            async for _line in lines:
                pass
    assert fake.long_polls_waiting() == 0


async def test_a_blocked_phone_cannot_act_and_the_bot_sees_it(running: Running) -> None:
    sandbox = running.sandbox
    citizen = phone_state(sandbox, "citizen")["id"]
    await sandbox.send_text(citizen, "/help_now")  # stores the citizen (urgent help, no consent)
    await eventually(sandbox, lambda: len(texts(sandbox, "citizen")) >= 2)
    async with client(running) as http:
        answer = await http.post(f"/api/phones/{citizen}/block", json={"blocked": True})
        assert answer.status_code == 200
        assert phone_state(sandbox, "citizen")["blocked"] is True
        refused = await http.post(f"/api/phones/{citizen}/send", json={"text": "hello"})
        assert refused.status_code == 409
        rt = sandbox.world.rt

        async def unreachable() -> bool:
            user = await user_store.by_telegram_id(rt.storage, citizen)
            return user is not None and user.unreachable

        for _ in range(100):
            if await unreachable():
                break
            await sandbox.wait_for_change(sandbox.version, 0.1)
        assert await unreachable()
        await http.post(f"/api/phones/{citizen}/block", json={"blocked": False})
        again = await http.post(f"/api/phones/{citizen}/send", json={"text": "/start"})
        assert again.status_code == 200


async def test_fast_forward_lets_an_offer_time_out(running: Running) -> None:
    sandbox = running.sandbox
    await ask_for_peer(running)
    timeout = sandbox.world.config.offer_timeout_minutes
    before = sandbox.world.clock.now()
    async with client(running) as http:
        answer = await http.post("/api/clock/forward", json={"minutes": timeout + 1})
    assert answer.status_code == 200
    assert sandbox.world.clock.now() - before >= timedelta(minutes=timeout)
    retracted = DA._("This request was not answered in time and has been passed on. That is fine.")
    await eventually(sandbox, lambda: retracted in texts(sandbox, "peer"))
    assert newest_button(sandbox, "peer", DA._("Accept")) is None
    edited = [m for m in phone_state(sandbox, "peer")["messages"] if m["text"] == retracted]
    assert edited[0]["edited"] is True


async def test_fast_forward_re_sends_an_alert_nobody_took(running: Running) -> None:
    sandbox = running.sandbox
    citizen = phone_state(sandbox, "citizen")["id"]
    await sandbox.send_text(citizen, "/help_now")
    await eventually(
        sandbox, lambda: newest_button(sandbox, "coordinator", DA._("I'm handling it"))
    )
    await sandbox.fast_forward(sandbox.world.config.escalation_ack_minutes + 1)
    again = DA._("Still not acknowledged: urgent #{number}", number=1)
    await eventually(sandbox, lambda: any(again in text for text in texts(sandbox, "coordinator")))


async def test_more_people_join_approved_and_the_page_has_room_for_eight(
    running: Running,
) -> None:
    sandbox = running.sandbox
    async with client(running) as http:
        citizen = await http.post("/api/phones", json={"role": "citizen"})
        peer = await http.post("/api/phones", json={"role": "peer"})
    assert citizen.json()["id"] == 1002 and peer.json()["id"] == 2002
    approved = await peer_store.approved(sandbox.world.rt.storage)
    assert {p.telegram_id for p in approved} == {2001, 2002}
    assert [p["role"] for p in sandbox.state()["phones"]] == [
        "citizen",
        "citizen",
        "peer",
        "peer",
        "coordinator",
    ]
    for _ in range(3):
        await sandbox.add("citizen")
    with pytest.raises(Exception, match="room for 8"):
        await sandbox.add("citizen")


async def test_reset_forgets_everything(running: Running) -> None:
    sandbox = running.sandbox
    citizen = phone_state(sandbox, "citizen")["id"]
    await sandbox.send_text(citizen, "/help_now")
    await eventually(sandbox, lambda: len(texts(sandbox, "citizen")) >= 2)
    await sandbox.add("peer")
    generation = sandbox.state()["generation"]
    async with client(running) as http:
        answer = await http.post("/api/reset", json={})
    assert answer.status_code == 200
    state = sandbox.state()
    assert state["generation"] != generation
    assert [p["role"] for p in state["phones"]] == ["citizen", "peer", "coordinator"]
    assert phone_state(sandbox, "citizen")["messages"] == []
    rt = sandbox.world.rt
    assert await user_store.by_telegram_id(rt.storage, citizen) is None
    assert await rt.storage.fetchone("SELECT id FROM escalations") is None


async def test_one_sandbox_per_data_folder(running: Running) -> None:
    second = Sandbox(running.sandbox.config, start=START)
    with pytest.raises(AlreadyRunning):
        await second.open()


async def test_fast_forward_fires_a_planned_check_in(running: Running) -> None:
    sandbox = running.sandbox
    await ask_for_peer(running)
    await press(sandbox, "peer", DA._("Accept"))
    peer = phone_state(sandbox, "peer")["id"]
    await sandbox.send_text(peer, "/checkin")
    await press(sandbox, "peer", DA._("Check-in message"), DA._("Tomorrow"), DA._("Only once"))
    await press(sandbox, "peer", DA._("Skip"), DA._("Plan it"))
    asked = "How are you doing today?"

    def checked_in() -> bool:
        return any(asked in text for text in texts(sandbox, "citizen"))

    await sandbox.fast_forward(60)
    assert not checked_in()  # tomorrow at 10:00 is not due yet
    await sandbox.fast_forward(24 * 60)
    await eventually(sandbox, checked_in)
