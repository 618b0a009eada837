"""A running sandbox (bot, fake Bot API on loopback, web server) in the test's own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def phone_state(sandbox: Sandbox, role: str, index: int = 0) -> dict[str, Any]:
    """One phone as the page sees it."""
    return [p for p in sandbox.state()["phones"] if p["role"] == role][index]


def texts(sandbox: Sandbox, role: str, index: int = 0) -> list[str]:
    return [m["text"] for m in phone_state(sandbox, role, index)["messages"]]


def newest_button(sandbox: Sandbox, role: str, label: str) -> tuple[int, int, str] | None:
    """(phone id, message id, callback data) of the newest button whose label contains `label`."""
    phone = phone_state(sandbox, role)
    for message in reversed(phone["messages"]):
        for row in message["buttons"]:
            for button in row:
                if label in button["text"]:
                    return phone["id"], message["id"], button["data"]
    return None


async def press(sandbox: Sandbox, role: str, *labels: str) -> None:
    """Press buttons one after another, each once the bot has shown it, and wait for the bot's
    reaction (an edit or a new message in that chat) before the next: labels can repeat in
    older messages ("Planlæg" and "Planlæg en check-in")."""
    for label in labels:

        def shown(label: str = label) -> bool:
            return newest_button(sandbox, role, label) is not None

        await eventually(sandbox, shown)
        found = newest_button(sandbox, role, label)
        assert found is not None
        before = phone_state(sandbox, role)["messages"]
        await sandbox.press(*found)
        await eventually(
            sandbox,
            lambda before=before: (
                phone_state(sandbox, role)["messages"] != before
                and not sandbox.world.fake.unanswered_queries()
            ),
        )
