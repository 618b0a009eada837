"""A running sandbox (bot, fake Bot API on loopback, web server) in the test's own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, SandboxServer
from bot.sandbox.config import sandbox_config

# Monday 2 March 2026, 10:00 in Copenhagen: office hours, peers available.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Running:
    sandbox: Sandbox
    server: SandboxServer

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    config = sandbox_config(None, tmp_path / "sandbox-data")
    sandbox = Sandbox(config, start=START, language="da")
    await sandbox.open()
    server = SandboxServer(sandbox, "127.0.0.1", 0)
    await server.start()
    try:
        yield Running(sandbox, server)
    finally:
        await server.stop()
        await sandbox.close()


async def eventually(sandbox: Sandbox, condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for the live bot to do something: woken by every change, bounded by `within`."""
    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + within
    while not condition():
        left = deadline - loop_time()
        if left <= 0:
            raise AssertionError("the sandbox did not get there in time")
        await sandbox.wait_for_change(sandbox.version, min(left, 0.5))
