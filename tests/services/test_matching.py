"""A citizen withdraws only their own waiting request, without Telegram."""

from __future__ import annotations

from bot.domain import RequestStatus
from bot.services import matching
from bot.storage import requests as request_store
from tests.services.given import World


async def test_a_request_is_cancelled_only_by_its_citizen(world: World) -> None:
    rt = world.rt
    assert not await matching.cancel_request(rt, world.waiting.id, world.citizen.id)
    assert not await matching.cancel_request(rt, world.waiting.id, world.peer.id)
    waiting = await request_store.by_id(rt.storage, world.waiting.id)
    assert waiting is not None and waiting.status is RequestStatus.WAITING
    assert await matching.cancel_request(rt, world.waiting.id, world.other_citizen.id)
    cancelled = await request_store.by_id(rt.storage, world.waiting.id)
    assert cancelled is not None and cancelled.status is RequestStatus.CANCELLED


async def test_an_active_request_cannot_be_cancelled_this_way(world: World) -> None:
    assert not await matching.cancel_request(world.rt, world.contact.request_id, world.citizen.id)
