"""A Runtime without Telegram: real SQLite, a fake clock, the default detector.

Services are called directly; what they would send is read from the outbox (see
`given.outbox`), where every message waits until the dispatcher (absent here) would deliver it.
"""

from __future__ import annotations

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
from tests.services import given


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


@pytest.fixture
async def world(rt: Runtime) -> given.World:
    """Two citizens and two peers made through the services: one contact, one waiting request."""
    return await given.world(rt)
