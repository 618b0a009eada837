"""Shared set-up for the benchmark: the real Application on the in-process fake Bot API."""

from __future__ import annotations

import asyncio
import cProfile
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.app import build_application, get_runtime, start_bot, stop_bot
from bot.clock import Clock, FakeClock, SystemClock
from bot.config import parse_config
from bot.fakebot import FakeRequest, FakeTelegram
from bot.runtime import Runtime
from bot.storage import Database
from bot.storage import contacts as contact_store
from bot.storage import users as user_store
from bot.storage.users import Role
from bot.telegram.updates import UpdatePath

COORDINATOR = 9001
# What the benchmark's people write when they need help at once ("I need help now", crisis words).
URGENT_TEXTS = frozenset({"/help_now", "jeg vil ikke leve mere"})
OFFICE_HOURS = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Copenhagen


PROFILE: dict[str, Path] = {}  # "path" is set by `bench/run.py --profile FILE`


@contextmanager
def measured() -> Iterator[None]:
    """Wrap the measured part of a scenario; with --profile, cProfile it into that file."""
    path = PROFILE.get("path")
    if path is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


@dataclass
class Timings:
    """Per-update latency from the moment the bot received an update to the end of handling."""

    received: dict[int, float] = field(default_factory=dict)
    arrivals: dict[int, float] = field(default_factory=dict)
    handled: list[float] = field(default_factory=list)
    # The same for ordinary updates only (not "I need help now" or crisis words).
    ordinary: list[float] = field(default_factory=list)
    urgent_ids: set[int] = field(default_factory=set)

    def p(self, pct: float) -> float:
        return ms(percentile(self.handled, pct))

    def clear(self) -> None:
        self.handled.clear()
        self.ordinary.clear()

    @property
    def median(self) -> float:
        return ms(statistics.median(self.handled)) if self.handled else float("nan")


@dataclass
class BenchBot:
    app: Application
    fake: FakeTelegram
    poller: UpdatePath
    timings: Timings

    @property
    def rt(self) -> Runtime:
        return get_runtime(self.app)

    async def fetch(self, expected: int, wait: int = 1) -> None:
        """Fetch `expected` updates and hand them to the application."""
        received = 0
        while received < expected:
            received += await self.poller.poll_once(wait=wait)

    async def feed(self, expected: int, wait: int = 1) -> None:
        """Fetch and hand on, as the bot's polling loop does: without waiting for their
        handling, but (like a busy bot) not far ahead of it."""
        await self.fetch(expected, wait)
        await keep_up(self.app, self.poller)

    async def pump(self, expected: int, wait: int = 1) -> None:
        """Fetch `expected` updates, then wait until every one of them was handled."""
        await self.fetch(expected, wait)
        await self.poller.wait_idle()

    async def stop(self) -> None:
        await stop_bot(self.app)


AHEAD = 200  # updates waiting in the queue before the feeder lets the handlers catch up


async def keep_up(app: Application, updates: UpdatePath | None = None) -> None:
    """Wait while more than `AHEAD` updates wait to be handled (a bounded pipeline): the bot's
    own update path when given, else PTB's update queue (the bare baseline)."""

    def waiting() -> int:
        return updates.order.pending if updates is not None else app.update_queue.qsize()

    while waiting() > AHEAD:  # noqa: ASYNC110 - a benchmark paces its own feed
        await asyncio.sleep(0.001)


async def start(
    directory: Path,
    *,
    clock: Clock | None = None,
    rate_limiter: bool = False,
    flood_limit: bool = False,
    transport: BaseRequest | None = None,
    token: str | None = None,
    **config: Any,
) -> BenchBot:
    """The bot on the strict fake, or on `transport` (whose `token` it then uses; the strict
    fake is still made, but nothing reaches it)."""
    clock = clock or FakeClock(OFFICE_HOURS)
    fake = FakeTelegram(now=clock.now, flood_limit=flood_limit)
    data = {
        "telegram": {"token": token or fake.token},
        "storage": {"database": str(directory / "bench.sqlite3")},
        "coordinators": {"user_ids": [COORDINATOR]},
    }
    settings = replace(parse_config(data, {}, base_dir=directory), **config)
    fake.user(COORDINATOR, "Coco", language_code="en")
    app = build_application(
        settings,
        request=transport or FakeRequest(fake),
        updates_request=transport or FakeRequest(fake),
        clock=clock,
        rate_limiter=rate_limiter,
    )
    timings = Timings()
    poller = await start_bot(app)
    _instrument(app, poller, timings)
    return BenchBot(app, fake, poller, timings)


def _instrument(app: Application, poller: UpdatePath, timings: Timings) -> None:
    finished = poller.finish
    accept = poller.accept

    async def timed_accept(update: Update, *, stored: bool, urgent: bool = False) -> None:
        timings.received[update.update_id] = timings.arrivals[update.update_id] = (
            time.perf_counter()
        )
        message = update.effective_message
        if message is not None and message.text in URGENT_TEXTS:
            timings.urgent_ids.add(update.update_id)
        await accept(update, stored=stored, urgent=urgent)

    async def timed_finished(update: Update) -> None:
        await finished(update)
        started = timings.received.pop(update.update_id, None)
        if started is not None:
            took = time.perf_counter() - started
            timings.handled.append(took)
            if update.update_id not in timings.urgent_ids:
                timings.ordinary.append(took)

    poller.accept = timed_accept  # type: ignore[method-assign]
    poller.finish = timed_finished  # type: ignore[method-assign]


async def seed_pairs(
    db: Database,
    pairs: int,
    now: datetime,
    *,
    first_citizen: int = 100_000,
    first_peer: int = 500_000,
) -> list[tuple[int, int, int]]:
    """(citizen id, peer id, contact id) for `pairs` active contacts."""
    created = []
    async with db.transaction() as tx:
        for n in range(pairs):
            citizen = await user_store.ensure(
                tx, first_citizen + n, Role.CITIZEN, now, language="da", pseudonym=f"Borger {n}"
            )
            peer = await user_store.ensure(
                tx, first_peer + n, Role.PEER, now, language="da", pseudonym=f"Peer {n}"
            )
            contact_id = await contact_store.create_contact(tx, None, citizen.id, peer.id, now)
            created.append((first_citizen + n, first_peer + n, contact_id))
    return created


def system_clock() -> SystemClock:
    return SystemClock()
