"""The rate limits' memory under a flood of new addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.web import limits
from bot.web.limits import Window


def test_a_flood_of_new_addresses_costs_one_sweep_per_many_not_one_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once the window is full of addresses all seen in the last minute, every sweep looks at
    every key: a sweep per request (20 ms at 100,000 keys) would stall the bot's whole event
    loop, so one sweep makes room for many."""
    monkeypatch.setattr(limits, "MAX_KEYS", 1000)
    sweeps = 0

    class Counted(Window):
        def _forget_oldest(self, now: datetime) -> None:
            nonlocal sweeps
            sweeps += 1
            super()._forget_oldest(now)

    window = Counted(120, timedelta(minutes=1))
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for address in range(1000):
        assert window.allow(address, now) is None
    for address in range(100):
        assert window.allow(("new", address), now) is None
    assert sweeps == 1
    assert window.allow(("new", 99), now) is None  # the newest are kept and still counted
    assert len(window._events[("new", 99)]) == 2
