"""Fixtures for the fake Bot API's own tests: a fake with a frozen clock and a real PTB Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import telegram

from bot.fakebot import FakeRequest, FakeTelegram

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(now=lambda: NOW)


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    real_bot = telegram.Bot(
        fake.token, request=FakeRequest(fake), get_updates_request=FakeRequest(fake)
    )
    async with real_bot:
        yield real_bot
