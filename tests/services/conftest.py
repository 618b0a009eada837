"""A Runtime without Telegram: real SQLite, a fake clock, the default detector.

Services are called directly; what they would send is read from the outbox, where every
message waits until the dispatcher (absent here) would deliver it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import peers, roles
from bot.services.crisis.triage import default_detector
from bot.storage import Database
from bot.storage.group_commit import GroupWriter
from tests.helpers.harness import make_config


@pytest.fixture
async def rt(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Runtime]:
    runtime = Runtime(make_config(tmp_path), clock)
    runtime.db = await Database.open(runtime.config.database)
    runtime.detector = default_detector()
    runtime.writer = GroupWriter(runtime.db)
    await roles.load(runtime)
    await peers.load_undertaking_due(runtime)
    try:
        yield runtime
    finally:
        await runtime.writer.flush()
        await runtime.db.close()


async def outbox(rt: Runtime) -> list[tuple[int, str]]:
    """(chat, text) of every message waiting to be sent, oldest first."""
    rows = await rt.storage.fetchall("SELECT chat_id, params FROM outbox ORDER BY id")
    found = []
    for chat_id, params in rows:
        body = json.loads(params)
        found.append((chat_id, body.get("text") or body.get("caption") or ""))
    return found
