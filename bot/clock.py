"""The single source of "now": the system clock in production, a fake one tests can move."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests, sandbox fast-forward)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


class RunningClock:
    """Real time from a chosen start, plus whatever it was moved forward (the sandbox).

    Time runs at real speed, so a conversation looks natural; `advance` jumps ahead, so
    check-ins and time-outs can be seen without waiting.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._origin = time.monotonic()
        self._start = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def advance(self, delta: timedelta) -> datetime:
        self._start += delta
        return self.now()
