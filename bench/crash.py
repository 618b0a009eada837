"""Crash test under load: SIGKILL `peerbot run` at random moments and count what was lost.

    .venv/bin/python bench/crash.py [--kills 20]

Relay traffic with 1% "I need help now" runs against the HTTP fake Bot API while check-ins fall
due; the bot process is killed at random moments and restarted each time. Effects must be
exactly once (one escalation per urgent update, one queued message per check-in) and nothing
may be lost; deliveries are at least once, a repeat only possible in the window between
Telegram's answer and the commit that marks a message sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sqlite3
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import seed_pairs  # noqa: E402
from bot.fakebot import FakeTelegram  # noqa: E402
from bot.storage import Database  # noqa: E402
from tests.helpers.process import COORDINATOR, NO_QUIET_HOURS, BotProcess, eventually  # noqa: E402

PAIRS = 200
CHECKINS = 60


async def seed(path: Path, now: datetime) -> list[tuple[int, int, int]]:
    db = await Database.open(path)
    pairs = await seed_pairs(db, PAIRS, now)
    await db.close()
    rows = []
    for n in range(CHECKINS):
        due = now + timedelta(seconds=2 + n * 0.2)
        rows.append(
            (
                pairs[n % PAIRS][2],
                due.replace(tzinfo=None).isoformat(timespec="minutes"),
                due.isoformat(),
                now.isoformat(),
            )
        )
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO checkins (contact_id, created_by, kind, status, local_time, due_at,"
            " created_at) VALUES (?, 'peer', 'checkin', 'pending', ?, ?, ?)",
            rows,
        )
    return pairs


class Deliveries:
    """Counts, as they happen, check-in messages to citizens and alerts to the coordinator."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.checkins: Counter[int] = Counter()
        self.alerts: Counter[int] = Counter()
        original = fake.call_wire

        async def watch(method: str, params: dict[str, Any]) -> tuple[int, bytes]:
            status, body = await original(method, params)
            if status == 200 and method == "sendMessage":
                self._note(params)
            return status, body

        fake.call_wire = watch  # type: ignore[method-assign]

    def _note(self, params: dict[str, Any]) -> None:
        text = str(params.get("text", ""))
        if str(params.get("chat_id")) == str(COORDINATOR) and "#" in text:
            self.alerts[int(text.split("#", 1)[1].split()[0])] += 1
        markup = params.get("reply_markup") or "{}"
        markup = json.loads(markup) if isinstance(markup, str) else markup
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if data.startswith("ci:") and data.endswith(":better"):
                    self.checkins[int(data.split(":")[1])] += 1


async def run(kills: int) -> dict[str, object]:
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        fake = FakeTelegram()
        fake.user(COORDINATOR, "Coco", language_code="en")
        pairs = await seed(directory / "bot.sqlite3", datetime.now(UTC))
        people = [(fake.user(c, "C"), fake.user(p, "P")) for c, p, _ in pairs]
        deliveries = Deliveries(fake)
        urgent_updates: list[int] = []
        bot = BotProcess(fake, directory, config_extra=NO_QUIET_HOURS)
        await bot.serve()
        stop = asyncio.Event()

        async def traffic() -> None:
            while not stop.is_set():
                citizen, peer = people[rng.randrange(PAIRS)]
                if rng.random() < 0.01:
                    citizen.send_text("/help_now")
                    urgent_updates.append(fake.pending_updates()[-1]["update_id"])
                else:
                    (citizen if rng.random() < 0.5 else peer).send_text("Hej, hvordan går det?")
                await asyncio.sleep(0.02)

        load = asyncio.create_task(traffic())
        try:
            for _ in range(kills):
                await bot.start()
                await asyncio.sleep(rng.uniform(0.6, 2.0))
                await bot.kill(signal.SIGKILL)
            stop.set()
            await load
            await bot.start()

            def settled() -> bool:
                return (
                    not fake.pending_updates()
                    and len(deliveries.checkins) == CHECKINS
                    and len(deliveries.alerts) >= len(urgent_updates)
                )

            await eventually(settled, within=300)
            await bot.kill(signal.SIGTERM)
        finally:
            stop.set()
            await bot.close()

        with sqlite3.connect(directory / "bot.sqlite3") as conn:
            keys = Counter(row[0] for row in conn.execute("SELECT source_key FROM escalations"))
            checkin_rows = Counter(
                row[0]
                for row in conn.execute("SELECT ref_id FROM outbox WHERE purpose = 'checkin'")
            )
            escalation_ids = {
                row[0]: row[1] for row in conn.execute("SELECT id, source_key FROM escalations")
            }
        alerts = {
            escalation_ids[n]: count
            for n, count in deliveries.alerts.items()
            if n in escalation_ids
        }
        lost = [u for u in urgent_updates if keys.get(f"update:{u}", 0) == 0]
        delivered_checkins = deliveries.checkins
        return {
            "kills": kills,
            "urgent_sent": len(urgent_updates),
            "escalations_lost": len(lost),
            "escalations_duplicated": sum(n - 1 for n in keys.values() if n > 1),
            "coordinator_alerts_missing": sum(1 for k in keys if alerts.get(k, 0) == 0),
            "coordinator_alerts_repeated": sum(n - 1 for n in alerts.values() if n > 1),
            "checkins": CHECKINS,
            "checkins_fired_twice": sum(n - 1 for n in checkin_rows.values() if n > 1),
            "checkins_lost": CHECKINS - len(delivered_checkins),
            "checkin_messages_repeated": sum(n - 1 for n in delivered_checkins.values() if n > 1),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.kills))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
