"""A bot with the web chat on, and a web citizen who talks to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.fakebot import FakeTelegram
from tests.helpers.harness import Harness, make_config, started
from tests.helpers.web import WebCitizen

WEB_CHAT = {"web_chat": {"listen": "127.0.0.1:0", "embed_origins": ["https://www.example.dk"]}}


@pytest.fixture
async def harness(tmp_path: Path, fake: FakeTelegram, clock: FakeClock) -> AsyncIterator[Harness]:
    async with started(make_config(tmp_path, WEB_CHAT), fake, clock) as h:
        yield h


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def web(harness: Harness, http: aiohttp.ClientSession) -> WebCitizen:
    return WebCitizen(harness, http)
