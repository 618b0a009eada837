"""A small seeded world for service tests, without Telegram: two citizens, two peers, a contact.

Services are called directly with a `Runtime` over a real migrated database; nothing is sent.
The `world` fixture (made known to every test in tests/conftest.py) opens one per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain import User
from bot.runtime import Runtime
from bot.staff import Actor
from bot.storage import Database
from bot.storage import users as user_store
from tests.helpers.harness import COORDINATOR, make_config

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
GROUP = -100500


@dataclass(frozen=True)
class World:
    rt: Runtime
    citizen: User  # in contact with `peer` (contact 1, request 1 active)
    other_citizen: User  # request 2 waiting
    peer: User
    other_peer: User  # in no contact with `citizen`

    @property
    def coordinator(self) -> Actor:
        return Actor(COORDINATOR, COORDINATOR, private=True)

    def in_private(self, user: User) -> Actor:
        return Actor(user.telegram_id, user.telegram_id, private=True)


async def _user(db: Database, telegram_id: int) -> User:
    user = await user_store.by_telegram_id(db, telegram_id)
    assert user is not None
    return user


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await Database.open(tmp_path / "services.sqlite3")
    now = NOW.isoformat()
    async with db.transaction() as tx:
        for uid, role, name in (
            (1, "citizen", "Birk 1"),
            (2, "citizen", "Eg 2"),
            (3, "peer", "Lind 3"),
            (4, "peer", "Ask 4"),
        ):
            await tx.execute(
                "INSERT INTO users (id, telegram_id, role, pseudonym, language, created_at)"
                " VALUES (?, ?, ?, ?, 'da', ?)",
                (uid, 100 + uid, role, name, now),
            )
        for uid in (3, 4):
            await tx.execute(
                "INSERT INTO peer_profiles (user_id, status) VALUES (?, 'approved')", (uid,)
            )
        await tx.execute(
            "INSERT INTO requests (id, citizen_id, status, created_at, submitted_at)"
            " VALUES (1, 1, 'active', ?, ?), (2, 2, 'waiting', ?, ?)",
            (now, now, now, now),
        )
        await tx.execute(
            "INSERT INTO contacts (id, request_id, citizen_id, peer_id, status, started_at)"
            " VALUES (1, 1, 1, 3, 'active', ?)",
            (now,),
        )
    config = make_config(tmp_path, coordinator_group_id=GROUP)
    rt = Runtime(config=config, clock=FakeClock(NOW), db=db)
    try:
        yield World(
            rt,
            citizen=await _user(db, 101),
            other_citizen=await _user(db, 102),
            peer=await _user(db, 103),
            other_peer=await _user(db, 104),
        )
    finally:
        await db.close()
