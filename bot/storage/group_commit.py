"""Group commits for bookkeeping that may trail the event by milliseconds.

Reply mappings, burst counters and the removal of handled updates from the inbox are written
in one transaction every few tens of milliseconds instead of one per message (see DESIGN,
"Performance").
Nothing that must not be lost goes through here: escalations, check-ins and the outbox commit
before they are acted on. A crash can lose at most the last flush, which means a reply may not
thread and a handled update may be handled again (at-least-once, as Telegram itself delivers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from bot.storage.database import Database

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.02  # seconds; also the pause between commits under load
MAX_BATCH = 500


def _runs(batch: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Statements with the same SQL become one `executemany`, each keeping its own order.

    Safe because what goes through here never depends on a different statement of the same
    batch (mappings, counters and inbox removals touch separate rows and tables).
    """
    runs: dict[str, list[tuple[Any, ...]]] = {}
    for sql, params in batch:
        runs.setdefault(sql, []).append(params)
    return list(runs.items())


class GroupWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._scheduled: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None

    def add(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Queue one statement; it is committed within some tens of milliseconds."""
        self._pending.append((sql, tuple(params)))
        if len(self._pending) >= MAX_BATCH:
            self._start_flush()
        elif self._scheduled is None:
            self._scheduled = asyncio.get_running_loop().call_later(FLUSH_EVERY, self._start_flush)

    def _start_flush(self) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        """Commit what is queued. Under load, commits are paced `FLUSH_EVERY` apart, so each
        carries many messages' bookkeeping and the database thread is asked a few times per
        commit rather than per message."""
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self.db.transaction() as tx:
                    for sql, rows in _runs(batch):
                        await tx.executemany(sql, rows)
            except Exception:
                log.exception("group commit of %d statement(s) failed", len(batch))
            if self._pending:
                await asyncio.sleep(FLUSH_EVERY)

    async def flush(self) -> None:
        """Commit everything queued so far (tests, shutdown)."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        while self._pending or (self._flushing is not None and not self._flushing.done()):
            if self._flushing is None or self._flushing.done():
                self._flushing = asyncio.create_task(self._flush_loop())
            await self._flushing
