"""Crisis words outside a contact survive SIGKILL right after the update was fetched.

`peerbot run` against the HTTP fake Bot API: a citizen who is not in a contact (a newcomer, or
one whose request waits for a peer) writes a crisis sentence while the bot is otherwise quiet.
The process is killed at the first sign that it has the update: the `getUpdates` that confirms
it to Telegram (which then never sends it again), or the first message the bot tries to send
after it, whichever comes first; nothing of that attempt is delivered. The test checks the
update sits in the inbox at that moment. After a restart the citizen has the emergency answer
and the coordinator the alert, from one escalation. Effects are exactly once; delivery is at
least once, and since the killed run delivered nothing, here it is exactly once.
"""

import asyncio
import json
import os
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.fakebot import FakeTelegram, FakeUser
from bot.storage import Database
from tests.helpers.process import COORDINATOR, BotProcess, eventually

CITIZEN = 1001
CRISIS = "I am going to kill myself tonight"
ANSWER = "our coordinators have been told"
SENDS = ("sendMessage", "copyMessage", "editMessageText", "editMessageReplyMarkup")


class KillSwitch:
    """Kills the bot process, before answering, at the first request that shows it has the
    watched update; the request itself is refused, and so is every request of the killed
    process still on its way (two sends can be in flight at once: the reply and an urgent
    alert), so nothing of that attempt reaches anyone. `revive()` before the restart."""

    def __init__(self, fake: FakeTelegram, bot: BotProcess) -> None:
        self.bot = bot
        self.watched: int | None = None
        self.handed_out = False
        self.killed_at: str | None = None
        self.dead = False
        original = fake.call_wire

        async def watch(method: str, params: dict[str, Any]) -> tuple[int, bytes]:
            if self.dead:
                return 502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'
            if self.watched is not None and self.killed_at is None:
                confirmed = method == "getUpdates" and int(params.get("offset", 0)) > self.watched
                if confirmed or (self.handed_out and method in SENDS):
                    assert self.bot.process is not None
                    os.kill(self.bot.process.pid, signal.SIGKILL)
                    self.killed_at = method
                    self.dead = True
                    if confirmed:  # Telegram takes the confirmation: it never sends it again
                        await original(method, {**params, "timeout": 0})
                    return 502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'
            status, body = await original(method, params)
            if method == "getUpdates" and self.watched is not None and status == 200:
                ids = {update["update_id"] for update in json.loads(body)["result"]}
                self.handed_out = self.handed_out or self.watched in ids
            return status, body

        fake.call_wire = watch  # type: ignore[method-assign]

    def revive(self) -> None:
        """The next process is a new one: its requests are answered again."""
        self.dead = False


async def answered(citizen: FakeUser, text: str) -> None:
    before = len(citizen.texts)
    citizen.send_text(text)
    await eventually(lambda: len(citizen.texts) > before)


def has_button(citizen: FakeUser, label: str) -> bool:
    return any(
        label in button["text"]
        for message in citizen.messages
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    )


async def press(citizen: FakeUser, *labels: str) -> None:
    """Press each button once the bot has shown it, then wait for the bot's answer."""
    for label in labels:
        await eventually(lambda label=label: has_button(citizen, label))
        before = [(m.get("text"), m.get("reply_markup")) for m in citizen.messages]
        citizen.press_button(label)
        await eventually(
            lambda b=before: [(m.get("text"), m.get("reply_markup")) for m in citizen.messages] != b
        )


async def newcomer(citizen: FakeUser) -> None:
    await answered(citizen, "/start")


async def waiting(citizen: FakeUser) -> None:
    await newcomer(citizen)
    await press(citizen, "Talk to a peer", "18 or over", "I agree")
    await press(citizen, "Anxiety", "Dansk", "Evenings", "Skip", "Send request")
    await eventually(lambda: any("Your request has been sent" in t for t in citizen.texts))


async def quiet(fake: FakeTelegram, for_seconds: float = 0.5) -> None:
    """Wait until the bot has sent nothing for a moment (what follows a step has arrived), so
    that the next request after the crisis update comes from handling it."""

    def sent() -> int:
        return sum(1 for call in fake.calls if call.method != "getUpdates")

    while True:
        before = sent()
        await asyncio.sleep(for_seconds)
        if sent() == before:
            return


SITUATIONS: dict[str, Callable[[FakeUser], Awaitable[None]]] = {
    "newcomer": newcomer,
    "waiting for a peer": waiting,
}


@pytest.mark.parametrize("situation", list(SITUATIONS))
async def test_crisis_words_outside_a_contact_survive_sigkill_right_after_the_fetch(
    tmp_path: Path, situation: str
) -> None:
    fake = FakeTelegram()
    coordinator = fake.user(COORDINATOR, "Coco", language_code="en")
    citizen = fake.user(CITIZEN, "Ada", language_code="en")
    bot = BotProcess(fake, tmp_path)
    switch = KillSwitch(fake, bot)
    await bot.serve()
    try:
        await bot.start()
        await answered(coordinator, "/start")  # so alerts come in English
        await SITUATIONS[situation](citizen)
        await quiet(fake)
        citizen.send_text(CRISIS)
        switch.watched = fake.pending_updates()[-1]["update_id"]
        assert bot.process is not None
        await eventually(lambda: switch.killed_at is not None)
        assert await bot.process.wait() == -signal.SIGKILL
        assert not any(ANSWER in t for t in citizen.texts)
        assert not any(t.startswith("Urgent #") for t in coordinator.texts)
        if switch.killed_at == "getUpdates":  # only the inbox can save it now
            assert all(u["update_id"] != switch.watched for u in fake.pending_updates())
        with sqlite3.connect(tmp_path / "bot.sqlite3") as killed:
            stored = killed.execute("SELECT 1 FROM inbox WHERE update_id = ?", (switch.watched,))
            assert stored.fetchone() is not None  # fetched, stored, not yet finished

        switch.revive()
        await bot.start()
        await eventually(lambda: any(ANSWER in t for t in citizen.texts))
        await eventually(lambda: any(t.startswith("Urgent #") for t in coordinator.texts))
        assert await bot.kill(signal.SIGTERM) == 0
    finally:
        await bot.close()

    db = await Database.open(tmp_path / "bot.sqlite3")
    rows = await db.fetchall("SELECT id, source_key, reason FROM escalations")
    sent = await db.fetchall(
        "SELECT chat_id, status FROM outbox WHERE purpose = 'escalation' ORDER BY id"
    )
    await db.close()
    assert [(row[1], row[2]) for row in rows] == [(f"update:{switch.watched}", "signal")]
    assert [tuple(row) for row in sent] == [(COORDINATOR, "sent")]
    escalation_id = rows[0][0]
    alerts = [t for t in coordinator.texts if t.startswith(f"Urgent #{escalation_id}\n")]
    assert len(alerts) == 1 and "wrote about thoughts of suicide or self-harm" in alerts[0]
    assert len([t for t in citizen.texts if ANSWER in t]) == 1
    assert "112" in next(t for t in citizen.texts if ANSWER in t)
