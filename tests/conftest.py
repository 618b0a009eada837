from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.fakebot import FakeTelegram
from tests.helpers.harness import Harness, make_config

# Monday 2 March 2026, 10:00 in Copenhagen: office hours, weekday daytime.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fake(clock: FakeClock) -> FakeTelegram:
    return FakeTelegram(now=clock.now)


@pytest.fixture
async def harness(tmp_path: Path, fake: FakeTelegram, clock: FakeClock) -> AsyncIterator[Harness]:
    h = Harness(make_config(tmp_path), fake, clock)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
