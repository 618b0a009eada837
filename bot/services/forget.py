"""/forget: which recent messages of a private chat can still be deleted.

Telegram lets a bot delete messages in a private chat, its own and the person's, only within
48 hours of sending; the ids are kept that long (`bot.storage.recent_messages`). The margin
keeps clear of the edge, where Telegram's clock and ours could disagree and fail a whole batch.
"""

from __future__ import annotations

from datetime import timedelta

from bot.runtime import Runtime
from bot.storage import recent_messages

BATCH = 100  # deleteMessages takes at most 100 ids
MARGIN = timedelta(minutes=10)


async def deletable(rt: Runtime, chat_id: int) -> list[list[int]]:
    """The chat's message ids young enough to delete, in batches of at most 100."""
    await rt.later.flush()  # ids of the last few milliseconds are still queued
    ids = await recent_messages.since(rt.storage, chat_id, rt.now() - recent_messages.KEEP + MARGIN)
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


async def forgotten(rt: Runtime, chat_id: int, message_ids: list[int]) -> None:
    """The messages are gone from the chat: their ids are of no more use."""
    await recent_messages.forget(rt.storage, chat_id, message_ids)


def remember_earlier(rt: Runtime, chat_id: int, messages: list[tuple[int, bool]]) -> None:
    """Note the (message id, from the bot) pairs of a chat kept in memory before consent, once
    the person agrees, so that `/forget` can delete them too."""
    for message_id, from_bot in messages:
        recent_messages.record_later(rt.later, chat_id, message_id, rt.now(), from_bot=from_bot)
