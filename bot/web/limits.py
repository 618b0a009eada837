"""Rate limits for the web chat, held in memory only (an address is never written down).

A sliding window per key: `allow(key)` says whether one more event fits in the last `per`
seconds, and how long to wait if not. Keys are conversation ids (messages per conversation) or
client addresses (all calls, new conversations). Old keys are dropped as the window passes, so
memory stays bounded by the traffic of the last window.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_KEYS = 100_000  # beyond this, the oldest keys are dropped (a flood cannot grow memory)


@dataclass
class Window:
    limit: int
    per: timedelta
    _events: dict[object, deque[datetime]] = field(default_factory=dict)

    def allow(self, key: object, now: datetime) -> timedelta | None:
        """None when the event fits (and counts it); else how long until one would."""
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= MAX_KEYS:
                self._forget_oldest(now)
            events = self._events[key] = deque()
        while events and now - events[0] >= self.per:
            events.popleft()
        if len(events) >= self.limit:
            return self.per - (now - events[0])
        events.append(now)
        return None

    def _forget_oldest(self, now: datetime) -> None:
        stale = [
            key
            for key, events in self._events.items()
            if not events or now - events[-1] >= self.per
        ]
        for key in stale:
            del self._events[key]
        # Room for a tenth more: every key was seen in the last window, so this sweep looked at
        # them all, and one per request would stall the event loop under a flood.
        keep = MAX_KEYS - max(1, MAX_KEYS // 10)
        for key in list(itertools.islice(self._events, max(0, len(self._events) - keep))):
            del self._events[key]
