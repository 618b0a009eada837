"""A background sender that drains its durable queue when woken, and on its own for retries.

The outbox and the e-mail alarm work the same way: rows are committed first, then `wake()`
asks for a drain; a periodic drain picks up retries and anything committed before a restart.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

log = logging.getLogger(__name__)


class Worker:
    """Subclasses implement `drain`; `run` is the task the application keeps alive."""

    name = "worker"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Call after committing new rows."""
        self._wake.set()

    async def drain(self) -> int:
        raise NotImplementedError

    async def run(self, idle_check: float = 5.0) -> None:
        """Drain whenever woken, and at least every `idle_check` seconds for retries."""
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("%s failed; continuing", self.name)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle_check)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
