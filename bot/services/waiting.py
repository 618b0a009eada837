"""Honest waiting: what the service's own recent history says, never a promise or a position."""

from __future__ import annotations

import statistics
from datetime import timedelta

from bot.runtime import Runtime
from bot.services.office_hours import office_time_between
from bot.storage import requests as request_store

HISTORY = timedelta(days=30)


async def typical_wait(rt: Runtime) -> timedelta | None:
    """The median office time from sending a request to a peer's yes over the last 30 days;
    None while there are too few requests to say anything honest."""
    config = rt.config
    pairs = await request_store.first_contact_times(rt.storage, rt.now() - HISTORY)
    if len(pairs) < config.wait_estimate_min_requests:
        return None
    waits = [
        office_time_between(config.office_hours, sent, found, config.timezone).total_seconds()
        for sent, found in pairs
    ]
    return timedelta(seconds=statistics.median(waits))
