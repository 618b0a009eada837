"""Check-ins survive SIGKILL at random moments: none lost, none fired twice.

Effects are exactly once (one outbox row per check-in); delivery is at least once, and a repeat
can only come from a kill between Telegram's answer and the commit that marks the row sent.
"""

import asyncio
import random
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.fakebot import FakeTelegram
from bot.storage import Database
from bot.storage import checkins as checkin_store
from bot.storage import contacts as contact_store
from bot.storage import users as user_store
from bot.storage.users import Role
from tests.helpers.process import NO_QUIET_HOURS, BotProcess, eventually

CHECKINS = 30
KILLS = 8
CITIZEN, PEER = 1001, 2001


async def seed(path: Path, start: datetime) -> list[int]:
    db = await Database.open(path)
    ids = []
    async with db.transaction() as tx:
        citizen = await user_store.ensure(
            tx, CITIZEN, Role.CITIZEN, start, language="en", pseudonym="Lærke 42"
        )
        peer = await user_store.ensure(tx, PEER, Role.PEER, start, language="en", pseudonym="Maja")
        contact_id = await contact_store.create_contact(tx, None, citizen.id, peer.id, start)
        for n in range(CHECKINS):
            due = start + timedelta(seconds=1 + n * 0.25)
            checkin_id = await checkin_store.create_draft(tx, contact_id, "peer", "confirm", start)
            await checkin_store.schedule(tx, checkin_id, due.replace(tzinfo=None), due, False)
            ids.append(checkin_id)
    await db.close()
    return ids


def delivered(fake: FakeTelegram) -> Counter[int]:
    counts: Counter[int] = Counter()
    for call in fake.calls:
        if call.ok and call.method == "sendMessage" and call.params.get("chat_id") == CITIZEN:
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data", "")
                    if data.startswith("ci:") and data.endswith(":better"):
                        counts[int(data.split(":")[1])] += 1
    return counts


async def test_sigkill_at_random_moments_loses_and_repeats_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    fake = FakeTelegram()
    fake.user(CITIZEN, "Ada", language_code="en")
    fake.user(PEER, "Maja", language_code="en")
    ids = await seed(tmp_path / "bot.sqlite3", datetime.now(UTC))
    bot = BotProcess(fake, tmp_path, config_extra=NO_QUIET_HOURS)
    await bot.serve()
    try:
        for _ in range(KILLS):
            await bot.start()
            await eventually(lambda: any(c.method == "getMe" for c in fake.calls))
            await asyncio.sleep(rng.uniform(0.05, 1.2))
            await bot.kill(signal.SIGKILL)
        await bot.start()
        await eventually(lambda: len(delivered(fake)) == CHECKINS, within=40)
        await bot.kill(signal.SIGTERM)
    finally:
        await bot.close()

    counts = delivered(fake)
    assert sorted(counts) == ids  # none lost
    db = await Database.open(tmp_path / "bot.sqlite3")
    rows = await db.fetchall(
        "SELECT ref_id, COUNT(*) FROM outbox WHERE purpose = 'checkin' GROUP BY ref_id"
    )
    statuses = await db.fetchall("SELECT DISTINCT status FROM checkins")
    await db.close()
    assert {row[0]: row[1] for row in rows} == dict.fromkeys(ids, 1)  # fired exactly once
    assert [row[0] for row in statuses] == ["sent"]
    repeats = sum(n - 1 for n in counts.values())
    assert repeats <= KILLS  # only the send-then-commit window of a kill can repeat a delivery
