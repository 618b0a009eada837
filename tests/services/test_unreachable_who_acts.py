"""A person blocking and unblocking the bot, as Telegram reports it, without Telegram."""

from __future__ import annotations

from bot.services import unreachable
from bot.storage import users as user_store
from tests.services.given import World


async def test_a_peer_who_blocks_is_marked_once_and_comes_back_by_unblocking(world: World) -> None:
    rt, peer = world.rt, world.peer
    await unreachable.membership_changed(rt, peer.telegram_id, blocked=True)
    marked = await user_store.by_telegram_id(rt.storage, peer.telegram_id)
    assert marked is not None and marked.unreachable
    told = await rt.storage.fetchall(
        "SELECT chat_id FROM outbox WHERE purpose = 'peer-unreachable' ORDER BY id"
    )
    assert world.citizen.telegram_id in [row[0] for row in told]
    await unreachable.membership_changed(rt, peer.telegram_id, blocked=True)  # told once
    again = await rt.storage.fetchall("SELECT 1 FROM outbox WHERE purpose = 'peer-unreachable'")
    assert len(again) == len(told)
    await unreachable.membership_changed(rt, peer.telegram_id, blocked=False)
    back = await user_store.by_telegram_id(rt.storage, peer.telegram_id)
    assert back is not None and not back.unreachable


async def test_someone_unknown_changes_nothing(world: World) -> None:
    await unreachable.membership_changed(world.rt, 999, blocked=True)
    assert await user_store.by_telegram_id(world.rt.storage, 999) is None
